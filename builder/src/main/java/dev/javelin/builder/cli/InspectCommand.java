package dev.javelin.builder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.javelin.builder.onnx.ModelSummary;
import dev.javelin.builder.onnx.ModelSummary.ValueSummary;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.onnx.TensorRtOpSupport.Finding;
import dev.javelin.runtime.bundle.Bundle;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin inspect MODEL [--json]}: what is in an ONNX file and whether TensorRT can build it.
 *
 * <p>Model errors (missing, empty, truncated file, external data outside the model folder, dangling
 * names, cycles) are thrown as {@link dev.javelin.runtime.ModelException}s for the CLI's error handler
 * to print as one line.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Shows an ONNX model's inputs and outputs (with symbolic dims), IR version, opsets,",
                "op histogram (nodes inside If/Loop/Scan subgraphs counted), weight bytes,",
                "and the ops TensorRT cannot build with the reason for each."})
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file, or an engine bundle folder (its model.onnx).")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--tensorrt-version", paramLabel = "X.Y", defaultValue = TensorRtOpSupport.DEFAULT_VERSION,
            description = "TensorRT version to check ops against (default: ${DEFAULT-VALUE}; JetPack 6 ships 10.3).")
    String tensorRtVersion;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        TensorRtOpSupport trt;
        try {
            trt = TensorRtOpSupport.forVersion(tensorRtVersion);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        OnnxModel m = OnnxModel.load(Bundle.isBundle(model) ? Bundle.open(model).modelFile() : model);
        m.validate();
        ModelSummary s = ModelSummary.of(m, trt);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(s, m));
        } else {
            printText(out, s, m);
        }
        out.flush();
        return 0;
    }

    /** The JSON report. Keys {@code inputs, outputs, opsets, ops, tensorrt_unsupported} are a stable contract. */
    static String toJson(ModelSummary s, OnnxModel m) throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("model", m.displayName());
        root.put("ir_version", s.irVersion());
        root.put("producer", s.producer());
        ObjectNode opsets = root.putObject("opsets");
        s.opsets().forEach(opsets::put);
        root.set("inputs", values(mapper, s.inputs()));
        root.set("outputs", values(mapper, s.outputs()));
        ObjectNode ops = root.putObject("ops");
        s.ops().forEach(ops::put);
        root.put("node_count", s.nodeCount());
        root.put("subgraph_count", s.subgraphCount());
        root.put("function_count", s.functionCount());
        root.put("initializer_count", s.initializerCount());
        root.put("initializer_bytes", s.initializerBytes());
        root.put("external_data_bytes", s.externalBytes());
        root.put("constant_bytes", s.constantBytes());
        root.put("tensorrt_version", s.tensorRtVersion());
        ArrayNode unsupported = root.putArray("tensorrt_unsupported");
        ObjectNode reasons = root.putObject("tensorrt_unsupported_reasons");
        for (Finding f : s.tensorRtUnsupported()) {
            unsupported.add(f.op());
            ObjectNode r = reasons.putObject(f.op());
            r.put("count", f.count());
            r.put("reason", f.reason());
            r.put("plan", f.planLabel());
            ArrayNode nodes = r.putArray("nodes");
            f.nodes().forEach(nodes::add);
        }
        return mapper.writeValueAsString(root);
    }

    private static ArrayNode values(ObjectMapper mapper, List<ValueSummary> values) {
        ArrayNode arr = mapper.createArrayNode();
        for (ValueSummary v : values) {
            ObjectNode o = arr.addObject();
            o.put("name", v.name());
            o.put("dtype", v.dtype());
            if (v.shape() == null) {
                o.putNull("shape");
            } else {
                ArrayNode shape = o.putArray("shape");
                for (Object d : v.shape()) {
                    if (d instanceof Long n) {
                        shape.add(n);
                    } else if (d instanceof String sym) {
                        shape.add(sym);
                    } else {
                        shape.addNull();
                    }
                }
            }
        }
        return arr;
    }

    static void printText(PrintWriter out, ModelSummary s, OnnxModel m) {
        List<String[]> head = new ArrayList<>();
        head.add(new String[] {"Model", m.displayName()});
        head.add(new String[] {"IR version", Long.toString(s.irVersion())});
        if (!s.producer().isEmpty()) {
            head.add(new String[] {"Producer", s.producer()});
        }
        head.add(new String[] {"Opsets", s.opsets().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))});
        head.add(new String[] {"Weights", s.initializerCount() + " initializers, " + bytes(s.initializerBytes())
                + (s.externalBytes() > 0 ? " (" + bytes(s.externalBytes()) + " in external data)" : "")
                + (s.constantBytes() > 0 ? "; attribute tensors (Constant nodes, ...) " + bytes(s.constantBytes()) : "")});
        int mainNodes = m.proto().getGraph().getNodeCount();
        head.add(new String[] {"Nodes", s.nodeCount() + " in " + s.ops().size() + " op types"
                + (s.subgraphCount() > 0 ? " (" + (s.nodeCount() - mainNodes) + " of them inside "
                + s.subgraphCount() + " subgraphs)" : "")
                + (s.functionCount() > 0 ? "; " + s.functionCount() + " local functions" : "")});
        table(out, "", null, head);

        out.println();
        out.println("Inputs");
        table(out, "  ", new String[] {"NAME", "DTYPE", "SHAPE"}, rows(s.inputs()));
        out.println("Outputs");
        table(out, "  ", new String[] {"NAME", "DTYPE", "SHAPE"}, rows(s.outputs()));

        out.println();
        out.println("Ops");
        List<String[]> ops = new ArrayList<>();
        for (Map.Entry<String, Integer> e : s.ops().entrySet()) {
            ops.add(new String[] {e.getKey(), Integer.toString(e.getValue())});
        }
        table(out, "  ", new String[] {"OP", "NODES"}, ops);

        out.println();
        if (s.tensorRtUnsupported().isEmpty()) {
            out.println("TensorRT " + s.tensorRtVersion() + ": every op type can be built.");
        } else {
            out.println("TensorRT " + s.tensorRtVersion() + " cannot build " + s.tensorRtUnsupported().size()
                    + " op type(s):");
            List<String[]> rows = new ArrayList<>();
            for (Finding f : s.tensorRtUnsupported()) {
                rows.add(new String[] {f.op(), Integer.toString(f.count()), f.planLabel(), f.reason()});
            }
            table(out, "  ", new String[] {"OP", "NODES", "PLANNED", "REASON"}, rows);
        }
    }

    private static List<String[]> rows(List<ValueSummary> values) {
        List<String[]> rows = new ArrayList<>();
        for (ValueSummary v : values) {
            rows.add(new String[] {v.name(), v.dtype(), v.shapeText()});
        }
        return rows;
    }

    /** Left-aligned columns, two spaces apart; numbers are right-aligned. The last column is not padded. */
    private static void table(PrintWriter out, String indent, String[] header, List<String[]> rows) {
        List<String[]> all = new ArrayList<>();
        if (header != null) {
            all.add(header);
        }
        all.addAll(rows);
        if (all.isEmpty()) {
            return;
        }
        int cols = all.get(0).length;
        int[] width = new int[cols];
        boolean[] numeric = new boolean[cols];
        for (int c = 0; c < cols; c++) {
            numeric[c] = !rows.isEmpty();
            for (String[] r : rows) {
                numeric[c] &= r[c].matches("\\d+");
            }
            for (String[] r : all) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        for (String[] r : all) {
            StringBuilder line = new StringBuilder(indent);
            for (int c = 0; c < cols; c++) {
                boolean last = c == cols - 1;
                String cell = r[c];
                if (numeric[c]) {
                    line.append(" ".repeat(width[c] - cell.length())).append(cell);
                } else {
                    line.append(cell);
                    if (!last) {
                        line.append(" ".repeat(width[c] - cell.length()));
                    }
                }
                if (!last) {
                    line.append("  ");
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** {@code 1.70 MiB (1781160 bytes)}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s (%d bytes)", v, units[u], n);
    }
}

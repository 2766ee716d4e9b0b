package dev.javelin.builder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.javelin.builder.legalize.Decision;
import dev.javelin.builder.legalize.LegalizationReport;
import dev.javelin.builder.legalize.Legalizer;
import dev.javelin.builder.legalize.NodeDecision;
import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.legalize.RemainingOp;
import dev.javelin.builder.onnx.ModelSummary;
import dev.javelin.builder.onnx.ModelSummary.ValueSummary;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.onnx.TensorRtOpSupport.Finding;
import dev.javelin.runtime.bundle.Bundle;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin inspect MODEL [--json] [--prefer rewrite|kernels]}: what is in an ONNX file, whether TensorRT can
 * build it, and for each op it cannot build what the builder will do (rewrite, fold, Javelin kernel, or nothing:
 * the {@link Legalizer}'s decisions, made on a copy of the model without writing anything).
 *
 * <p>Model errors (missing, empty, truncated file, external data outside the model folder, dangling
 * names, cycles) are thrown as {@link dev.javelin.runtime.ModelException}s for the CLI's error handler
 * to print as one line.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Shows an ONNX model's inputs and outputs (with symbolic dims), IR version, opsets,",
                "op histogram (nodes inside If/Loop/Scan subgraphs counted), weight bytes,",
                "the ops TensorRT cannot build with the reason for each, and what the builder will do",
                "with each (rewrite into standard ops, fold a constant, run a Javelin CUDA kernel, or nothing)."})
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file, or an engine bundle folder (its model.onnx).")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--tensorrt-version", paramLabel = "X.Y", defaultValue = TensorRtOpSupport.DEFAULT_VERSION,
            description = "TensorRT version to check ops against (default: ${DEFAULT-VALUE}; JetPack 6 ships 10.3).")
    String tensorRtVersion;

    @Option(names = "--prefer", paramLabel = "rewrite|kernels", defaultValue = "rewrite", converter = PreferConverter.class,
            description = "For ops with both a rewrite and a Javelin kernel (DynamicQuantizeLinear, MatMulInteger): "
                    + "which one the builder uses (default: ${DEFAULT-VALUE}).")
    Prefer prefer;

    @Spec
    CommandSpec spec;

    /** Accepts {@code rewrite} and {@code kernels} in any case. */
    static final class PreferConverter implements ITypeConverter<Prefer> {
        @Override
        public Prefer convert(String value) {
            return Prefer.parse(value);
        }
    }

    /** What legalization decided, or why it could not be planned. */
    record Plan(LegalizationReport report, String failure) {
    }

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
        Plan plan = s.tensorRtUnsupported().isEmpty() ? null : plan(m, trt, prefer);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(s, m, plan));
        } else {
            printText(out, s, m, plan);
        }
        out.flush();
        return 0;
    }

    /** The legalizer's decisions for {@code m}; a failure to plan is reported, not thrown (inspect still prints). */
    static Plan plan(OnnxModel m, TensorRtOpSupport trt, Prefer prefer) {
        try {
            return new Plan(Legalizer.with(Legalizer.Options.defaults().withPrefer(prefer).withSupport(trt)).apply(m).report(), null);
        } catch (RuntimeException e) {
            return new Plan(null, e.getMessage());
        }
    }

    /**
     * The JSON report. Keys {@code inputs, outputs, opsets, ops, tensorrt_unsupported} are a stable contract;
     * {@code legalization} (present when an op is unsupported) holds the builder's plan: {@code prefer},
     * {@code fully_buildable}, {@code ops} (per op: decision counts and the first node's detail), {@code decisions}
     * (per node) and {@code remaining} (what TensorRT still cannot build afterwards).
     */
    static String toJson(ModelSummary s, OnnxModel m, Plan plan) throws Exception {
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
        if (plan != null) {
            root.set("legalization", legalizationJson(mapper, plan));
        }
        return mapper.writeValueAsString(root);
    }

    private static ObjectNode legalizationJson(ObjectMapper mapper, Plan plan) {
        ObjectNode l = mapper.createObjectNode();
        if (plan.report() == null) {
            l.put("error", plan.failure());
            return l;
        }
        LegalizationReport r = plan.report();
        l.put("prefer", r.prefer().label());
        l.put("fully_buildable", r.fullyBuildable());
        ObjectNode ops = l.putObject("ops");
        byOp(r).forEach((op, list) -> {
            ObjectNode o = ops.putObject(op);
            for (Decision d : Decision.values()) {
                long n = list.stream().filter(x -> x.decision() == d).count();
                if (n > 0) {
                    o.put(d.label(), n);
                }
            }
            o.put("detail", list.get(0).detail());
        });
        ArrayNode decisions = l.putArray("decisions");
        for (NodeDecision d : r.decisions()) {
            ObjectNode o = decisions.addObject();
            o.put("graph", d.graph());
            o.put("node", d.node());
            o.put("op", d.op());
            o.put("decision", d.decision().label());
            o.put("detail", d.detail());
            if (d.tolerance() != null) {
                o.set("tolerance", mapper.valueToTree(d.tolerance()));
            }
        }
        ArrayNode remaining = l.putArray("remaining");
        for (RemainingOp op : r.remaining()) {
            ObjectNode o = remaining.addObject();
            o.put("op", op.op());
            o.put("count", op.count());
            o.put("handling", op.handling());
            o.put("reason", op.reason());
        }
        return l;
    }

    private static Map<String, List<NodeDecision>> byOp(LegalizationReport r) {
        Map<String, List<NodeDecision>> m = new LinkedHashMap<>();
        for (NodeDecision d : r.decisions()) {
            m.computeIfAbsent(d.op(), k -> new ArrayList<>()).add(d);
        }
        return m;
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

    static void printText(PrintWriter out, ModelSummary s, OnnxModel m, Plan plan) {
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
            printPlan(out, s, plan);
        }
    }

    /** Per unsupported op: what the builder will do (decision counts, how, tolerance), then what remains. */
    private static void printPlan(PrintWriter out, ModelSummary s, Plan plan) {
        out.println();
        if (plan == null || plan.report() == null) {
            out.println("The builder's plan could not be made: " + (plan == null ? "no plan" : plan.failure()));
            return;
        }
        LegalizationReport r = plan.report();
        out.println("What the builder will do (prefer " + r.prefer().label() + "):");
        List<String[]> rows = new ArrayList<>();
        byOp(r).forEach((op, list) -> {
            Map<Decision, Integer> counts = new LinkedHashMap<>();
            list.forEach(d -> counts.merge(d.decision(), 1, Integer::sum));
            String action = counts.entrySet().stream()
                    .map(e -> e.getKey().label() + (counts.size() > 1 ? " x" + e.getValue() : ""))
                    .collect(Collectors.joining(", "));
            NodeDecision first = list.get(0);
            String how = first.detail() + (first.tolerance() != null ? " [tolerance: " + first.tolerance() + "]" : "");
            rows.add(new String[] {op, Integer.toString(list.size()), action, how});
        });
        table(out, "  ", new String[] {"OP", "NODES", "ACTION", "HOW"}, rows);
        if (r.fullyBuildable()) {
            out.println("After legalization TensorRT " + s.tensorRtVersion() + " can build every op.");
        } else {
            out.println("After legalization TensorRT " + s.tensorRtVersion() + " still cannot build: " + r.remaining().stream()
                    .map(x -> x.op() + " x" + x.count() + " (" + x.handling() + ")").collect(Collectors.joining(", ")));
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

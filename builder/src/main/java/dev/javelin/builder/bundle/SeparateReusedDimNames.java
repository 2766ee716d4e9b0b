package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Gives a new name to a symbolic dimension that one graph input uses at two positions. TensorRT's ONNX parser
 * treats dimensions with one name as equal (the profile ranges must overlap, and the sizes must match at run
 * time), while ONNX Runtime ignores the names; so an export slip such as all-MiniLM-L6-v2's
 * {@code input_ids: [batch, batch]} (the second is the sequence length) runs on ONNX Runtime yet would make a
 * TensorRT engine accept only square inputs. A symbol keeps its name at its first position; at every other
 * position (in every input and output that has it there) it becomes {@code dim_<position>}. Only value-info
 * metadata changes, so outputs are unchanged.
 */
public final class SeparateReusedDimNames implements GraphStep {
    @Override
    public String name() {
        return "dim-names";
    }

    @Override
    public StepOutcome apply(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        Set<String> initializers = new HashSet<>();
        g.getInitializerList().forEach(t -> initializers.add(t.getName()));
        Set<String> names = new HashSet<>();
        for (ValueInfoProto v : values(g)) {
            dims(v).forEach(d -> names.add(d.getDimParam()));
        }
        // symbol -> the positions it occupies in inputs that use it more than once
        Map<String, Set<Integer>> reused = new TreeMap<>();
        for (ValueInfoProto v : g.getInputList()) {
            if (initializers.contains(v.getName())) {
                continue;
            }
            Map<String, List<Integer>> positions = new LinkedHashMap<>();
            List<TensorShapeProto.Dimension> dims = dims(v);
            for (int i = 0; i < dims.size(); i++) {
                String sym = dims.get(i).getDimParam();
                if (!sym.isEmpty()) {
                    positions.computeIfAbsent(sym, k -> new ArrayList<>()).add(i);
                }
            }
            positions.forEach((sym, at) -> {
                if (at.size() > 1) {
                    reused.computeIfAbsent(sym, k -> new TreeSet<>()).addAll(at);
                }
            });
        }
        if (reused.isEmpty()) {
            return StepOutcome.of(model, List.of("every input uses each dimension name once"));
        }
        // (symbol, position) -> new name; the symbol keeps its name at its first position.
        Map<String, Map<Integer, String>> rename = new LinkedHashMap<>();
        List<String> report = new ArrayList<>();
        reused.forEach((s, at) -> {
            Map<Integer, String> m = new LinkedHashMap<>();
            boolean first = true;
            for (int p : at) {
                if (first) {
                    first = false;
                    continue;
                }
                String fresh = "dim_" + p;
                for (int k = 2; names.contains(fresh); k++) {
                    fresh = "dim_" + p + "_" + k;
                }
                names.add(fresh);
                m.put(p, fresh);
            }
            rename.put(s, m);
        });
        GraphProto.Builder gb = g.toBuilder();
        for (int i = 0; i < gb.getInputCount(); i++) {
            gb.setInput(i, renamed(gb.getInput(i), rename, report, "input"));
        }
        for (int i = 0; i < gb.getOutputCount(); i++) {
            gb.setOutput(i, renamed(gb.getOutput(i), rename, report, "output"));
        }
        return StepOutcome.of(model.withProto(model.proto().toBuilder().setGraph(gb).build()), report);
    }

    private static List<ValueInfoProto> values(GraphProto g) {
        List<ValueInfoProto> all = new ArrayList<>(g.getInputList());
        all.addAll(g.getOutputList());
        return all;
    }

    private static List<TensorShapeProto.Dimension> dims(ValueInfoProto v) {
        if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
            return List.of();
        }
        return v.getType().getTensorType().getShape().getDimList();
    }

    private static ValueInfoProto renamed(ValueInfoProto v, Map<String, Map<Integer, String>> rename, List<String> report,
                                          String kind) {
        List<TensorShapeProto.Dimension> dims = dims(v);
        ValueInfoProto.Builder b = null;
        for (int i = 0; i < dims.size(); i++) {
            String s = dims.get(i).getDimParam();
            String fresh = s.isEmpty() || !rename.containsKey(s) ? null : rename.get(s).get(i);
            if (fresh == null) {
                continue;
            }
            if (b == null) {
                b = v.toBuilder();
            }
            b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(i).setDimParam(fresh);
            report.add(kind + " " + v.getName() + " dimension " + i + ": '" + s + "' -> '" + fresh + "' ('" + s
                    + "' also names another dimension of one input; TensorRT would require the two to be equal)");
        }
        return b == null ? v : b.build();
    }
}

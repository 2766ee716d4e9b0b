package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.ModelException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Streaming conversion (ONNX in, ONNX out): for every top-level {@code LSTM} and {@code GRU} node whose initial
 * states are absent (zeros) or constant, the initial hidden (and for LSTM cell) state becomes a graph input
 * {@code <node>_h_in} / {@code <node>_c_in} and the final state {@code Y_h} / {@code Y_c} a graph output
 * {@code <node>_h_out} / {@code <node>_c_out}, so that a streaming session can feed a sequence one frame at a
 * time and carry the state ({@code <node>_h_out -> <node>_h_in}). Run with the initial values the pass reports
 * (zeros, or the former constant), the model computes what it computed before.
 *
 * <p>State shape is {@code [num_directions, batch, hidden_size]} ({@code [batch, num_directions, hidden_size]}
 * with {@code layout=1}); {@code batch} is taken from the node's input X as declared in the graph (a number or
 * the same symbol), so a session can resolve it from the frame.
 *
 * <p>Nodes whose initial state is computed by other nodes are left alone and reported: their state already
 * depends on the graph's inputs, and exposing it would change what the model means.
 */
public final class ExposeRecurrentState {
    private ExposeRecurrentState() {
    }

    /**
     * One exposed state.
     *
     * @param node    the recurrent node
     * @param input   the new graph input (initial state)
     * @param output  the graph output carrying the final state
     * @param initial the constant the node used before, or {@code null} for zeros
     */
    public record State(String node, String input, String output, TensorProto initial) {
    }

    /**
     * The rewritten model, the states exposed in graph order, and notes on nodes left alone.
     */
    public record Outcome(OnnxModel model, List<State> states, List<String> skipped) {
        /** {@code output -> input} pairs for a streaming session. */
        public Map<String, String> statePairs() {
            Map<String, String> m = new LinkedHashMap<>();
            states.forEach(s -> m.put(s.output, s.input));
            return m;
        }
    }

    /**
     * Applies the pass.
     *
     * @throws ModelException naming the node if its attributes are malformed (no hidden_size) or a chosen name
     *                        is already taken in the graph
     */
    public static Outcome apply(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        GraphProto.Builder gb = g.toBuilder();
        Map<String, ValueInfoProto> declared = new HashMap<>();
        for (ValueInfoProto v : g.getInputList()) {
            declared.put(v.getName(), v);
        }
        for (ValueInfoProto v : g.getValueInfoList()) {
            declared.putIfAbsent(v.getName(), v);
        }
        for (ValueInfoProto v : g.getOutputList()) {
            declared.putIfAbsent(v.getName(), v);
        }
        Map<String, TensorProto> initializers = new HashMap<>();
        g.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Set<String> inputs = new HashSet<>();
        g.getInputList().forEach(v -> inputs.add(v.getName()));
        Set<String> taken = new HashSet<>(OnnxGraph.of(g).definedNames());

        List<State> states = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<NodeProto> extra = new ArrayList<>();
        Set<String> usedConstants = new HashSet<>();
        for (int i = 0; i < gb.getNodeCount(); i++) {
            NodeProto n = gb.getNode(i);
            boolean lstm = n.getOpType().equals("LSTM");
            if (!n.getDomain().isEmpty() || !(lstm || n.getOpType().equals("GRU"))) {
                continue;
            }
            String name = n.getName().isEmpty() ? n.getOpType().toLowerCase(java.util.Locale.ROOT) + i : n.getName();
            long hidden = -1;
            String direction = "forward";
            long layout = 0;
            for (AttributeProto a : n.getAttributeList()) {
                switch (a.getName()) {
                    case "hidden_size" -> hidden = a.getI();
                    case "direction" -> direction = a.getS().toStringUtf8();
                    case "layout" -> layout = a.getI();
                    default -> {
                    }
                }
            }
            if (hidden <= 0) {
                throw new ModelException(n.getOpType() + " node '" + name + "' has no positive hidden_size attribute");
            }
            long dirs = direction.equals("bidirectional") ? 2 : 1;
            int[] stateIn = lstm ? new int[] {5, 6} : new int[] {5};
            String[] kinds = lstm ? new String[] {"h", "c"} : new String[] {"h"};
            // Decide first: either every state of the node can be exposed or none is.
            String why = null;
            for (int k : stateIn) {
                String in = k < n.getInputCount() ? n.getInput(k) : "";
                if (!in.isEmpty() && (!initializers.containsKey(in) || inputs.contains(in))) {
                    why = inputs.contains(in) ? "its initial state '" + in + "' is already a graph input"
                            : "its initial state '" + in + "' is computed by the graph";
                }
            }
            if (why != null) {
                skipped.add(name + " (" + n.getOpType() + "): " + why);
                continue;
            }
            TensorShapeProto.Dimension batch = batchDim(n.getInput(0), declared, layout);
            NodeProto.Builder nb = n.toBuilder().setName(name);
            while (nb.getInputCount() < stateIn[stateIn.length - 1] + 1) {
                nb.addInput("");
            }
            while (nb.getOutputCount() < kinds.length + 1) {
                nb.addOutput("");
            }
            for (int s = 0; s < kinds.length; s++) {
                String inName = name + "_" + kinds[s] + "_in";
                String outName = name + "_" + kinds[s] + "_out";
                for (String fresh : List.of(inName, outName)) {
                    if (!taken.add(fresh)) {
                        throw new ModelException(n.getOpType() + " node '" + name + "': cannot expose its state as '"
                                + fresh + "', the name is already used in the graph");
                    }
                }
                String old = nb.getInput(stateIn[s]);
                TensorProto initial = old.isEmpty() ? null : initializers.get(old);
                if (initial != null) {
                    usedConstants.add(old);
                }
                nb.setInput(stateIn[s], inName);
                TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
                TensorShapeProto.Dimension d = TensorShapeProto.Dimension.newBuilder().setDimValue(dirs).build();
                TensorShapeProto.Dimension h = TensorShapeProto.Dimension.newBuilder().setDimValue(hidden).build();
                if (layout == 0) {
                    shape.addDim(d).addDim(batch).addDim(h);
                } else {
                    shape.addDim(batch).addDim(d).addDim(h);
                }
                ValueInfoProto.Builder vi = ValueInfoProto.newBuilder().setName(inName);
                vi.getTypeBuilder().getTensorTypeBuilder().setElemType(elemType(n, declared, initializers))
                        .setShape(shape);
                gb.addInput(vi.build());
                String existing = nb.getOutput(s + 1);
                if (existing.isEmpty()) {
                    nb.setOutput(s + 1, outName);
                } else {
                    // Y_h is already read inside the graph: keep that name and publish a copy under the new one.
                    extra.add(NodeProto.newBuilder().setOpType("Identity").setName(name + "/" + kinds[s] + "_out")
                            .addInput(existing).addOutput(outName).build());
                }
                gb.addOutput(vi.build().toBuilder().setName(outName).build());
                states.add(new State(name, inName, outName, initial));
            }
            gb.setNode(i, nb.build());
        }
        extra.forEach(gb::addNode);
        // A constant initial state nothing else reads any more is dropped (the caller now feeds it).
        Set<String> stillRead = new HashSet<>();
        for (NodeProto n : gb.getNodeList()) {
            stillRead.addAll(n.getInputList());
        }
        for (int i = gb.getInitializerCount() - 1; i >= 0; i--) {
            String t = gb.getInitializer(i).getName();
            if (usedConstants.contains(t) && !stillRead.contains(t)) {
                gb.removeInitializer(i);
            }
        }
        ModelProto out = model.proto().toBuilder().setGraph(gb.build()).build();
        OnnxGraph.of(out.getGraph()).validate();
        return new Outcome(model.withProto(out), states, skipped);
    }

    private static TensorShapeProto.Dimension batchDim(String x, Map<String, ValueInfoProto> declared, long layout) {
        ValueInfoProto v = declared.get(x);
        int axis = layout == 0 ? 1 : 0;
        if (v != null && v.getType().hasTensorType() && v.getType().getTensorType().hasShape()
                && v.getType().getTensorType().getShape().getDimCount() == 3) {
            TensorShapeProto.Dimension d = v.getType().getTensorType().getShape().getDim(axis);
            if (d.hasDimValue() || d.hasDimParam()) {
                return d;
            }
        }
        return TensorShapeProto.Dimension.newBuilder().setDimParam("batch").build();
    }

    private static int elemType(NodeProto n, Map<String, ValueInfoProto> declared, Map<String, TensorProto> inits) {
        TensorProto w = inits.get(n.getInput(1));
        if (w != null) {
            return w.getDataType();
        }
        ValueInfoProto x = declared.get(n.getInput(0));
        if (x != null && x.getType().hasTensorType()) {
            return x.getType().getTensorType().getElemType();
        }
        return ElementType.FLOAT.onnx();
    }
}

package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.OperatorSetIdProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.ModelException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Raises a model's default-domain opset from 11 or 12 to 13 (ONNX in, ONNX out), rewriting the operators whose
 * meaning or signature changed on the way — the set the ONNX version converter adapts:
 * <ul>
 *   <li>{@code Squeeze}, {@code Unsqueeze}, {@code ReduceSum}: the {@code axes} attribute becomes an int64
 *       input; {@code Split}: the {@code split} attribute becomes an input;</li>
 *   <li>{@code Softmax}, {@code LogSoftmax}, {@code Hardmax}: before 13 they flattened the input to 2-D at
 *       {@code axis} and normalized over everything after it; 13 normalizes along {@code axis} only. Unless the
 *       axis is the last one ({@code -1}), the node becomes {@code Flatten(axis) -> op(axis=-1) -> Reshape(to
 *       Shape(x))}, the old meaning written in new operators;</li>
 *   <li>{@code Dropout} (opset 11): the {@code ratio} attribute becomes an input (opset 12).</li>
 * </ul>
 * Every other operator is unchanged between 11 and 13 apart from wider type lists. Subgraphs are rewritten
 * too; new constants are {@code Constant} nodes placed before their reader, so they are valid in any scope.
 *
 * <p>Why: per-channel {@code QuantizeLinear}/{@code DequantizeLinear} (INT8 weights) exist from opset 13.
 */
public final class OpsetUpgrade {
    /** The opset this pass produces. */
    public static final long TARGET = 13;

    /**
     * What the pass did.
     *
     * @param from      the default opset before
     * @param rewritten nodes rewritten, as {@code 'name' (Op): what}
     */
    public record Outcome(OnnxModel model, long from, List<String> rewritten) {
        /** Whether the model was changed. */
        public boolean changed() {
            return from < TARGET;
        }
    }

    private OpsetUpgrade() {
    }

    /**
     * Upgrades to opset 13; a model already at 13 or later is returned as it is.
     *
     * @throws ModelException if the default opset is below 11 (older operators changed in many more ways)
     */
    public static Outcome to13(OnnxModel model) {
        long from = model.defaultOpset();
        if (from >= TARGET) {
            return new Outcome(model, from, List.of());
        }
        if (from < 11) {
            throw new ModelException(model.displayName() + " imports ONNX opset " + from + "; only opsets 11 and 12"
                    + " are upgraded to 13 here (convert older models with the ONNX version converter first)");
        }
        Set<String> used = new HashSet<>();
        ModelWalk.forEachTensor(model.proto(), (t, site) -> used.add(t.getName()));
        collectNames(model.proto().getGraph(), used);
        List<String> rewritten = new ArrayList<>();
        GraphProto g = upgrade(model.proto().getGraph(), from, used, rewritten);
        ModelProto.Builder mb = model.proto().toBuilder().setGraph(g);
        for (int i = 0; i < mb.getOpsetImportCount(); i++) {
            OperatorSetIdProto o = mb.getOpsetImport(i);
            if (OpKey.isDefaultDomain(o.getDomain())) {
                mb.setOpsetImport(i, o.toBuilder().setVersion(TARGET));
            }
        }
        OnnxModel out = model.withProto(mb.build());
        out.validate();
        return new Outcome(out, from, rewritten);
    }

    private static void collectNames(GraphProto g, Set<String> used) {
        for (NodeProto n : g.getNodeList()) {
            used.add(n.getName());
            used.addAll(n.getOutputList());
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collectNames(a.getG(), used);
                }
                a.getGraphsList().forEach(sub -> collectNames(sub, used));
            }
        }
        g.getInputList().forEach(v -> used.add(v.getName()));
    }

    private static String fresh(String base, Set<String> used) {
        String s = base;
        for (int k = 2; !used.add(s); k++) {
            s = base + "_" + k;
        }
        return s;
    }

    private static GraphProto upgrade(GraphProto g, long from, Set<String> used, List<String> rewritten) {
        GraphProto.Builder gb = g.toBuilder().clearNode();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            // Subgraphs first, so their nodes are upgraded wherever this node ends up.
            if (n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
                NodeProto.Builder nb = n.toBuilder();
                for (int k = 0; k < nb.getAttributeCount(); k++) {
                    AttributeProto a = nb.getAttribute(k);
                    AttributeProto.Builder ab = a.toBuilder();
                    if (a.hasG()) {
                        ab.setG(upgrade(a.getG(), from, used, rewritten));
                    }
                    for (int s = 0; s < a.getGraphsCount(); s++) {
                        ab.setGraphs(s, upgrade(a.getGraphs(s), from, used, rewritten));
                    }
                    nb.setAttribute(k, ab);
                }
                n = nb.build();
            }
            if (!OpKey.isDefaultDomain(n.getDomain())) {
                gb.addNode(n);
                continue;
            }
            String label = OnnxGraph.describe(n, i);
            switch (n.getOpType()) {
                case "Squeeze", "Unsqueeze", "ReduceSum" -> attributeToInput(gb, n, "axes", 1, used, rewritten, label);
                case "Split" -> attributeToInput(gb, n, "split", 1, used, rewritten, label);
                case "Softmax", "LogSoftmax", "Hardmax" -> softmax(gb, n, used, rewritten, label);
                case "Dropout" -> {
                    if (from < 12 && attribute(n, "ratio") != null) {
                        AttributeProto ratio = attribute(n, "ratio");
                        String c = fresh((n.getName().isEmpty() ? "dropout" : n.getName()) + "_ratio", used);
                        gb.addNode(constant(c, Tensors.floats(c, new long[0], ratio.getF()), used));
                        NodeProto.Builder nb = without(n, "ratio");
                        while (nb.getInputCount() < 1) {
                            nb.addInput("");
                        }
                        nb.addInput(c);
                        gb.addNode(nb);
                        rewritten.add(label + ": ratio attribute -> input");
                    } else {
                        gb.addNode(n);
                    }
                }
                default -> gb.addNode(n);
            }
        }
        return gb.build();
    }

    private static void attributeToInput(GraphProto.Builder gb, NodeProto n, String attr, int index, Set<String> used,
                                         List<String> rewritten, String label) {
        AttributeProto a = attribute(n, attr);
        if (a == null) {
            gb.addNode(n);
            return;
        }
        long[] values = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
        String c = fresh((n.getName().isEmpty() ? n.getOpType() : n.getName()) + "_" + attr, used);
        gb.addNode(constant(c, Tensors.int64s(c, new long[] {values.length}, values), used));
        NodeProto.Builder nb = without(n, attr);
        while (nb.getInputCount() < index) {
            nb.addInput("");
        }
        if (nb.getInputCount() == index) {
            nb.addInput(c);
        } else {
            throw new ModelException("node " + label + " has both an " + attr + " attribute and input " + index);
        }
        gb.addNode(nb);
        rewritten.add(label + ": " + attr + " attribute -> input");
    }

    private static void softmax(GraphProto.Builder gb, NodeProto n, Set<String> used, List<String> rewritten,
                                String label) {
        AttributeProto a = attribute(n, "axis");
        long axis = a == null ? 1 : a.getI();
        if (axis == -1) {
            gb.addNode(n);
            return;
        }
        String base = n.getName().isEmpty() ? n.getOpType() : n.getName();
        String x = n.getInput(0);
        String flat = fresh(base + "_flat", used);
        String inner = fresh(base + "_2d", used);
        String shape = fresh(base + "_shape", used);
        gb.addNode(NodeProto.newBuilder().setOpType("Flatten").setName(fresh(base + "/Flatten", used)).addInput(x)
                .addOutput(flat).addAttribute(intAttr("axis", axis)));
        gb.addNode(without(n, "axis").setName(fresh(base + "/2d", used)).setInput(0, flat).setOutput(0, inner)
                .addAttribute(intAttr("axis", -1)));
        gb.addNode(NodeProto.newBuilder().setOpType("Shape").setName(fresh(base + "/Shape", used)).addInput(x)
                .addOutput(shape));
        gb.addNode(NodeProto.newBuilder().setOpType("Reshape").setName(n.getName().isEmpty() ? fresh(base + "/Reshape", used)
                : n.getName()).addInput(inner).addInput(shape).addOutput(n.getOutput(0)));
        rewritten.add(label + ": axis " + axis + " coerced to 2-D -> Flatten, " + n.getOpType() + "(axis=-1), Reshape");
    }

    private static AttributeProto attribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    private static NodeProto.Builder without(NodeProto n, String attr) {
        NodeProto.Builder nb = n.toBuilder().clearAttribute();
        n.getAttributeList().stream().filter(a -> !a.getName().equals(attr)).forEach(nb::addAttribute);
        return nb;
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static NodeProto constant(String output, TensorProto value, Set<String> used) {
        return NodeProto.newBuilder().setOpType("Constant").setName(fresh(output + "/Constant", used)).addOutput(output)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(value))
                .build();
    }
}

package dev.javelin.builder.legalize;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the standard-op nodes that replace one node: each new node and tensor is named
 * {@code <node name>/<op>} (made unique), so a rewritten model still says where everything came from. Ops whose
 * signature changed across opsets ({@code ReduceMean} axes, {@code Clip} bounds) are emitted for the model's
 * opset: a rewrite never raises the opset, which could change the meaning of the model's other nodes.
 */
final class Emitter {
    private final GraphEdit edit;
    private final String prefix;
    private final List<NodeProto> nodes = new ArrayList<>();

    Emitter(GraphEdit edit, String prefix) {
        this.edit = edit;
        this.prefix = prefix;
    }

    /** The nodes emitted so far, in order. */
    List<NodeProto> nodes() {
        return nodes;
    }

    /** Emits {@code op} with a fresh output name; returns it. */
    String op(String op, List<String> inputs, AttributeProto... attrs) {
        return opTo(edit.fresh(prefix + "/" + op + "_out"), op, inputs, attrs);
    }

    /** Emits {@code op} writing {@code output}; returns it. */
    String opTo(String output, String op, List<String> inputs, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(edit.fresh(prefix + "/" + op))
                .addAllInput(inputs).addOutput(output);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        nodes.add(n.build());
        return output;
    }

    /** Emits a node with several outputs (names given, {@code ""} for absent ones). */
    void opMulti(List<String> outputs, String op, List<String> inputs, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(edit.fresh(prefix + "/" + op))
                .addAllInput(inputs).addAllOutput(outputs);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        nodes.add(n.build());
    }

    /** A new scalar initializer of {@code type}. */
    String scalar(ElementType type, double value) {
        return constant(type, new long[0], value);
    }

    /** A new initializer of {@code type} and {@code dims}. */
    String constant(ElementType type, long[] dims, double... values) {
        String name = edit.fresh(prefix + "/c");
        edit.addInitializer(GraphEdit.tensor(name, type, dims, values));
        return name;
    }

    /** A new initializer holding {@code t}'s data under a fresh name. */
    String initializer(TensorProto t, String suffix) {
        String name = edit.fresh(prefix + "/" + suffix);
        edit.addInitializer(t.toBuilder().setName(name).build());
        return name;
    }

    String add(String a, String b) {
        return op("Add", List.of(a, b));
    }

    String sub(String a, String b) {
        return op("Sub", List.of(a, b));
    }

    String mul(String a, String b) {
        return op("Mul", List.of(a, b));
    }

    String div(String a, String b) {
        return op("Div", List.of(a, b));
    }

    String unary(String op, String x) {
        return op(op, List.of(x));
    }

    String cast(String x, ElementType to) {
        return op("Cast", List.of(x), GraphEdit.intAttr("to", to.onnx()));
    }

    /** Mean over {@code axes} (negative allowed), dims kept: axes are an input from opset 18, an attribute before. */
    String reduceMean(String x, long... axes) {
        if (edit.opset >= 18) {
            return op("ReduceMean", List.of(x, constant(ElementType.INT64, new long[] {axes.length}, toDoubles(axes))),
                    GraphEdit.intAttr("keepdims", 1));
        }
        return op("ReduceMean", List.of(x), GraphEdit.intsAttr("axes", axes), GraphEdit.intAttr("keepdims", 1));
    }

    /** {@code ReduceMin}/{@code ReduceMax} over all axes to a scalar (no axes: the same in every opset). */
    String reduceAll(String op, String x) {
        return op(op, List.of(x), GraphEdit.intAttr("keepdims", 0));
    }

    /** Clip to [lo, hi] of {@code type}: bounds are inputs from opset 11, attributes before. */
    String clip(String x, ElementType type, double lo, double hi) {
        if (edit.opset >= 11) {
            return op("Clip", List.of(x, scalar(type, lo), scalar(type, hi)));
        }
        return op("Clip", List.of(x), GraphEdit.floatAttr("min", (float) lo), GraphEdit.floatAttr("max", (float) hi));
    }

    private static double[] toDoubles(long[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}

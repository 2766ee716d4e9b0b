package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.util.HashSet;
import java.util.Set;

/**
 * Turns the main graph's {@code Constant} nodes into initializers of the same name (ONNX in, ONNX out; the
 * values and the graph's meaning are unchanged). Exporters such as Paddle2ONNX store every weight as a
 * {@code Constant} node; passes that work on weights (INT8 quantization, FP16 conversion) then find them where
 * ONNX keeps weights. Constants holding strings or sparse tensors, and constants that are graph outputs (an
 * initializer that is a graph output does not load in ONNX Runtime), stay nodes.
 */
public final class LiftConstants {
    /** The rewritten model and how many nodes became initializers. */
    public record Outcome(OnnxModel model, int lifted) {
    }

    private LiftConstants() {
    }

    /** Lifts the constants of the main graph. */
    public static Outcome apply(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        Set<String> outputs = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) {
            outputs.add(o.getName());
        }
        GraphProto.Builder gb = g.toBuilder().clearNode();
        int lifted = 0;
        for (NodeProto n : g.getNodeList()) {
            TensorProto value = n.getOpType().equals("Constant") && OpKey.isDefaultDomain(n.getDomain())
                    && n.getOutputCount() == 1 && !outputs.contains(n.getOutput(0)) ? value(n) : null;
            if (value == null) {
                gb.addNode(n);
            } else {
                gb.addInitializer(value.toBuilder().setName(n.getOutput(0)));
                lifted++;
            }
        }
        return lifted == 0 ? new Outcome(model, 0)
                : new Outcome(model.withProto(model.proto().toBuilder().setGraph(gb).build()), lifted);
    }

    /** The node's value as a tensor, or {@code null} for strings and sparse values. */
    private static TensorProto value(NodeProto n) {
        if (n.getAttributeCount() != 1) {
            return null;
        }
        AttributeProto a = n.getAttribute(0);
        String out = n.getOutput(0);
        return switch (a.getName()) {
            case "value" -> a.hasT() && Tensors.elementType(a.getT()) != ElementType.STRING ? a.getT() : null;
            case "value_float" -> Tensors.floats(out, new long[0], a.getF());
            case "value_floats" -> {
                float[] v = new float[a.getFloatsCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = a.getFloats(i);
                }
                yield Tensors.floats(out, new long[] {v.length}, v);
            }
            case "value_int" -> Tensors.int64s(out, new long[0], a.getI());
            case "value_ints" -> Tensors.int64s(out, new long[] {a.getIntsCount()},
                    a.getIntsList().stream().mapToLong(Long::longValue).toArray());
            default -> null;
        };
    }
}

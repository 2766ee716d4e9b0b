package dev.javelin.builder.partition;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.kernels.KernelOp;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.plan.KernelNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A kernel step from an ONNX node: the attributes its launcher needs with the ONNX defaults filled in, and constant
 * inputs that decide the output shape folded into attributes (DFT's {@code dft_length} and opset-20 {@code axis},
 * AffineGrid's {@code size}), so the GPU needs no host read for them. Other inputs stay positional.
 */
final class KernelNodes {
    private KernelNodes() {
    }

    static KernelNode of(String id, KernelOp op, NodeProto n, String nodeName, long opset, OnnxModel model,
                         Map<String, TensorProto> initializers, Long workspaceBytes) {
        List<String> inputs = new ArrayList<>(n.getInputList());
        List<String> outputs = new ArrayList<>(n.getOutputList());
        Map<String, Long> attrs = new LinkedHashMap<>();
        Map<String, List<Long>> lists = new LinkedHashMap<>();
        switch (op) {
            case DYNAMIC_QUANTIZE_LINEAR, MATMUL_INTEGER -> {
                // No attributes; MatMulInteger's zero points stay inputs (they are read on the device).
            }
            case DFT -> {
                attrs.put("inverse", intAttr(n, "inverse", 0));
                attrs.put("onesided", intAttr(n, "onesided", 0));
                if (opset < 20) {
                    attrs.put("axis", intAttr(n, "axis", 1));
                } else {
                    fold(inputs, 2, "axis", attrs, model, initializers, n);
                }
                fold(inputs, 1, "dft_length", attrs, model, initializers, n);
            }
            case AFFINE_GRID -> {
                attrs.put("align_corners", intAttr(n, "align_corners", 0));
                String size = inputs.size() > 1 ? inputs.get(1) : "";
                TensorProto t = initializers.get(size);
                if (t != null) {
                    lists.put("size", toList(values(t, model, n)));
                    inputs.set(1, "");
                }
            }
            case UNIQUE -> attrs.put("sorted", intAttr(n, "sorted", 1));
        }
        while (!inputs.isEmpty() && inputs.get(inputs.size() - 1).isEmpty()) {
            inputs.remove(inputs.size() - 1);
        }
        return new KernelNode(id, n.getOpType(), op.id(), nodeName, opset, attrs, lists, inputs, outputs, workspaceBytes);
    }

    private static void fold(List<String> inputs, int index, String attribute, Map<String, Long> attrs, OnnxModel model,
                             Map<String, TensorProto> initializers, NodeProto n) {
        if (inputs.size() <= index || inputs.get(index).isEmpty()) {
            return;
        }
        TensorProto t = initializers.get(inputs.get(index));
        if (t == null) {
            return;
        }
        long[] v = values(t, model, n);
        if (v.length != 1) {
            throw new ModelException("node '" + n.getName() + "' (" + n.getOpType() + "): input '" + t.getName() + "' ("
                    + attribute + ") must hold one value, holds " + v.length);
        }
        attrs.put(attribute, v[0]);
        inputs.set(index, "");
    }

    private static long[] values(TensorProto t, OnnxModel model, NodeProto n) {
        ElementType type = ElementType.fromOnnx(t.getDataType());
        if (type != ElementType.INT64 && type != ElementType.INT32) {
            throw new ModelException("node '" + n.getName() + "' (" + n.getOpType() + "): input '" + t.getName()
                    + "' must be int64 or int32, is " + type);
        }
        ByteBuffer b = ByteBuffer.wrap(model.tensorBytes(t)).order(ByteOrder.LITTLE_ENDIAN);
        int count = b.remaining() / (type == ElementType.INT64 ? 8 : 4);
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
            v[i] = type == ElementType.INT64 ? b.getLong() : b.getInt();
        }
        return v;
    }

    private static List<Long> toList(long[] v) {
        List<Long> l = new ArrayList<>();
        for (long x : v) {
            l.add(x);
        }
        return l;
    }

    private static long intAttr(NodeProto n, String name, long fallback) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return fallback;
    }
}

package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.ModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a model with the Q/DQ pairs of a {@link QdqPlacement.Plan} (ONNX in, ONNX out).
 *
 * <p>Format, chosen so that both TensorRT and ONNX Runtime CPU run it as int8:
 * <ul>
 *   <li>Activations: {@code QuantizeLinear -> DequantizeLinear} with a float32 scalar scale
 *       ({@code amax / 127}) and an explicit int8 scalar zero point 0 — symmetric int8, the only activation
 *       format TensorRT accepts. Each quantized input edge gets its own pair, even when several nodes read the
 *       same tensor (the shape TensorRT's QAT exports have). This matters on x86: ONNX Runtime turns an int8
 *       Q -&gt; DQ pair into uint8 with zero point 128 (the same values, its fast U8S8 path) only when the Q
 *       feeds exactly one DQ, and without that conversion it does not fuse int8 activations into its integer
 *       MatMul/Conv kernels at all.</li>
 *   <li>Weights: stored as int8 initializers, symmetric per channel ({@code [-127, 127]}, round half to even,
 *       zero points 0), with one {@code DequantizeLinear} (with {@code axis}) per weight; an all-zero channel
 *       gets scale 1. The float weight is removed when nothing else reads it.</li>
 * </ul>
 * Per-axis {@code DequantizeLinear} needs the default opset 13 or later; older models are refused.
 */
public final class QdqInserter {
    /** Largest int8 magnitude used: symmetric, so -128 is never produced. */
    static final int QMAX = 127;

    /**
     * What the rewrite did.
     *
     * @param quantizedNodes nodes with Q/DQ on their inputs, by op type
     * @param activationPairs Q/DQ pairs inserted on activation edges
     * @param weights        weights stored as int8
     * @param weightBytesBefore float32 bytes of those weights
     * @param weightBytesAfter  int8 bytes plus scales and zero points
     */
    public record Report(Map<String, Integer> quantizedNodes, int activationPairs, int weights,
                         long weightBytesBefore, long weightBytesAfter) {
        /** Total quantized nodes. */
        public int nodeCount() {
            return quantizedNodes.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** The rewritten model and the report. */
    public record Outcome(OnnxModel model, Report report) {
    }

    private QdqInserter() {
    }

    /**
     * Inserts the plan's pairs.
     *
     * @param amax clipping range of every activation of the plan
     * @throws ModelException           if the default opset is below 13
     * @throws IllegalArgumentException if an activation of the plan has no amax, or an amax is negative or not finite
     */
    public static Outcome apply(OnnxModel model, QdqPlacement.Plan plan, Map<String, Double> amax) {
        long opset = model.defaultOpset();
        if (opset < 13) {
            throw new ModelException(model.displayName() + " imports ONNX opset " + opset + "; per-channel"
                    + " QuantizeLinear/DequantizeLinear need opset 13 or later (convert the model first)");
        }
        for (String t : plan.activations()) {
            Double a = amax.get(t);
            if (a == null || !(a >= 0) || a.isInfinite()) {
                throw new IllegalArgumentException("activation '" + t + "' has no usable amax (" + a + ")");
            }
        }
        GraphProto g = model.proto().getGraph();
        Names names = new Names(g);
        Map<String, TensorProto> inits = new HashMap<>();
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));

        List<TensorProto> newInits = new ArrayList<>();
        Map<Integer, List<NodeProto>> before = new HashMap<>();
        Map<Integer, Map<Integer, String>> rewired = new HashMap<>();
        Map<String, String> weightDq = new HashMap<>(); // "<initializer>@<axis>" -> dequantized name
        Map<String, Integer> byOp = new LinkedHashMap<>();
        int pairs = 0;
        long bytesBefore = 0;
        long bytesAfter = 0;
        for (QdqPlacement.Target t : plan.targets()) {
            List<NodeProto> pre = before.computeIfAbsent(t.node(), k -> new ArrayList<>());
            Map<Integer, String> inputs = rewired.computeIfAbsent(t.node(), k -> new HashMap<>());
            for (QdqPlacement.ActivationInput a : t.activations()) {
                // Each pair has its own scale and zero point: ONNX Runtime's common-subexpression elimination
                // would otherwise merge the pairs of a tensor read by several nodes back into one Q feeding
                // several DQs, which its int8 -> uint8 conversion (and so its integer kernels) then skips.
                String scale = names.unique(a.tensor() + "_scale");
                String zp = names.unique(a.tensor() + "_zero_point");
                newInits.add(Tensors.floats(scale, new long[0], scale(amax.get(a.tensor()))));
                newInits.add(Tensors.raw(zp, ElementType.INT8, new long[0], new byte[1]));
                String q = names.unique(a.tensor() + "_quantized");
                String dq = names.unique(a.tensor() + "_dequantized");
                pre.add(NodeProto.newBuilder().setOpType("QuantizeLinear").setName(names.unique(q + "/QuantizeLinear"))
                        .addInput(a.tensor()).addInput(scale).addInput(zp).addOutput(q).build());
                pre.add(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(names.unique(dq + "/DequantizeLinear"))
                        .addInput(q).addInput(scale).addInput(zp).addOutput(dq).build());
                inputs.put(a.input(), dq);
                pairs++;
            }
            QdqPlacement.WeightInput w = t.weight();
            if (w != null) {
                String key = w.initializer() + "@" + w.axis();
                String dq = weightDq.get(key);
                if (dq == null) {
                    TensorProto wt = inits.get(w.initializer());
                    QuantizedWeight qw = quantize(wt, model.tensorBytes(wt), w.axis());
                    String base = w.initializer();
                    String qName = names.unique(base + "_quantized");
                    String sName = names.unique(base + "_scale");
                    String zName = names.unique(base + "_zero_point");
                    long[] dims = wt.getDimsList().stream().mapToLong(Long::longValue).toArray();
                    long channels = dims[w.axis()];
                    newInits.add(Tensors.raw(qName, ElementType.INT8, dims, qw.values));
                    newInits.add(Tensors.floats(sName, new long[] {channels}, qw.scales));
                    newInits.add(Tensors.raw(zName, ElementType.INT8, new long[] {channels}, new byte[(int) channels]));
                    dq = names.unique(base + "_dequantized");
                    pre.add(NodeProto.newBuilder().setOpType("DequantizeLinear")
                            .setName(names.unique(dq + "/DequantizeLinear"))
                            .addInput(qName).addInput(sName).addInput(zName).addOutput(dq)
                            .addAttribute(AttributeProto.newBuilder().setName("axis")
                                    .setType(AttributeProto.AttributeType.INT).setI(w.axis()))
                            .build());
                    weightDq.put(key, dq);
                    bytesBefore += Tensors.dataBytes(wt);
                    bytesAfter += qw.values.length + channels * 5L;
                }
                inputs.put(w.input(), dq);
            }
            byOp.merge(t.opType(), 1, Integer::sum);
        }

        GraphProto.Builder gb = g.toBuilder().clearNode();
        for (int i = 0; i < g.getNodeCount(); i++) {
            before.getOrDefault(i, List.of()).forEach(gb::addNode);
            NodeProto n = g.getNode(i);
            Map<Integer, String> inputs = rewired.get(i);
            if (inputs != null) {
                NodeProto.Builder nb = n.toBuilder();
                inputs.forEach(nb::setInput);
                n = nb.build();
            }
            gb.addNode(n);
        }
        gb.addAllInitializer(newInits);
        removeUnreadInitializers(gb, weightDq.keySet().stream().map(k -> k.substring(0, k.lastIndexOf('@'))).toList());
        ModelProto out = model.proto().toBuilder().setGraph(gb).build();
        OnnxModel result = model.withProto(out);
        result.validate();
        return new Outcome(result, new Report(byOp, pairs, weightDq.size(), bytesBefore, bytesAfter));
    }

    /** The scale for a clipping range; 0 (an all-zero activation) gets the smallest normal float instead. */
    static float scale(double amax) {
        float s = (float) (amax / QMAX);
        return s > 0 ? s : Float.MIN_NORMAL;
    }

    /** int8 values and per-channel scales of a float32 weight. */
    record QuantizedWeight(byte[] values, float[] scales) {
    }

    /** Symmetric per-channel quantization of a float32 tensor (little-endian bytes) along {@code axis}. */
    static QuantizedWeight quantize(TensorProto t, byte[] raw, int axis) {
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        int channels = Math.toIntExact(dims[axis]);
        long inner = 1;
        for (int k = axis + 1; k < dims.length; k++) {
            inner *= dims[k];
        }
        long outer = 1;
        for (int k = 0; k < axis; k++) {
            outer *= dims[k];
        }
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(outer * channels * inner);
        float[] amax = new float[channels];
        for (int i = 0; i < n; i++) {
            int c = (int) ((i / inner) % channels);
            float v = Math.abs(b.getFloat(i * 4));
            if (v > amax[c]) {
                amax[c] = v;
            }
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            scales[c] = amax[c] > 0 ? amax[c] / QMAX : 1f;
        }
        byte[] q = new byte[n];
        for (int i = 0; i < n; i++) {
            int c = (int) ((i / inner) % channels);
            double v = Math.rint(b.getFloat(i * 4) / scales[c]);
            q[i] = (byte) Math.max(-QMAX, Math.min(QMAX, v));
        }
        return new QuantizedWeight(q, scales);
    }

    private static void removeUnreadInitializers(GraphProto.Builder gb, List<String> candidates) {
        GraphProto g = gb.build();
        Set<String> read = new HashSet<>(OnnxGraph.of(g).consumers().keySet());
        g.getOutputList().forEach(o -> read.add(o.getName()));
        Set<String> inputs = new HashSet<>();
        g.getInputList().forEach(v -> inputs.add(v.getName()));
        Set<String> drop = new HashSet<>();
        for (String c : candidates) {
            if (!read.contains(c) && !inputs.contains(c)) {
                drop.add(c);
            }
        }
        if (drop.isEmpty()) {
            return;
        }
        gb.clearInitializer();
        g.getInitializerList().stream().filter(t -> !drop.contains(t.getName())).forEach(gb::addInitializer);
        gb.clearValueInfo();
        g.getValueInfoList().stream().filter(v -> !drop.contains(v.getName())).forEach(gb::addValueInfo);
    }

    /** Fresh names that collide with nothing in the graph (values and node names). */
    private static final class Names {
        private final Set<String> used = new HashSet<>();

        Names(GraphProto g) {
            g.getInputList().forEach(v -> used.add(v.getName()));
            g.getOutputList().forEach(v -> used.add(v.getName()));
            g.getValueInfoList().forEach(v -> used.add(v.getName()));
            g.getInitializerList().forEach(t -> used.add(t.getName()));
            for (NodeProto n : g.getNodeList()) {
                used.add(n.getName());
                used.addAll(n.getOutputList());
                used.addAll(n.getInputList());
            }
        }

        String unique(String base) {
            String s = base;
            for (int k = 2; !used.add(s); k++) {
                s = base + "_" + k;
            }
            return s;
        }
    }
}

package dev.javelin.builder.legalize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OrtRun;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Integer-arithmetic quantized graphs become TensorRT-buildable float or Q/DQ graphs, checked on ONNX Runtime CPU. */
class QuantLegalizationTest {
    @TempDir
    Path tmp;

    private static final TensorRtOpSupport TRT = TensorRtOpSupport.pinned();
    static final int N = 8;
    static final int K = 64;
    static final int M = 128;
    static final int O = 32;

    private static byte[] bytes(long seed, int n, int lo, int hi) {
        float[] u = OrtRun.uniform(seed, n, lo, hi + 1);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) Math.floor(u[i]);
        }
        return b;
    }

    private static TensorProto int8(String name, long[] dims, byte[] v) {
        return Tensors.raw(name, ElementType.INT8, dims, v);
    }

    private static TensorProto uint8(String name, long[] dims, byte[] v) {
        return Tensors.raw(name, ElementType.UINT8, dims, v);
    }

    static final byte[] W1 = bytes(1, K * M, -127, 127);
    static final float W1_SCALE = 0.004f;
    static final byte[] W2 = bytes(2, M * O, 0, 255);
    static final byte[] W2_ZP = bytes(3, O, 120, 136);
    static final float[] W2_SCALE = OrtRun.uniform(4, O, 0.001f, 0.003f);
    static final float[] B1 = OrtRun.uniform(5, M, -0.2f, 0.2f);
    static final float[] B2 = OrtRun.uniform(6, O, -0.2f, 0.2f);

    /**
     * A two-layer MLP as ONNX Runtime's quantize_dynamic writes it: per layer DynamicQuantizeLinear -> MatMulInteger
     * -> Cast(float) -> Mul by (x_scale · w_scale) -> Add bias. Layer 1: int8 weights, per-tensor scale, zero point 0;
     * layer 2: uint8 weights, per-column scales and zero points. Outputs y1 (layer 1 before the bias), r1 and out.
     */
    static OnnxModel dynamicMlp() {
        OnnxGraphBuilder g = OnnxGraphBuilder.graph("mlp")
                .input("x", ElementType.FLOAT, "n", K)
                .output("out", ElementType.FLOAT, "n", O).output("y1", ElementType.FLOAT, "n", M).output("r1", ElementType.FLOAT, "n", M)
                .initializer(int8("w1", new long[] {K, M}, W1))
                .initializer(int8("w1_zp", new long[0], new byte[] {0}))
                .initializer(Tensors.floats("w1_scale", new long[0], W1_SCALE))
                .initializer(Tensors.floats("b1", new long[] {M}, B1))
                .initializer(uint8("w2", new long[] {M, O}, W2))
                .initializer(uint8("w2_zp", new long[] {O}, W2_ZP))
                .initializer(Tensors.floats("w2_scale", new long[] {O}, W2_SCALE))
                .initializer(Tensors.floats("b2", new long[] {O}, B2))
                .opset("", 14);
        layer(g, "l1", "x", "w1", "w1_zp", "w1_scale", "y1");
        g.node("Add").inputs("y1", "b1").outputs("a1").add();
        g.node("Relu").inputs("a1").outputs("r1").add();
        layer(g, "l2", "r1", "w2", "w2_zp", "w2_scale", "y2");
        g.node("Add").inputs("y2", "b2").outputs("out").add();
        return OnnxModel.of(g.buildModel(), null);
    }

    private static void layer(OnnxGraphBuilder g, String p, String x, String w, String wzp, String ws, String y) {
        g.node("DynamicQuantizeLinear").name(p + "/dql").inputs(x).outputs(p + "/xq", p + "/xs", p + "/xz").add()
                .node("MatMulInteger").name(p + "/mmi").inputs(p + "/xq", w, p + "/xz", wzp).outputs(p + "/acc").add()
                .node("Cast").name(p + "/cast").inputs(p + "/acc").outputs(p + "/accf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .node("Mul").name(p + "/scale").inputs(p + "/xs", ws).outputs(p + "/s").add()
                .node("Mul").name(p + "/rescale").inputs(p + "/accf", p + "/s").outputs(y).add();
    }

    @Test
    void dynamicQuantizedMlpBecomesFloatWithinTheStatedBound() {
        OnnxModel original = dynamicMlp();
        assertEquals(Set.of("DynamicQuantizeLinear", "MatMulInteger"),
                TRT.check(original.proto()).stream().map(TensorRtOpSupport.Finding::op).collect(Collectors.toSet()));
        Legalizer.Legalization l = Legalizer.legalize(original);
        assertEquals(List.of(), TRT.check(l.model().proto()));
        assertTrue(l.report().fullyBuildable());
        assertEquals(4, l.report().decisions(Decision.REWRITE).size());
        assertEquals(List.of("MatMul", "Add", "Relu", "MatMul", "Add"),
                l.model().proto().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
        NodeDecision mm1 = l.report().decisions().stream().filter(d -> d.node().equals("l1/mmi")).findFirst().orElseThrow();
        NodeDecision mm2 = l.report().decisions().stream().filter(d -> d.node().equals("l2/mmi")).findFirst().orElseThrow();
        double c1 = QuantRewrites.chainBoundFactor(mm1.tolerance());
        double c2 = QuantRewrites.chainBoundFactor(mm2.tolerance());

        // Closed form of C: max over columns of sum |W_float| / 255.
        double expectC1 = 0;
        for (int n = 0; n < M; n++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                s += Math.abs(W1[k * M + n] * W1_SCALE);
            }
            expectC1 = Math.max(expectC1, s / 255);
        }
        assertEquals(expectC1, c1, expectC1 * 1e-5);

        float[] x = OrtRun.uniform(10, N * K, -3, 5);
        try (Tensor xt = Tensor.of(x, Shape.of(N, K))) {
            Map<String, float[]> orig = OrtRun.floats(original, tmp, Map.of("x", xt));
            Map<String, float[]> legal = OrtRun.floats(l.model(), tmp, Map.of("x", xt));
            // Layer 1: within the stated bound of the original (plus float32 accumulation slack) ...
            double rangeX = max(x, 0) - min(x, 0);
            double e1 = checkBound(orig.get("y1"), legal.get("y1"), c1 * rangeX);
            assertTrue(e1 > 0, "the original quantized x, so it differs from the float rewrite");
            // ... and equal to the float model computed here: x @ ((W1 - 0) * scale).
            for (int i = 0; i < N; i++) {
                for (int n = 0; n < M; n++) {
                    double ref = 0;
                    for (int k = 0; k < K; k++) {
                        ref += x[i * K + k] * (double) (W1[k * M + n] * W1_SCALE);
                    }
                    assertEquals(ref, legal.get("y1")[i * M + n], 1e-5 * (1 + Math.abs(ref)));
                }
            }
            // Layer 2 takes r1 = relu(y1 + b1), which differs by at most e1; its own bound adds C2 · range(r1).
            float[] r1 = legal.get("r1");
            double bound2 = c2 * (max(r1, 0) + e1) + 255 * c2 * e1;
            checkBound(orig.get("out"), legal.get("out"), bound2);
        }
    }

    /** Checks |a - b| <= bound + float slack everywhere; returns the max difference. */
    private static double checkBound(float[] orig, float[] legal, double bound) {
        double worst = OrtRun.maxAbsDiff(orig, legal);
        for (int i = 0; i < orig.length; i++) {
            double slack = 1e-5 * (1 + Math.abs(orig[i]));
            assertTrue(Math.abs(orig[i] - legal[i]) <= bound + slack, "at " + i + ": " + orig[i] + " vs " + legal[i]
                    + ", bound " + bound);
        }
        assertTrue(worst < bound, "the bound is not vacuous here: max diff " + worst + " < " + bound);
        return worst;
    }

    /** ConvInteger with uint8 weights and a zero point, as quantize_dynamic writes a Conv, becomes a float Conv. */
    @Test
    void dynamicQuantizedConvBecomesFloatConv() {
        byte[] w = bytes(20, 8 * 3 * 3 * 3, 0, 255);
        OnnxModel original = OnnxModel.of(OnnxGraphBuilder.graph("conv")
                .input("x", ElementType.FLOAT, 1, 3, 16, 16).output("y", ElementType.FLOAT, 1, 8, 16, 16)
                .initializer(uint8("w", new long[] {8, 3, 3, 3}, w))
                .initializer(uint8("w_zp", new long[0], new byte[] {(byte) 131}))
                .initializer(Tensors.floats("w_scale", new long[0], 0.003f))
                .node("DynamicQuantizeLinear").name("dql").inputs("x").outputs("xq", "xs", "xz").add()
                .node("ConvInteger").name("conv").inputs("xq", "w", "xz", "w_zp").outputs("acc")
                .attr("pads", new long[] {1, 1, 1, 1}).attr("kernel_shape", new long[] {3, 3}).add()
                .node("Cast").inputs("acc").outputs("accf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .node("Mul").inputs("xs", "w_scale").outputs("s").add()
                .node("Mul").inputs("accf", "s").outputs("y").add()
                .opset("", 14).buildModel(), null);
        Legalizer.Legalization l = Legalizer.legalize(original);
        assertEquals(List.of(), TRT.check(l.model().proto()));
        assertEquals(List.of("Conv"), l.model().proto().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
        NodeDecision d = l.report().decisions().stream().filter(x -> x.op().equals("ConvInteger")).findFirst().orElseThrow();
        double c = QuantRewrites.chainBoundFactor(d.tolerance());
        float[] x = OrtRun.uniform(21, 3 * 16 * 16, -1, 2);
        try (Tensor xt = Tensor.of(x, Shape.of(1, 3, 16, 16))) {
            float[] orig = OrtRun.floats(original, tmp, Map.of("x", xt)).get("y");
            float[] legal = OrtRun.floats(l.model(), tmp, Map.of("x", xt)).get("y");
            checkBound(orig, legal, c * (max(x, 0) - min(x, 0)));
        }
    }

    /**
     * QLinearMatMul (uint8 activations with a zero point, int8 weights with per-column scales) and QLinearConv
     * (per-channel weight scales, int32 bias) become DequantizeLinear -> MatMul/Conv -> QuantizeLinear: the integer
     * outputs equal ONNX Runtime's, except by one step at a rounding tie.
     */
    @Test
    void qlinearOpsBecomeQdqWithinOneStep() {
        byte[] b = bytes(30, 32 * 24, -127, 127);
        OnnxModel mm = OnnxModel.of(OnnxGraphBuilder.graph("qmm")
                .input("a", ElementType.UINT8, 16, 32).output("y", ElementType.UINT8, 16, 24)
                .initializer(Tensors.floats("a_scale", new long[0], 0.02f))
                .initializer(uint8("a_zp", new long[0], new byte[] {(byte) 128}))
                .initializer(int8("b", new long[] {32, 24}, b))
                .initializer(Tensors.floats("b_scale", new long[] {24}, OrtRun.uniform(31, 24, 0.002f, 0.006f)))
                .initializer(int8("b_zp", new long[] {24}, new byte[24]))
                .initializer(Tensors.floats("y_scale", new long[0], 0.01f))
                .initializer(uint8("y_zp", new long[0], new byte[] {(byte) 120}))
                .node("QLinearMatMul").name("qmm").inputs("a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp")
                .outputs("y").add().opset("", 14).buildModel(), null);
        byte[] w = bytes(32, 6 * 3 * 3 * 3, -127, 127);
        int[] bias = {1000, -2000, 0, 500, 3000, -700};
        OnnxModel conv = OnnxModel.of(OnnxGraphBuilder.graph("qconv")
                .input("x", ElementType.UINT8, 1, 3, 12, 12).output("y", ElementType.UINT8, 1, 6, 12, 12)
                .initializer(Tensors.floats("x_scale", new long[0], 0.03f))
                .initializer(uint8("x_zp", new long[0], new byte[] {(byte) 128}))
                .initializer(int8("w", new long[] {6, 3, 3, 3}, w))
                .initializer(Tensors.floats("w_scale", new long[] {6}, OrtRun.uniform(33, 6, 0.002f, 0.006f)))
                .initializer(int8("w_zp", new long[] {6}, new byte[6]))
                .initializer(Tensors.floats("y_scale", new long[0], 0.05f))
                .initializer(uint8("y_zp", new long[0], new byte[] {(byte) 100}))
                .initializer(Tensors.int32s("bias", new long[] {6}, bias))
                .node("QLinearConv").name("qconv").inputs("x", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "bias")
                .outputs("y").attr("pads", new long[] {1, 1, 1, 1}).attr("kernel_shape", new long[] {3, 3}).add()
                .opset("", 14).buildModel(), null);
        for (Object[] c : new Object[][] {{mm, "a", new long[] {16, 32}, "MatMul"}, {conv, "x", new long[] {1, 3, 12, 12}, "Conv"}}) {
            OnnxModel original = (OnnxModel) c[0];
            long[] shape = (long[]) c[2];
            Legalizer.Legalization l = Legalizer.legalize(original);
            assertEquals(List.of(), TRT.check(l.model().proto()));
            assertTrue(l.model().proto().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList()
                    .containsAll(List.of("DequantizeLinear", c[3], "QuantizeLinear")));
            NodeDecision d = l.report().decisions().get(0);
            assertEquals(1.0, d.tolerance().atol());
            assertTrue(d.detail().contains("uint8"), "the zero-point caveat for TensorRT is stated: " + d.detail());
            int n = (int) java.util.Arrays.stream(shape).reduce(1, (p, q) -> p * q);
            byte[] in = bytes(34, n, 0, 255);
            try (Tensor t = Tensor.of(DType.UINT8, in, Shape.of(shape))) {
                byte[] want = OrtRun.raw(original, tmp, Map.of((String) c[1], t)).get("y");
                byte[] got = OrtRun.raw(l.model(), tmp, Map.of((String) c[1], t)).get("y");
                int off = 0;
                int spread = 0;
                for (int i = 0; i < want.length; i++) {
                    int delta = Math.abs((want[i] & 0xff) - (got[i] & 0xff));
                    assertTrue(delta <= 1, c[3] + " at " + i + ": " + (want[i] & 0xff) + " vs " + (got[i] & 0xff));
                    off += delta;
                    spread = Math.max(spread, want[i] & 0xff);
                }
                assertTrue(off <= want.length / 100, c[3] + ": " + off + " of " + want.length + " off by one");
                assertTrue(spread > 150, "outputs use the integer range (max " + spread + ")");
            }
        }
    }

    static double max(float[] v, double floor) {
        double m = floor;
        for (float f : v) {
            m = Math.max(m, f);
        }
        return m;
    }

    static double min(float[] v, double ceil) {
        double m = ceil;
        for (float f : v) {
            m = Math.min(m, f);
        }
        return m;
    }

    /** MelWeightMatrix of constant inputs is folded: the model computes the same bits, with no MelWeightMatrix left. */
    @Test
    void melWeightMatrixIsFoldedAndTheOutputIsUnchanged() {
        OnnxModel original = OnnxModel.of(OnnxGraphBuilder.graph("mel")
                .input("spec", ElementType.FLOAT, 1, 10, 33).output("mel_spec", ElementType.FLOAT, 1, 10, 8)
                .initializer(Tensors.int64s("bins", new long[0], 8))
                .initializer(Tensors.int64s("dft", new long[0], 64))
                .initializer(Tensors.int64s("rate", new long[0], 16000))
                .initializer(Tensors.floats("lo", new long[0], 20f))
                .initializer(Tensors.floats("hi", new long[0], 8000f))
                .node("MelWeightMatrix").name("mel").inputs("bins", "dft", "rate", "lo", "hi").outputs("weights").add()
                .node("MatMul").inputs("spec", "weights").outputs("mel_spec").add()
                .buildModel(), null);
        assertEquals(List.of("MelWeightMatrix"), TRT.check(original.proto()).stream().map(TensorRtOpSupport.Finding::op).toList());
        Legalizer.Legalization l = Legalizer.legalize(original);
        assertEquals(List.of(), TRT.check(l.model().proto()));
        NodeDecision d = l.report().decisions().get(0);
        assertEquals(Decision.FOLD, d.decision());
        assertTrue(d.detail().endsWith("weights = float32[33, 8]"), d.detail());
        assertEquals(List.of("MatMul"), l.model().proto().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
        float[] spec = OrtRun.uniform(40, 330, 0, 10);
        try (Tensor s = Tensor.of(spec, Shape.of(1, 10, 33))) {
            byte[] want = OrtRun.raw(original, tmp, Map.of("spec", s)).get("mel_spec");
            byte[] got = OrtRun.raw(l.model(), tmp, Map.of("spec", s)).get("mel_spec");
            assertArrayEquals(want, got);
            assertTrue(OrtRun.maxAbsDiff(OrtRun.toFloats(got), new float[80]) > 1, "a real spectrum came through");
        }
    }
}

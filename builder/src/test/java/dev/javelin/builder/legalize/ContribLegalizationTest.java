package dev.javelin.builder.legalize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OrtCpu;
import dev.javelin.builder.onnx.OrtRun;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A transformer block as ONNX Runtime's transformer optimizer writes it — contrib ops from com.microsoft — becomes
 * buildable by TensorRT and computes the same on ONNX Runtime CPU within the stated tolerances.
 */
class ContribLegalizationTest {
    @TempDir
    Path tmp;

    static final int B = 2;
    static final int S = 16;
    static final int H = 128;
    static final int F = 512;

    private static float[] weights(long seed, int n, float scale) {
        return OrtRun.uniform(seed, n, -scale, scale);
    }

    /**
     * SkipLayerNormalization (with beta, bias and the input_skip_bias_sum output) -> MatMul -> BiasGelu -> MatMul ->
     * FastGelu(bias) -> QuickGelu -> Gelu -> SkipSimplifiedLayerNormalization -> FusedMatMul(transB, alpha) ->
     * SimplifiedLayerNormalization (the ORT contrib op in the default domain). Outputs: the last and the skip sum.
     */
    static OnnxModel block(long opset) {
        return OnnxModel.of(OnnxGraphBuilder.graph("block")
                .input("x", ElementType.FLOAT, "batch", S, H).input("residual", ElementType.FLOAT, "batch", S, H)
                .output("out", ElementType.FLOAT, "batch", S, H).output("skip_sum", ElementType.FLOAT, "batch", S, H)
                .initializer(Tensors.floats("gamma", new long[] {H}, OrtRun.uniform(1, H, 0.5f, 1.5f)))
                .initializer(Tensors.floats("beta", new long[] {H}, weights(2, H, 0.1f)))
                .initializer(Tensors.floats("ln_bias", new long[] {H}, weights(3, H, 0.1f)))
                .initializer(Tensors.floats("w1", new long[] {H, F}, weights(4, H * F, 0.09f)))
                .initializer(Tensors.floats("b1", new long[] {F}, weights(5, F, 0.1f)))
                .initializer(Tensors.floats("w2", new long[] {F, H}, weights(6, F * H, 0.045f)))
                .initializer(Tensors.floats("fg_bias", new long[] {H}, weights(7, H, 0.1f)))
                .initializer(Tensors.floats("gamma2", new long[] {H}, OrtRun.uniform(8, H, 0.5f, 1.5f)))
                .initializer(Tensors.floats("w3", new long[] {H, H}, weights(9, H * H, 0.09f)))
                .node("SkipLayerNormalization").domain("com.microsoft").name("sln")
                .inputs("x", "residual", "gamma", "beta", "ln_bias").outputs("ln1", "", "", "skip_sum")
                .attr("epsilon", 1e-12f).add()
                .node("MatMul").name("ffn_in").inputs("ln1", "w1").outputs("h").add()
                .node("BiasGelu").domain("com.microsoft").name("bias_gelu").inputs("h", "b1").outputs("g1").add()
                .node("MatMul").name("ffn_out").inputs("g1", "w2").outputs("o").add()
                .node("FastGelu").domain("com.microsoft").name("fast_gelu").inputs("o", "fg_bias").outputs("fg").add()
                .node("QuickGelu").domain("com.microsoft").name("quick_gelu").inputs("fg").outputs("qg").attr("alpha", 1.702f).add()
                .node("Gelu").domain("com.microsoft").name("gelu").inputs("qg").outputs("ge").add()
                .node("SkipSimplifiedLayerNormalization").domain("com.microsoft").name("rms")
                .inputs("ge", "skip_sum", "gamma2").outputs("y2").attr("epsilon", 1e-6f).add()
                .node("FusedMatMul").domain("com.microsoft").name("fused_mm").inputs("y2", "w3").outputs("z")
                .attr("transB", 1L).attr("alpha", 0.125f).add()
                .node("SimplifiedLayerNormalization").name("final_rms").inputs("z", "gamma2").outputs("out")
                .attr("axis", -1L).attr("epsilon", 1e-6f).add()
                .opset("", opset).opset("com.microsoft", 1)
                .buildModel(), null);
    }

    @Test
    void transformerBlockBecomesBuildableAndMatchesOnnxRuntime() {
        for (long opset : new long[] {14, 17}) {
            OnnxModel original = block(opset);
            TensorRtOpSupport trt = TensorRtOpSupport.pinned();
            assertEquals(Set.of("com.microsoft:SkipLayerNormalization", "com.microsoft:BiasGelu", "com.microsoft:FastGelu",
                            "com.microsoft:QuickGelu", "com.microsoft:Gelu", "com.microsoft:SkipSimplifiedLayerNormalization",
                            "com.microsoft:FusedMatMul", "SimplifiedLayerNormalization"),
                    trt.check(original.proto()).stream().map(TensorRtOpSupport.Finding::op).collect(Collectors.toSet()));

            Legalizer.Legalization l = Legalizer.legalize(original);
            assertEquals(List.of(), trt.check(l.model().proto()), "opset " + opset + ": every op buildable by the table");
            assertTrue(l.report().fullyBuildable());
            assertEquals(8, l.report().decisions(Decision.REWRITE).size(), l.report().decisions().toString());
            assertEquals(Set.of(""), l.model().proto().getGraph().getNodeList().stream().map(NodeProto::getDomain)
                    .collect(Collectors.toSet()), "only standard ops are left");
            boolean standardLn = l.model().proto().getGraph().getNodeList().stream()
                    .anyMatch(n -> n.getOpType().equals("LayerNormalization"));
            assertEquals(opset >= 17, standardLn, "opset 17+ uses the standard LayerNormalization, older ones ReduceMean chains");

            float[] x = OrtRun.uniform(21, B * S * H, -2, 2);
            float[] r = OrtRun.uniform(22, B * S * H, -2, 2);
            try (Tensor xt = Tensor.of(x, Shape.of(B, S, H)); Tensor rt = Tensor.of(r, Shape.of(B, S, H))) {
                Map<String, Tensor> in = Map.of("x", xt, "residual", rt);
                Map<String, float[]> want = OrtRun.floats(original, tmp, in);
                Map<String, float[]> got = OrtRun.floats(l.model(), tmp, in);
                assertArrayEquals(want.get("skip_sum"), got.get("skip_sum"), "input + skip + bias: same adds, same order");
                // End to end through nine rewritten ops, with and without ONNX Runtime's fusions: within 2e-5
                // absolute on outputs of unit scale (measured 1.3e-6 .. 1.5e-6); each op's own stated tolerance is
                // checked by the per-op test below (measured at most 9.5e-7 there).
                float[] plain = unoptimized(l.model(), Map.of("x", x, "residual", r)).get("out");
                for (float[] o : List.of(got.get("out"), plain)) {
                    double diff = OrtRun.maxAbsDiff(want.get("out"), o);
                    assertTrue(diff < 2e-5, "opset " + opset + ": max |diff| " + diff);
                }
            }
        }
    }

    /** Each rewritten op on its own against ONNX Runtime's kernel, with the tolerance its decision states. */
    @Test
    void eachRewriteIsWithinItsStatedTolerance() {
        float[] x = OrtRun.uniform(31, B * S * H, -4, 4);
        float[] skip = OrtRun.uniform(32, B * S * H, -4, 4);
        String[][] cases = {
                {"Gelu", "x"}, {"BiasGelu", "x,vec"}, {"FastGelu", "x"}, {"FastGelu", "x,vec"}, {"QuickGelu", "x"},
                {"SkipLayerNormalization", "x,skip,gamma"}, {"SkipLayerNormalization", "x,skip,gamma,vec,vec2"},
                {"SkipSimplifiedLayerNormalization", "x,skip,gamma,vec"}, {"FusedMatMul", "x,mat"}};
        for (String[] c : cases) {
          for (long opset : new long[] {14, 17}) {
            OnnxGraphBuilder b = OnnxGraphBuilder.graph("op").input("x", ElementType.FLOAT, B, S, H)
                    .input("skip", ElementType.FLOAT, B, S, H).output("y", ElementType.FLOAT, null)
                    .initializer(Tensors.floats("vec", new long[] {H}, weights(33, H, 0.5f)))
                    .initializer(Tensors.floats("vec2", new long[] {H}, weights(34, H, 0.5f)))
                    .initializer(Tensors.floats("gamma", new long[] {H}, OrtRun.uniform(35, H, 0.5f, 1.5f)))
                    .initializer(Tensors.floats("mat", new long[] {H, H}, weights(36, H * H, 0.1f)))
                    .opset("", opset).opset("com.microsoft", 1);
            OnnxGraphBuilder.NodeBuilder nb = b.node(c[0]).domain("com.microsoft").inputs(c[1].split(",")).outputs("y");
            if (c[0].equals("FusedMatMul")) {
                nb.attr("transB", 1L).attr("alpha", 0.3f);
            }
            OnnxModel m = OnnxModel.of(nb.add().buildModel(), null);
            Legalizer.Legalization l = Legalizer.legalize(m);
            NodeDecision d = l.report().decisions().get(0);
            assertEquals(Decision.REWRITE, d.decision(), d.toString());
            try (Tensor xt = Tensor.of(x, Shape.of(B, S, H)); Tensor st = Tensor.of(skip, Shape.of(B, S, H))) {
                Map<String, Tensor> in = Map.of("x", xt, "skip", st);
                float[] want = OrtRun.floats(m, tmp, in).get("y");
                // Two evaluations of the rewrite: ONNX Runtime with its graph optimizations (which may fuse the
                // standard ops back into its own kernels) and without (each op on its own, as written).
                float[] fused = OrtRun.floats(l.model(), tmp, in).get("y");
                float[] plain = unoptimized(l.model(), Map.of("x", x, "skip", skip)).get("y");
                Tolerance t = d.tolerance();
                for (float[] got : List.of(fused, plain)) {
                    double worst = 0;
                    for (int i = 0; i < want.length; i++) {
                        double excess = Math.abs(got[i] - want[i]) - (t.atol() + t.rtol() * Math.abs(want[i]));
                        worst = Math.max(worst, excess);
                    }
                    assertTrue(worst <= 0, c[0] + "(" + c[1] + "): exceeds " + t + " by " + worst + "; max |diff| "
                            + OrtRun.maxAbsDiff(want, got));
                }
            }
          }
        }
    }

    /** Runs float32 inputs of shape [B, S, H] through ONNX Runtime CPU without graph optimizations. */
    static Map<String, float[]> unoptimized(OnnxModel m, Map<String, float[]> inputs) {
        Map<String, dev.javelin.builder.onnx.proto.TensorProto> feeds = new java.util.HashMap<>();
        inputs.forEach((k, v) -> feeds.put(k, Tensors.floats(k, new long[] {B, S, H}, v)));
        Map<String, float[]> out = new java.util.HashMap<>();
        OrtCpu.evaluate(m, feeds).forEach((k, t) -> out.put(k, Tensors.toFloats(t.getRawData().toByteArray())));
        return out;
    }

    /** BiasAdd has only a CUDA kernel in ONNX Runtime, so the reference is the closed form (X + bias) + skip. */
    @Test
    void biasAddIsTwoAddsExactly() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("op").input("x", ElementType.FLOAT, 1, 4, 3)
                .input("skip", ElementType.FLOAT, 1, 4, 3).output("y", ElementType.FLOAT, 1, 4, 3)
                .initializer(Tensors.floats("bias", new long[] {3}, 0.25f, -1.5f, 3f))
                .node("BiasAdd").domain("com.microsoft").inputs("x", "bias", "skip").outputs("y").add()
                .opset("com.microsoft", 1).buildModel(), null);
        Legalizer.Legalization l = Legalizer.legalize(m);
        assertTrue(l.report().fullyBuildable());
        assertEquals(null, l.report().decisions().get(0).tolerance(), "exact");
        float[] x = OrtRun.uniform(41, 12, -3, 3);
        float[] s = OrtRun.uniform(42, 12, -3, 3);
        float[] bias = {0.25f, -1.5f, 3f};
        try (Tensor xt = Tensor.of(x, Shape.of(1, 4, 3)); Tensor st = Tensor.of(s, Shape.of(1, 4, 3))) {
            float[] y = OrtRun.floats(l.model(), tmp, Map.of("x", xt, "skip", st)).get("y");
            for (int i = 0; i < 12; i++) {
                assertEquals((x[i] + bias[i % 3]) + s[i], y[i], 0f);
            }
        }
    }

    /**
     * LayerNormalization and SimplifiedLayerNormalization written under com.microsoft (ONNX Runtime itself registers
     * them in the default domain and rejects this) become standard ops matching ONNX Runtime's default-domain kernels,
     * over the last two axes (axis = -2) at opset 14.
     */
    @Test
    void contribDomainNormalizationsMatchOnnxRuntimesDefaultDomainKernels() {
        for (String op : List.of("LayerNormalization", "SimplifiedLayerNormalization")) {
            OnnxGraphBuilder g = OnnxGraphBuilder.graph("op").input("x", ElementType.FLOAT, B, S, H)
                    .output("y", ElementType.FLOAT, B, S, H)
                    .initializer(Tensors.floats("scale", new long[] {S, H}, OrtRun.uniform(51, S * H, 0.5f, 1.5f)))
                    .opset("", 14).opset("com.microsoft", 1);
            OnnxModel contrib = OnnxModel.of(g.node(op).domain("com.microsoft").inputs("x", "scale").outputs("y")
                    .attr("axis", -2L).attr("epsilon", 1e-5f).add().buildModel(), null);
            OnnxModel ortDomain = OnnxModel.of(contrib.proto().toBuilder().setGraph(contrib.proto().getGraph().toBuilder()
                    .setNode(0, contrib.proto().getGraph().getNode(0).toBuilder().setDomain(""))).build(), null);
            Legalizer.Legalization l = Legalizer.legalize(contrib);
            assertTrue(l.report().fullyBuildable(), l.report().summary().toString());
            NodeDecision d = l.report().decisions().get(0);
            float[] x = OrtRun.uniform(52, B * S * H, -3, 5);
            try (Tensor xt = Tensor.of(x, Shape.of(B, S, H))) {
                float[] want = OrtRun.floats(ortDomain, tmp, Map.of("x", xt)).get("y");
                float[] got = unoptimized(l.model(), Map.of("x", x)).get("y");
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], d.tolerance().atol() + d.tolerance().rtol() * Math.abs(want[i]), op + " at " + i);
                }
            }
        }
    }
}

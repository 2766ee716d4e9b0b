package dev.javelin.builder.legalize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OrtRun;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How decisions are made: prefer kernels, per-node fallbacks, folds, kernels, unsupported ops, the report's JSON. */
class LegalizerDecisionsTest {
    @TempDir
    Path tmp;

    @Test
    void preferKernelsKeepsTheIntegerOpsForJavelinKernels() {
        OnnxModel original = QuantLegalizationTest.dynamicMlp();
        Legalizer.Legalization l = Legalizer.with(Legalizer.Options.defaults().withPrefer(Prefer.KERNELS)).apply(original);
        assertEquals(4, l.report().decisions(Decision.KERNEL).size());
        NodeDecision d = l.report().decisions().get(0);
        assertEquals("DynamicQuantizeLinear", d.op());
        assertTrue(d.detail().startsWith("Javelin CUDA kernel dynamic_quantize_linear.cu runs it between TensorRT engine "
                + "segments"), d.detail());
        assertEquals(List.of("DynamicQuantizeLinear", "MatMulInteger"), l.report().remaining().stream().map(RemainingOp::op)
                .sorted().toList());
        assertTrue(l.report().remaining().stream().allMatch(r -> r.handling().equals("kernel") && r.count() == 2));
        assertFalse(l.report().fullyBuildable());
        assertTrue(l.report().runnable());
        assertEquals(original.proto().getGraph().getNodeList(), l.model().proto().getGraph().getNodeList(),
                "nothing rewritten: the kernels run ONNX Runtime's exact integer semantics");
    }

    /**
     * Without the Cast/Mul chain (the int32 result is a graph output), each node is rewritten on its own:
     * DynamicQuantizeLinear by the ONNX formula, MatMulInteger as a float MatMul of shifted values cast to int32 —
     * exact here (fan-in 64: partial sums stay below 2^24), and every output equals ONNX Runtime's.
     */
    @Test
    void perNodeRewritesReproduceOnnxRuntimeExactly() {
        byte[] w = new byte[64 * 16];
        float[] wu = OrtRun.uniform(60, w.length, -127, 128);
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) Math.floor(wu[i]);
        }
        OnnxModel original = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 4, 64)
                .output("q", ElementType.UINT8, 4, 64).output("s", ElementType.FLOAT).output("z", ElementType.UINT8)
                .output("acc", ElementType.INT32, 4, 16)
                .initializer(Tensors.raw("w", ElementType.INT8, new long[] {64, 16}, w))
                .node("DynamicQuantizeLinear").name("dql").inputs("x").outputs("q", "s", "z").add()
                .node("MatMulInteger").name("mmi").inputs("q", "w", "z").outputs("acc").add()
                .opset("", 14).buildModel(), null);
        Legalizer.Legalization l = Legalizer.legalize(original);
        assertEquals(List.of(), TensorRtOpSupport.pinned().check(l.model().proto()));
        NodeDecision mmi = l.report().decisions().get(1);
        assertEquals(Decision.REWRITE, mmi.decision());
        assertNull(mmi.tolerance(), "exact: " + mmi.detail());
        assertTrue(mmi.detail().contains("fan-in 64"), mmi.detail());
        for (long seed : new long[] {61, 62, 63}) {
            float[] x = OrtRun.uniform(seed, 256, -2, seed == 63 ? 0 : 3); // the last one all negative: max = 0
            try (Tensor xt = Tensor.of(x, Shape.of(4, 64))) {
                Map<String, byte[]> want = OrtRun.raw(original, tmp, Map.of("x", xt));
                Map<String, byte[]> got = OrtRun.raw(l.model(), tmp, Map.of("x", xt));
                for (String out : List.of("q", "s", "z", "acc")) {
                    assertArrayEquals(want.get(out), got.get(out), out + " with seed " + seed);
                }
            }
        }
        // All zeros: ONNX Runtime's DynamicQuantizeLinear takes scale 1 (the ONNX reference 1/255), not 0/0.
        try (Tensor xt = Tensor.of(new float[256], Shape.of(4, 64))) {
            Map<String, byte[]> want = OrtRun.raw(original, tmp, Map.of("x", xt));
            Map<String, byte[]> got = OrtRun.raw(l.model(), tmp, Map.of("x", xt));
            assertEquals(1f, OrtRun.toFloats(want.get("s"))[0]);
            for (String out : List.of("q", "s", "z", "acc")) {
                assertArrayEquals(want.get(out), got.get(out), out + " of zeros");
            }
        }
    }

    /**
     * One model, each kind of decision: Unique of an input (kernel), Unique of a constant and a Hann window (folded),
     * Bernoulli (random, never folded; unsupported), a contrib Attention (unsupported), DFT (kernel), and a FastGelu
     * inside an If branch (rewritten there).
     */
    @Test
    void everyKindOfDecisionIsReportedAndSerializes() throws Exception {
        GraphProto thenB = OnnxGraphBuilder.graph("then").output("t", ElementType.FLOAT, 4)
                .node("FastGelu").domain("com.microsoft").name("branch_gelu").inputs("x").outputs("t").add().build();
        GraphProto elseB = OnnxGraphBuilder.graph("else").output("e", ElementType.FLOAT, 4)
                .node("Neg").inputs("x").outputs("e").add().build();
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("mix")
                .input("x", ElementType.FLOAT, 4).input("c", ElementType.BOOL).input("sig", ElementType.FLOAT, 1, 16, 1)
                .input("qkv", ElementType.FLOAT, 1, 4, 12)
                .output("u", ElementType.FLOAT, null).output("uc", ElementType.FLOAT, null).output("win", ElementType.FLOAT, 16)
                .output("bern", ElementType.FLOAT, 4).output("att", ElementType.FLOAT, 1, 4, 4).output("spec", ElementType.FLOAT, null)
                .output("br", ElementType.FLOAT, 4)
                .initializer(Tensors.floats("k", new long[] {5}, 3f, 1f, 3f, 2f, 1f))
                .initializer(Tensors.int64s("n", new long[0], 16))
                .initializer(Tensors.floats("w", new long[] {4, 12}, new float[48]))
                .node("Unique").name("uniq_x").inputs("x").outputs("u").add()
                .node("Unique").name("uniq_k").inputs("k").outputs("uc").add()
                .node("HannWindow").name("hann").inputs("n").outputs("win").attr("periodic", 1L).add()
                .node("Bernoulli").name("coin").inputs("x").outputs("bern").add()
                .node("Attention").domain("com.microsoft").name("attn").inputs("qkv", "w").outputs("att").attr("num_heads", 2L).add()
                .node("DFT").name("dft").inputs("sig").outputs("spec").add()
                .node("If").name("sel").inputs("c").outputs("br").attr("then_branch", thenB).attr("else_branch", elseB).add()
                .opset("com.microsoft", 1).buildModel(), null);
        Legalizer.Legalization l = Legalizer.with(Legalizer.Options.defaults().withSupport(TensorRtOpSupport.forVersion("10.3")))
                .apply(m);
        Map<String, NodeDecision> byNode = l.report().decisions().stream().collect(Collectors.toMap(NodeDecision::node, d -> d));
        assertEquals(Decision.KERNEL, byNode.get("uniq_x").decision());
        assertEquals(Decision.FOLD, byNode.get("uniq_k").decision());
        assertTrue(byNode.get("uniq_k").detail().endsWith("uc = float32[3]"), byNode.get("uniq_k").detail());
        assertEquals(Decision.FOLD, byNode.get("hann").decision(), "HannWindow: TensorRT 10.3 lacks it; its input is constant");
        assertEquals(Decision.UNSUPPORTED, byNode.get("coin").decision());
        assertTrue(byNode.get("coin").detail().contains("random sampling"), byNode.get("coin").detail());
        assertEquals(Decision.UNSUPPORTED, byNode.get("attn").decision());
        assertTrue(byNode.get("attn").detail().contains("no rewrite or Javelin kernel exists"), byNode.get("attn").detail());
        assertEquals(Decision.KERNEL, byNode.get("dft").decision());
        NodeDecision branch = byNode.get("branch_gelu");
        assertEquals(Decision.REWRITE, branch.decision());
        assertEquals("mix/sel.then_branch", branch.graph());
        assertEquals(List.of("Bernoulli", "DFT", "Unique", "com.microsoft:Attention"),
                l.report().remaining().stream().map(RemainingOp::op).toList());
        assertEquals(List.of("unsupported", "kernel", "kernel", "unsupported"),
                l.report().remaining().stream().map(RemainingOp::handling).toList());
        assertFalse(l.report().runnable());
        NodeProto ifNode = l.model().proto().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("If"))
                .findFirst().orElseThrow();
        assertTrue(ifNode.getAttribute(0).getG().getNodeList().stream().allMatch(n -> n.getDomain().isEmpty()));

        // The report as the engine bundle manifest will carry it: Jackson writes and reads it back unchanged.
        ObjectMapper mapper = new ObjectMapper();
        String json = mapper.writeValueAsString(l.report());
        assertEquals(l.report(), mapper.readValue(json, LegalizationReport.class));
        JsonNode j = mapper.readTree(json);
        assertEquals("10.3", j.get("tensorrtVersion").asText());
        assertEquals("REWRITE", j.get("prefer").asText());
        assertFalse(j.get("fullyBuildable").asBoolean());
        assertTrue(j.get("decisions").get(0).has("detail"));
        assertFalse(j.get("decisions").get(0).has("tolerance"), "absent when exact");

        // The folded and rewritten parts still compute what the original does.
        try (Tensor x = Tensor.of(new float[] {0.5f, -1f, 2f, 0.5f}, Shape.of(4));
             Tensor c = Tensor.of(dev.javelin.runtime.DType.BOOL, new byte[] {1}, Shape.scalar())) {
            OnnxModel part = OnnxModel.of(OnnxGraphBuilder.graph("p").input("x", ElementType.FLOAT, 4).input("c", ElementType.BOOL)
                    .output("uc", ElementType.FLOAT, null).output("win", ElementType.FLOAT, 16).output("br", ElementType.FLOAT, 4)
                    .initializer(Tensors.floats("k", new long[] {5}, 3f, 1f, 3f, 2f, 1f))
                    .initializer(Tensors.int64s("n", new long[0], 16))
                    .node("Unique").inputs("k").outputs("uc").add()
                    .node("HannWindow").inputs("n").outputs("win").attr("periodic", 1L).add()
                    .node("If").inputs("c").outputs("br").attr("then_branch", thenB).attr("else_branch", elseB).add()
                    .opset("com.microsoft", 1).buildModel(), null);
            Legalizer.Legalization lp = Legalizer.legalize(part);
            Map<String, byte[]> want = OrtRun.raw(part, tmp, Map.of("x", x, "c", c));
            Map<String, byte[]> got = OrtRun.raw(lp.model(), tmp, Map.of("x", x, "c", c));
            assertArrayEquals(want.get("uc"), got.get("uc"));
            assertArrayEquals(new float[] {1f, 2f, 3f}, OrtRun.toFloats(got.get("uc")), "sorted by default");
            assertEquals(OrtRun.toFloats(want.get("br"))[2], OrtRun.toFloats(got.get("br"))[2], 1e-6);
        }
    }

    @Test
    void preferParsesItsCommandLineValues() {
        assertEquals(Prefer.KERNELS, Prefer.parse("Kernels"));
        assertEquals(Prefer.REWRITE, Prefer.parse("rewrite"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Prefer.parse("fastest"));
        assertEquals("prefer 'fastest': expected rewrite or kernels", e.getMessage());
    }
}

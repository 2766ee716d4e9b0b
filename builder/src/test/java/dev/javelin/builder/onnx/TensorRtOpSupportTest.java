package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.TensorRtOpSupport.Finding;
import dev.javelin.builder.onnx.TensorRtOpSupport.Remedy;
import dev.javelin.builder.onnx.proto.FunctionProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.OperatorSetIdProto;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The TensorRT op table against the onnx-tensorrt support matrix and release notes (see FACTS). */
class TensorRtOpSupportTest {
    private final TensorRtOpSupport trt = TensorRtOpSupport.pinned();

    /** Ops the onnx-tensorrt operator matrix marks unsupported for TensorRT 10.x. */
    private static final List<String> UNSUPPORTED_10_15 = List.of(
            "AffineGrid", "Bernoulli", "BitShift", "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "Col2Im",
            "CenterCropPad", "Compress", "ConcatFromSequence", "ConvInteger", "DFT", "Det", "DynamicQuantizeLinear",
            "ImageDecoder", "MatMulInteger", "MaxRoiPool", "MaxUnpool", "MelWeightMatrix", "Multinomial",
            "NegativeLogLikelihoodLoss", "Optional", "OptionalGetElement", "OptionalHasElement", "QLinearConv",
            "QLinearMatMul", "RegexFullMatch", "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase",
            "SequenceInsert", "SequenceLength", "SequenceMap", "SoftmaxCrossEntropyLoss", "SplitToSequence",
            "StringConcat", "StringNormalizer", "StringSplit", "TfIdfVectorizer", "Unique");

    @Test
    void everyListedOpIsUnsupportedWithAReason() {
        for (String op : UNSUPPORTED_10_15) {
            TensorRtOpSupport.Entry e = trt.unsupported("", op).orElseThrow(() -> new AssertionError(op + " should be unsupported"));
            assertFalse(e.reason().isBlank(), op);
        }
    }

    @Test
    void commonOpsAreSupported() {
        for (String op : List.of("Conv", "MatMul", "Gemm", "LSTM", "If", "Loop", "Scan", "Resize", "Softmax", "Gather",
                "QuantizeLinear", "DequantizeLinear", "NonMaxSuppression", "TopK", "Einsum", "LayerNormalization")) {
            assertTrue(trt.unsupported("", op).isEmpty(), op);
            assertTrue(trt.unsupported("ai.onnx", op).isEmpty(), op);
        }
    }

    @Test
    void plansFollowTheBuilderAndKernelIssues() {
        assertEquals(Set.of(Remedy.KERNEL), plan("Unique"));
        assertEquals(Set.of(Remedy.KERNEL), plan("AffineGrid"));
        assertEquals(Set.of(Remedy.KERNEL), plan("DFT"));
        assertEquals(Set.of(Remedy.REWRITE, Remedy.KERNEL), plan("MatMulInteger"));
        assertEquals(Set.of(Remedy.REWRITE, Remedy.KERNEL), plan("DynamicQuantizeLinear"));
        assertEquals(Set.of(Remedy.REWRITE), plan("QLinearConv"));
        assertEquals(Set.of(Remedy.REWRITE), plan("MelWeightMatrix"));
        assertEquals(Set.of(), plan("StringSplit"));
        assertEquals("rewrite|kernel", TensorRtOpSupport.Finding.planLabel(plan("MatMulInteger")));
        assertEquals("none", TensorRtOpSupport.Finding.planLabel(plan("Det")));
    }

    private Set<Remedy> plan(String op) {
        return trt.unsupported("", op).orElseThrow().plan();
    }

    @Test
    void prefixFamiliesCatchFutureOps() {
        assertTrue(trt.unsupported("", "SequenceReverse").isPresent());
        assertTrue(trt.unsupported("", "StringLower").isPresent());
        // Exact entries win over the family.
        assertEquals("OptionalHasElement", TensorRtOpSupport.entry("OptionalHasElement").orElseThrow().op());
    }

    @Test
    void versionDependentOps() {
        // DFT arrives in TensorRT 11.2, windows in 10.4, STFT in 10.5, Attention in 10.14.
        assertTrue(trt.unsupported("", "DFT").isPresent());
        assertTrue(TensorRtOpSupport.forVersion("11.2").unsupported("", "DFT").isEmpty());
        assertTrue(trt.unsupported("", "HannWindow").isEmpty());
        TensorRtOpSupport jetpack6 = TensorRtOpSupport.forVersion("10.3");
        assertTrue(jetpack6.unsupported("", "HannWindow").isPresent());
        assertTrue(jetpack6.unsupported("", "STFT").isPresent());
        assertTrue(jetpack6.unsupported("", "Attention").isPresent());
        assertTrue(trt.unsupported("", "Attention").isEmpty());
        assertTrue(TensorRtOpSupport.forVersion("10.4.1").unsupported("", "BlackmanWindow").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> TensorRtOpSupport.forVersion("ten"));
    }

    @Test
    void nonDefaultDomainsAreUnsupported() {
        TensorRtOpSupport.Entry fastGelu = trt.unsupported("com.microsoft", "FastGelu").orElseThrow();
        assertEquals("com.microsoft:FastGelu", fastGelu.op());
        assertTrue(fastGelu.reason().contains("'com.microsoft'"), fastGelu.reason());
        assertEquals(Set.of(Remedy.REWRITE), fastGelu.plan());
        assertEquals(Set.of(), trt.unsupported("com.microsoft", "NhwcConv").orElseThrow().plan());
        assertTrue(trt.unsupported("ai.onnx.ml", "ZipMap").isPresent());
    }

    @Test
    void stftNeedsConstantFrameStepAndWindow() {
        ModelProto constantStep = OnnxGraphBuilder.graph("g").opset("", 17)
                .input("signal", ElementType.FLOAT, 1, 1024, 1)
                .initializer(Tensors.int64s("step", new long[] {}, 160))
                .node("HannWindow").inputs("len").outputs("win").add()
                .node("Constant").outputs("len").attr("value", Tensors.int64s("len_v", new long[] {}, 400)).add()
                .node("STFT").name("stft").inputs("signal", "step", "win").outputs("y").add()
                .output("y", ElementType.FLOAT, 1, null, null, 2).buildModel();
        // 'win' is computed by HannWindow, so it is not constant for TensorRT's importer.
        List<Finding> f = trt.check(constantStep);
        assertEquals(1, f.size());
        assertEquals("STFT", f.get(0).op());
        assertTrue(f.get(0).reason().contains("window is computed at run time"), f.get(0).reason());

        ModelProto allConstant = constantStep.toBuilder().setGraph(constantStep.getGraph().toBuilder()
                .setNode(2, constantStep.getGraph().getNode(2).toBuilder().setInput(2, "step"))).build();
        assertEquals(List.of(), trt.check(allConstant));

        ModelProto runtimeStep = OnnxGraphBuilder.graph("g").opset("", 17)
                .input("signal", ElementType.FLOAT, 1, 1024, 1).input("step", ElementType.INT64)
                .node("STFT").name("stft").inputs("signal", "step", "", "").outputs("y").add()
                .output("y", ElementType.FLOAT, 1, null, null, 2).buildModel();
        Finding step = trt.check(runtimeStep).get(0);
        assertTrue(step.reason().contains("frame_step is computed at run time"), step.reason());
        assertEquals(List.of("'stft' (STFT)"), step.nodes());
    }

    @Test
    void findingsCountNodesInSubgraphsAndFunctionBodies() {
        GraphProto body = OnnxGraphBuilder.graph("body")
                .input("i", ElementType.INT64).input("cond", ElementType.BOOL).input("v", ElementType.FLOAT, 4)
                .node("Unique").name("u_inner").inputs("v").outputs("uq").add()
                .node("Identity").inputs("cond").outputs("cond_out").add()
                .node("Identity").inputs("v").outputs("v_out").add()
                .output("cond_out", ElementType.BOOL).output("v_out", ElementType.FLOAT, 4).output("uq", ElementType.FLOAT, (Object) null)
                .build();
        FunctionProto fn = FunctionProto.newBuilder().setName("MyDet").setDomain("custom")
                .addInput("a").addOutput("b")
                .addNode(OnnxGraphBuilder.graph("x").node("Det").name("det_in_fn").inputs("a").outputs("b").build())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build();
        ModelProto m = OnnxGraphBuilder.graph("main").opset("custom", 1).opset("com.microsoft", 1)
                .input("x", ElementType.FLOAT, 4).input("n", ElementType.INT64).input("c", ElementType.BOOL)
                .input("mat", ElementType.FLOAT, 3, 3)
                .node("Unique").name("u_top").inputs("x").outputs("u").add()
                .node("Loop").name("loop").inputs("n", "c", "x").outputs("v_final", "uq_all").attr("body", body).add()
                .node("MyDet").domain("custom").name("call").inputs("mat").outputs("d").add()
                .node("FastGelu").domain("com.microsoft").name("fg").inputs("x").outputs("g").add()
                .output("u", ElementType.FLOAT, (Object) null).output("d", ElementType.FLOAT).output("g", ElementType.FLOAT, 4)
                .function(fn).buildModel();
        OnnxModel.of(m, null).validate();
        List<Finding> findings = trt.check(m);
        assertEquals(List.of("Unique", "Det", "com.microsoft:FastGelu"), findings.stream().map(Finding::op).toList());
        Finding unique = findings.get(0);
        assertEquals(2, unique.count());
        assertEquals(List.of("'u_top' (Unique)", "'u_inner' (Unique)"), unique.nodes());
        assertEquals("kernel", unique.planLabel());
        // The function call itself is inlined by the parser; its body's Det is what cannot be built.
        assertEquals(List.of("'det_in_fn' (Det)"), findings.get(1).nodes());
        assertEquals("rewrite", findings.get(2).planLabel());
    }

    @Test
    void constantWithStringValueIsUnsupported() {
        ModelProto m = OnnxGraphBuilder.graph("g")
                .node("Constant").name("s").outputs("y").attr("value_string", "hello").add()
                .output("y", ElementType.STRING).buildModel();
        Finding f = trt.check(m).get(0);
        assertEquals("Constant", f.op());
        assertTrue(f.reason().contains("value_string"), f.reason());
    }
}

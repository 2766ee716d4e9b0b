package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.javelin.builder.onnx.ModelSummary.ValueSummary;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.testing.ModelFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Histogram, signature and weight figures of the real models, checked against facts obtained without
 * Javelin's code: the expected numbers below were produced by decoding each file with protoc
 * ({@code protoc --decode=javelin.onnx.ModelProto onnx.proto < model.onnx}) and counting the text dump
 * with a separate Python script (op_type lines at every depth, dims x element size of every
 * initializer, raw_data lengths cross-checked); signatures are compared with what ONNX Runtime reports.
 */
class ModelSummaryTest {

    @Test
    void sileroVadCountsNodesInsideIfBranches() {
        ModelSummary s = ModelSummary.of(OnnxModel.load(ModelFiles.sileroVad()));
        Map<String, Integer> expected = Map.ofEntries(
                Map.entry("Add", 14), Map.entry("Cast", 2), Map.entry("Concat", 18), Map.entry("ConstantOfShape", 4),
                Map.entry("Conv", 36), Map.entry("Equal", 7), Map.entry("Gather", 14), Map.entry("Identity", 6),
                Map.entry("If", 9), Map.entry("LSTM", 8), Map.entry("Log", 2), Map.entry("Mul", 2), Map.entry("Neg", 2),
                Map.entry("Pad", 2), Map.entry("Pow", 4), Map.entry("ReduceMean", 6), Map.entry("Relu", 26),
                Map.entry("Reshape", 2), Map.entry("Shape", 14), Map.entry("Sigmoid", 2), Map.entry("Slice", 28),
                Map.entry("Sqrt", 2), Map.entry("Squeeze", 16), Map.entry("Transpose", 10), Map.entry("Unsqueeze", 14));
        assertEquals(expected, s.ops());
        assertEquals(250, s.nodeCount());        // only 2 of them (Equal, If) are in the main graph
        assertEquals(18, s.subgraphCount());     // 9 If nodes x 2 branches
        assertEquals(259, s.initializerCount()); // 69 main + 190 inside branches
        assertEquals(1_781_160, s.initializerBytes());
        assertEquals(0, s.externalBytes());
        assertEquals(16, s.constantBytes());     // the 4 ConstantOfShape value attributes
        assertEquals(8, s.irVersion());
        assertEquals("pytorch 1.12.0", s.producer());
        assertEquals(16L, s.opsets().get("ai.onnx"));
        // Sorted by count, then name.
        assertEquals(List.of("Conv", "Slice", "Relu", "Concat", "Squeeze"), new ArrayList<>(s.ops().keySet()).subList(0, 5));
        assertEquals(List.of(), s.tensorRtUnsupported());
    }

    @Test
    void sileroSignatureMatchesDocumentationAndOnnxRuntime() {
        Path p = ModelFiles.sileroVad();
        ModelSummary s = ModelSummary.of(OnnxModel.load(p));
        // Silero VAD v4 as documented: input[batch, samples] float, sr int64 scalar, h/c [2, batch, 64].
        assertEquals(List.of(
                new ValueSummary("input", "float32", List.of("batch", "sequence")),
                new ValueSummary("sr", "int64", List.of()),
                new ValueSummary("h", "float32", List.of(2L, "batch", 64L)),
                new ValueSummary("c", "float32", List.of(2L, "batch", 64L))), s.inputs());
        assertEquals(List.of(
                new ValueSummary("output", "float32", List.of("batch", 1L)),
                new ValueSummary("hn", "float32", List.of(2L, "batch", 64L)),
                new ValueSummary("cn", "float32", List.of(2L, "batch", 64L))), s.outputs());
        assertMatchesOnnxRuntime(s, p);
    }

    @Test
    void ppocrDetKeepsWeightsInConstantNodes() {
        Path p = ModelFiles.ppocrDet();
        ModelSummary s = ModelSummary.of(OnnxModel.load(p));
        assertEquals(Map.ofEntries(
                Map.entry("Constant", 342), Map.entry("Add", 89), Map.entry("Mul", 86), Map.entry("Conv", 62),
                Map.entry("Div", 24), Map.entry("Clip", 24), Map.entry("Relu", 12), Map.entry("HardSigmoid", 10),
                Map.entry("GlobalAveragePool", 10), Map.entry("Resize", 6), Map.entry("BatchNormalization", 3),
                Map.entry("ConvTranspose", 2), Map.entry("Sigmoid", 1), Map.entry("Concat", 1)), s.ops());
        assertEquals(672, s.nodeCount());
        assertEquals(0, s.subgraphCount());
        assertEquals(0, s.initializerCount());
        assertEquals(0, s.initializerBytes());
        assertEquals(4_687_364, s.constantBytes());
        assertEquals(Map.of("ai.onnx", 11L), s.opsets());
        assertEquals(List.of(new ValueSummary("x", "float32",
                List.of("p2o.DynamicDimension.0", 3L, "p2o.DynamicDimension.1", "p2o.DynamicDimension.2"))), s.inputs());
        assertMatchesOnnxRuntime(s, p);
        assertEquals(List.of(), s.tensorRtUnsupported());
    }

    @Test
    void miniLmFromTheClassPath() {
        Path p = ModelFiles.miniLm();
        ModelSummary s = ModelSummary.of(OnnxModel.load(p));
        assertEquals(692, s.nodeCount());
        assertEquals(198, s.ops().get("Constant"));
        assertEquals(48, s.ops().get("MatMul"));
        assertEquals(6, s.ops().get("Softmax"));
        assertEquals(6, s.ops().get("Erf"));
        assertEquals(21, s.ops().size());
        assertEquals(104, s.initializerCount());
        assertEquals(90_856_960, s.initializerBytes());
        assertEquals(1_376, s.constantBytes());
        assertEquals(7, s.irVersion());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"),
                s.inputs().stream().map(ValueSummary::name).toList());
        s.inputs().forEach(v -> assertEquals("int64", v.dtype(), v.name()));
        assertMatchesOnnxRuntime(s, p);
        assertEquals(List.of(), s.tensorRtUnsupported());
    }

    /** Names, element types and dims (numbers and symbols) agree with ONNX Runtime's view of the file. */
    private static void assertMatchesOnnxRuntime(ModelSummary s, Path model) {
        OrtReference.Signature ort = OrtReference.signature(model);
        assertSame(ort.inputs(), s.inputs());
        assertSame(ort.outputs(), s.outputs());
    }

    private static void assertSame(List<OrtReference.Io> ort, List<ValueSummary> ours) {
        assertEquals(ort.size(), ours.size());
        for (int i = 0; i < ort.size(); i++) {
            OrtReference.Io o = ort.get(i);
            ValueSummary v = ours.get(i);
            assertEquals(o.name(), v.name());
            assertEquals(ElementType.fromOnnx(o.elementType()).label(), v.dtype(), v.name());
            assertEquals(o.shape(), v.shape(), v.name());
        }
    }

    @Test
    void loopAndScanBodiesAreCounted() {
        // Loop body: Add inside, plus an If nested in the body whose branches hold a Neg and a Relu.
        GraphProto thenB = OnnxGraphBuilder.graph("then").node("Neg").inputs("acc_in").outputs("t").add()
                .output("t", ElementType.FLOAT, 1).build();
        GraphProto elseB = OnnxGraphBuilder.graph("else").node("Relu").inputs("acc_in").outputs("e").add()
                .output("e", ElementType.FLOAT, 1).build();
        GraphProto loopBody = OnnxGraphBuilder.graph("body")
                .input("iter", ElementType.INT64).input("cond_in", ElementType.BOOL).input("acc_in", ElementType.FLOAT, 1)
                .node("Identity").inputs("cond_in").outputs("cond_out").add()
                .node("If").inputs("cond_in").outputs("acc_tmp").attr("then_branch", thenB).attr("else_branch", elseB).add()
                .node("Add").inputs("acc_tmp", "x").outputs("acc_out").add()
                .output("cond_out", ElementType.BOOL).output("acc_out", ElementType.FLOAT, 1).build();
        GraphProto scanBody = OnnxGraphBuilder.graph("scan")
                .input("s_in", ElementType.FLOAT, 1).input("elem", ElementType.FLOAT, 1)
                .node("Add").inputs("s_in", "elem").outputs("s_out").add()
                .node("Identity").inputs("s_out").outputs("scan_out").add()
                .output("s_out", ElementType.FLOAT, 1).output("scan_out", ElementType.FLOAT, 1).build();
        ModelProto m = OnnxGraphBuilder.graph("main")
                .input("x", ElementType.FLOAT, 1).input("n", ElementType.INT64).input("c", ElementType.BOOL)
                .input("seq", ElementType.FLOAT, 5, 1)
                .node("Loop").name("loop").inputs("n", "c", "x").outputs("acc").attr("body", loopBody).add()
                .node("Scan").name("scan").inputs("acc", "seq").outputs("final", "all")
                .attr("body", scanBody).attr("num_scan_inputs", 1L).add()
                .output("final", ElementType.FLOAT, 1).output("all", ElementType.FLOAT, 5, 1)
                .buildModel();
        OnnxModel model = OnnxModel.of(m, null);
        model.validate();
        ModelSummary s = ModelSummary.of(model);
        assertEquals(Map.of("Loop", 1, "Scan", 1, "If", 1, "Add", 2, "Identity", 2, "Neg", 1, "Relu", 1), s.ops());
        assertEquals(9, s.nodeCount());
        assertEquals(4, s.subgraphCount());
    }

    @Test
    void contribOpsAreKeyedByDomain() {
        ModelProto m = OnnxGraphBuilder.graph("g").opset("com.microsoft", 1)
                .input("x", ElementType.FLOAT, 4)
                .node("Gelu").domain("com.microsoft").inputs("x").outputs("a").add()
                .node("Gelu").inputs("a").outputs("y").add()
                .output("y", ElementType.FLOAT, 4).opset("", 20).buildModel();
        ModelSummary s = ModelSummary.of(OnnxModel.of(m, null));
        assertEquals(Map.of("Gelu", 1, "com.microsoft:Gelu", 1), s.ops());
        assertEquals(List.of("com.microsoft:Gelu"), s.tensorRtUnsupportedOps());
    }

    @Test
    void unknownRankAndUnknownDims() {
        ModelProto m = OnnxGraphBuilder.graph("g")
                .inputUnknownRank("any", ElementType.FLOAT)
                .input("partly", ElementType.FLOAT16, null, 8)
                .node("Identity").inputs("any").outputs("y").add()
                .output("y", ElementType.FLOAT).buildModel();
        ModelSummary s = ModelSummary.of(OnnxModel.of(m, null));
        assertNull(s.inputs().get(0).shape());
        assertEquals("[?...]", s.inputs().get(0).shapeText());
        assertEquals("[?, 8]", s.inputs().get(1).shapeText());
        assertEquals("float16", s.inputs().get(1).dtype());
        assertEquals("[]", s.outputs().get(0).shapeText());
    }
}

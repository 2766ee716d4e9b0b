package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConstantFoldingTest {
    @TempDir
    Path tmp;

    private static final float[] W = {0.5f, -1.25f, 2f};

    /**
     * y = x + Pow(Exp(c1 * w), ConstantOfShape(Shape(w), 2)); k = Sqrt(w) (a graph output); rnd = RandomUniform + Exp(..).
     * Everything but the random op and the nodes reading x or the random value is constant.
     */
    private static OnnxModel model() {
        TensorProto two = Tensors.floats("v", new long[] {1}, 2f);
        return OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 2, 3)
                .output("y", ElementType.FLOAT, 2, 3).output("k", ElementType.FLOAT, 3).output("rnd", ElementType.FLOAT, 3)
                .initializer(Tensors.floats("w", new long[] {3}, W))
                .node("Constant").name("c1").outputs("c1").attr("value", Tensors.floats("c1v", new long[] {3}, 1f, 2f, 3f)).add()
                .node("Mul").name("mul").inputs("c1", "w").outputs("m").add()
                .node("Exp").name("exp").inputs("m").outputs("e").add()
                .node("Shape").name("shape").inputs("w").outputs("sh").add()
                .node("ConstantOfShape").name("cos").inputs("sh").outputs("twos").attr("value", two).add()
                .node("Pow").name("pow").inputs("e", "twos").outputs("p").add()
                .node("Add").name("add").inputs("x", "p").outputs("y").add()
                .node("Sqrt").name("sqrt").inputs("w").outputs("k").add()
                .node("RandomUniform").name("rand").outputs("r").attr("shape", new long[] {3}).attr("seed", 1f).add()
                .node("Add").name("add_r").inputs("r", "e").outputs("rnd").add()
                .buildModel(), null);
    }

    @Test
    void foldsConstantSubgraphsAndMatchesOriginalBitForBit() {
        OnnxModel original = model();
        ConstantFolding.Outcome o = ConstantFolding.foldAll(original, ConstantFolding.Options.defaults());
        GraphProto g = o.model().proto().getGraph();
        assertEquals(Set.of("'c1' (Constant)", "'mul' (Mul)", "'exp' (Exp)", "'shape' (Shape)", "'cos' (ConstantOfShape)",
                "'pow' (Pow)", "'sqrt' (Sqrt)"), Set.copyOf(o.report().foldedNodes()));
        assertEquals(List.of("Add", "RandomUniform", "Add", "Constant"),
                g.getNodeList().stream().map(NodeProto::getOpType).toList(), "random op and input readers stay");
        assertEquals(Set.of("e", "p"), g.getInitializerList().stream().map(TensorProto::getName).collect(Collectors.toSet()),
                "w is read by nothing any more and goes; the values read by live nodes are initializers");
        NodeProto k = g.getNodeList().get(3);
        assertEquals("k", k.getOutput(0), "a constant graph output becomes a Constant node");

        float[] x = OrtRun.uniform(7, 6, -3, 3);
        try (Tensor xt = Tensor.of(x, Shape.of(2, 3))) {
            Map<String, byte[]> before = OrtRun.raw(original, tmp, Map.of("x", xt));
            Map<String, byte[]> after = OrtRun.raw(o.model(), tmp, Map.of("x", xt));
            assertArrayEquals(before.get("y"), after.get("y"), "y: ONNX Runtime's own kernels computed the folded values");
            assertArrayEquals(before.get("k"), after.get("k"));
            float[] kv = OrtRun.toFloats(after.get("k"));
            assertEquals(Math.sqrt(0.5), kv[0], 1e-7);
            float[] y = OrtRun.toFloats(after.get("y"));
            for (int i = 0; i < 6; i++) { // closed form: x + exp(c1 * w)^2
                double e = Math.exp((i % 3 + 1) * W[i % 3]);
                assertEquals(x[i] + e * e, y[i], 1e-5 * Math.max(1, e * e));
            }
        }
    }

    @Test
    void valuesOverTheCapStayAsNodes() {
        // ConstantOfShape([1000]) is 4000 bytes: over a 1 KiB cap it is not materialized, so its nodes stay.
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 1000).output("y", ElementType.FLOAT, 1000)
                .initializer(Tensors.int64s("n", new long[] {1}, 1000))
                .node("ConstantOfShape").name("big").inputs("n").outputs("ones")
                .attr("value", Tensors.floats("v", new long[] {1}, 1f)).add()
                .node("Add").inputs("x", "ones").outputs("y").add()
                .buildModel(), null);
        ConstantFolding.Outcome o = ConstantFolding.foldAll(m, ConstantFolding.Options.defaults().withMaxTensorBytes(1024));
        assertTrue(o.report().foldedNodes().isEmpty());
        assertTrue(o.report().skipped().get("ones").contains("4000 bytes, over the folding cap of 1024"), o.report().skipped().toString());
        assertEquals(m.proto(), o.model().proto());
        ConstantFolding.Outcome folded = ConstantFolding.foldAll(m, ConstantFolding.Options.defaults());
        assertEquals(List.of("'big' (ConstantOfShape)"), folded.report().foldedNodes());
        assertEquals(List.of("ones: float32[1000]"), folded.report().constants());
    }

    @Test
    void targetedFoldingFoldsOnlyWhatTheTargetsNeed() {
        ConstantFolding.Outcome o = ConstantFolding.foldTensors(model(), List.of("e", "r", "y"), ConstantFolding.Options.defaults());
        // 'e' is an initializer now: exp and what fed it go; Shape/ConstantOfShape/Pow (not needed for e) stay.
        assertEquals(Set.of("'c1' (Constant)", "'mul' (Mul)", "'exp' (Exp)"), Set.copyOf(o.report().foldedNodes()));
        GraphProto g = o.model().proto().getGraph();
        assertTrue(g.getInitializerList().stream().anyMatch(t -> t.getName().equals("e")));
        assertEquals(List.of("Shape", "ConstantOfShape", "Pow", "Add", "Sqrt", "RandomUniform", "Add"),
                g.getNodeList().stream().map(NodeProto::getOpType).toList());
        assertTrue(o.report().skipped().get("r").startsWith("not constant"), o.report().skipped().toString());
        assertTrue(o.report().skipped().get("y").startsWith("not constant"));
    }

    /**
     * Real exports come already folded (all-MiniLM-L6-v2, Silero VAD and PP-OCRv4 det have nothing to fold), but
     * Silero VAD specialized on sr=16000 and its stream shapes leaves shape arithmetic over folded Shape values:
     * five nodes fold into one int64[3] constant, and 20 stateful frames give the same bits before and after.
     */
    @Test
    void specializedSileroVadFoldsItsShapeArithmeticAndKeepsItsBits() {
        OnnxModel vad = OnnxModel.load(ModelFiles.sileroVad());
        assertTrue(ConstantFolding.foldAll(vad, ConstantFolding.Options.defaults()).report().foldedNodes().isEmpty());
        OnnxModel spec = SpecializeInputs.apply(vad, Map.of("sr", "16000"),
                SpecializeInputs.parseShapes(List.of("input=1x512", "h=2x1x64", "c=2x1x64"))).model();
        ConstantFolding.Outcome o = ConstantFolding.foldAll(spec, ConstantFolding.Options.defaults());
        assertEquals(5, o.report().foldedNodes().size(), o.report().foldedNodes().toString());
        assertEquals(List.of("If_25/142: int64[3]"), o.report().constants());
        float[] h = new float[128];
        float[] c = new float[128];
        for (int f = 0; f < 20; f++) {
            try (Tensor in = Tensor.of(OrtRun.uniform(f, 512, -0.3f, 0.3f), Shape.of(1, 512));
                 Tensor ht = Tensor.of(h, Shape.of(2, 1, 64)); Tensor ct = Tensor.of(c, Shape.of(2, 1, 64))) {
                Map<String, Tensor> feeds = Map.of("input", in, "h", ht, "c", ct);
                Map<String, byte[]> before = OrtRun.raw(spec, tmp, feeds);
                Map<String, byte[]> after = OrtRun.raw(o.model(), tmp, feeds);
                for (String k : List.of("output", "hn", "cn")) {
                    assertArrayEquals(before.get(k), after.get(k), k + " at frame " + f);
                }
                h = OrtRun.toFloats(after.get("hn"));
                c = OrtRun.toFloats(after.get("cn"));
            }
        }
    }
}

package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ShapeDiscovery.TensorType;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.ModelException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapeDiscoveryTest {
    /** Types and shapes of a small graph, including a data-dependent one and a contrib op, against closed forms. */
    @Test
    void reportsEveryIntermediateAsComputed() {
        float[] x = OrtRun.uniform(11, 24, 0, 1);
        int above = 0;
        for (float v : x) {
            above += v > 0.5f ? 1 : 0;
        }
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, "a", "b", "c").output("nzf", ElementType.FLOAT, 3, "n")
                .initializer(Tensors.int64s("shape", new long[] {2}, -1, 6))
                .initializer(Tensors.floats("half", new long[0], 0.5f))
                .node("Transpose").inputs("x").outputs("t").attr("perm", new long[] {2, 0, 1}).add()
                .node("Reshape").inputs("t", "shape").outputs("r").add()
                .node("FastGelu").domain("com.microsoft").inputs("r").outputs("fg").add()
                .node("Greater").inputs("x", "half").outputs("gt").add()
                .node("NonZero").inputs("gt").outputs("nz").add()
                .node("Cast").inputs("nz").outputs("nzf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .opset("com.microsoft", 1)
                .buildModel(), null);
        Map<String, TensorType> t = ShapeDiscovery.discoverWith(m, Map.of("x", Tensors.floats("x", new long[] {2, 3, 4}, x)));
        assertEquals(new TensorType(ElementType.FLOAT, new long[] {4, 2, 3}), t.get("t"));
        assertEquals(new TensorType(ElementType.FLOAT, new long[] {4, 6}), t.get("r"));
        assertEquals(new TensorType(ElementType.FLOAT, new long[] {4, 6}), t.get("fg"));
        assertEquals(new TensorType(ElementType.BOOL, new long[] {2, 3, 4}), t.get("gt"));
        assertEquals(new TensorType(ElementType.INT64, new long[] {3, above}), t.get("nz"));
        assertEquals(new TensorType(ElementType.FLOAT, new long[] {3, above}), t.get("nzf"));
        assertEquals(new TensorType(ElementType.INT64, new long[] {2}), t.get("shape"));

        OnnxModel annotated = ShapeDiscovery.annotate(m, t);
        assertEquals(5, annotated.proto().getGraph().getValueInfoCount(), "t, r, fg, gt, nz (nzf is an output)");
    }

    /** all-MiniLM-L6-v2 at sequence 8: every node output of the main graph gets a type. */
    @Test
    void everyTensorOfMiniLmIsTyped() {
        OnnxModel m = OnnxModel.load(ModelFiles.miniLm());
        long[] s = {1, 8};
        Map<String, TensorType> t = ShapeDiscovery.discover(m, Map.of("input_ids", s, "attention_mask", s, "token_type_ids", s));
        for (NodeProto n : m.proto().getGraph().getNodeList()) {
            for (String o : n.getOutputList()) {
                assertTrue(t.containsKey(o), o + " of " + n.getName());
            }
        }
        assertEquals(new TensorType(ElementType.FLOAT, new long[] {1, 8, 384}), t.get(m.proto().getGraph().getOutput(0).getName()));
        assertEquals(new TensorType(ElementType.FLOAT, new long[] {1, 12, 8, 8}),
                t.get("/encoder/layer.0/attention/self/MatMul_output_0"), "attention scores: batch, heads, seq, seq");
        assertEquals(new TensorType(ElementType.INT64, new long[] {2}), t.get("/embeddings/Shape_output_0"));
    }

    @Test
    void missingInputShapeIsNamed() {
        OnnxModel m = OnnxModel.load(ModelFiles.miniLm());
        ModelException e = assertThrows(ModelException.class,
                () -> ShapeDiscovery.discover(m, Map.of("input_ids", new long[] {1, 8})));
        assertTrue(e.getMessage().contains("'attention_mask'"), e.getMessage());
    }
}

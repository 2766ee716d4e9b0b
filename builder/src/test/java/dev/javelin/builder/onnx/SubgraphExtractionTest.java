package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.ModelException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SubgraphExtractionTest {
    private static final String EMBEDDED = "/embeddings/LayerNorm/Add_1_output_0";
    private static final String MASK = "/Mul_output_0";
    private static final String ATTENTION_OUT = "/encoder/layer.0/attention/output/LayerNorm/Add_1_output_0";

    /**
     * The first self-attention block of all-MiniLM-L6-v2 (embeddings out and the additive mask in, the attention
     * LayerNorm out), cut out with types found by discovery: fed the whole model's values at its boundary, it
     * computes the whole model's value at its output, bit for bit (both runs unoptimized on ONNX Runtime CPU).
     */
    @Test
    void firstAttentionBlockOfMiniLmRunsOnItsOwn() {
        OnnxModel m = OnnxModel.load(ModelFiles.miniLm());
        long[] ids = {101, 7592, 2088, 2003, 1037, 3231, 102, 0};
        long[] mask = {1, 1, 1, 1, 1, 1, 1, 0};
        Map<String, TensorProto> feeds = Map.of("input_ids", Tensors.int64s("input_ids", new long[] {1, 8}, ids),
                "attention_mask", Tensors.int64s("attention_mask", new long[] {1, 8}, mask),
                "token_type_ids", Tensors.int64s("token_type_ids", new long[] {1, 8}, new long[8]));
        // The whole model's values at the boundary: expose the three tensors as outputs of an unoptimized run.
        GraphProto.Builder probe = m.proto().getGraph().toBuilder().clearOutput();
        for (String n : List.of(EMBEDDED, MASK, ATTENTION_OUT)) {
            probe.addOutput(ValueInfoProto.newBuilder().setName(n));
        }
        Map<String, TensorProto> whole = OrtCpu.evaluate(m.withProto(m.proto().toBuilder().setGraph(probe).build()), feeds);

        long[] s = {1, 8};
        OnnxModel block = SubgraphExtraction.extract(m, List.of(EMBEDDED, MASK), List.of(ATTENTION_OUT),
                Map.of("input_ids", s, "attention_mask", s, "token_type_ids", s), true);
        ModelProto p = block.proto();
        assertEquals(List.of(EMBEDDED, MASK), p.getGraph().getInputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals(ElementType.FLOAT.onnx(), p.getGraph().getInput(0).getType().getTensorType().getElemType());
        assertEquals(3, p.getGraph().getInput(0).getType().getTensorType().getShape().getDimCount());
        assertTrue(p.getGraph().getNodeCount() > 30 && p.getGraph().getNodeCount() < m.proto().getGraph().getNodeCount() / 4,
                p.getGraph().getNodeCount() + " nodes");
        assertTrue(p.getGraph().getNodeList().stream().noneMatch(n -> n.getInputList().contains("input_ids")));

        Map<String, TensorProto> part = OrtCpu.evaluate(block, Map.of(EMBEDDED, whole.get(EMBEDDED), MASK, whole.get(MASK)));
        assertEquals(whole.get(ATTENTION_OUT).getDimsList(), part.get(ATTENTION_OUT).getDimsList());
        assertArrayEquals(whole.get(ATTENTION_OUT).getRawData().toByteArray(), part.get(ATTENTION_OUT).getRawData().toByteArray());
    }

    @Test
    void outputNeedingAnUnlistedInputNamesIt() {
        OnnxModel m = OnnxModel.load(ModelFiles.miniLm());
        ModelException e = assertThrows(ModelException.class,
                () -> SubgraphExtraction.extract(m, List.of(EMBEDDED), List.of(ATTENTION_OUT), Map.of()));
        assertTrue(e.getMessage().contains("needs graph input 'attention_mask'"), e.getMessage());
        e = assertThrows(ModelException.class,
                () -> SubgraphExtraction.extract(m, List.of("no_such_tensor"), List.of(ATTENTION_OUT), Map.of()));
        assertTrue(e.getMessage().contains("'no_such_tensor'"), e.getMessage());
        e = assertThrows(ModelException.class,
                () -> SubgraphExtraction.extract(m, List.of(EMBEDDED, MASK), List.of(ATTENTION_OUT), Map.of()));
        assertTrue(e.getMessage().contains("type of tensor '" + EMBEDDED + "' is not declared"), e.getMessage());
    }
}

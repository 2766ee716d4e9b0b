package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.ModelException;
import org.junit.jupiter.api.Test;

/** The fourth bad-input case of the builder issue: an op without an attribute the ONNX specification requires. */
class RequiredAttributesTest {
    private static OnnxModel castWithout(long opset) {
        return OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 2).output("y", ElementType.INT64, 2)
                .node("Cast").name("to_int").inputs("x").outputs("y").add()
                .opset("", opset).buildModel(), null);
    }

    @Test
    void castWithoutToNamesTheNodeAndTheAttribute() {
        ModelException e = assertThrows(ModelException.class, () -> castWithout(17).validate());
        assertEquals("<memory>: graph 'g': node 'to_int' (Cast) has no attribute 'to' (the element type to cast to), "
                + "which the ONNX specification requires for Cast at opset 17", e.getMessage());
    }

    @Test
    void concatAxisIsRequiredFromOpset4AndInsideSubgraphsToo() {
        GraphProto thenB = OnnxGraphBuilder.graph("then").output("c", ElementType.FLOAT, 4)
                .node("Concat").inputs("x", "x").outputs("c").add().build();
        GraphProto elseB = OnnxGraphBuilder.graph("else").output("d", ElementType.FLOAT, 4)
                .node("Concat").inputs("x", "x").outputs("d").attr("axis", 0L).add().build();
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 2).input("b", ElementType.BOOL).output("y", ElementType.FLOAT, 4)
                .node("If").name("sel").inputs("b").outputs("y").attr("then_branch", thenB).attr("else_branch", elseB).add()
                .buildModel(), null);
        ModelException e = assertThrows(ModelException.class, m::validate);
        assertEquals("<memory>: graph 'g/sel.then_branch': node #0 (Concat) has no attribute 'axis' (the axis to concatenate "
                + "along), which the ONNX specification requires for Concat at opset 17", e.getMessage());
    }

    @Test
    void attributesThatBecameInputsAreOnlyRequiredBefore() {
        OnnxGraphBuilder g = OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 2).output("y", ElementType.FLOAT, 1, 2)
                .initializer(Tensors.int64s("axes", new long[] {1}, 0))
                .node("Unsqueeze").name("unsq").inputs("x", "axes").outputs("y").add();
        assertDoesNotThrow(() -> OnnxModel.of(g.opset("", 13).buildModel(), null).validate());
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.of(g.opset("", 11).buildModel(), null).validate());
        assertEquals("<memory>: graph 'g': node 'unsq' (Unsqueeze) has no attribute 'axes' (the axes to insert; an input "
                + "from opset 13), which the ONNX specification requires for Unsqueeze at opset 11", e.getMessage());
    }

    @Test
    void optionalAttributesAndOtherDomainsAreNotRequired() {
        assertDoesNotThrow(() -> OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 2, 3).output("y", ElementType.FLOAT, 3, 2).output("z", ElementType.FLOAT, 3, 2)
                .initializer(Tensors.int64s("i", new long[] {1}, 0))
                .node("Transpose").inputs("x").outputs("t").add()
                .node("Gather").inputs("t", "i").outputs("g1").add()
                .node("Softmax").inputs("t").outputs("y").add()
                .node("Cast").domain("com.example").inputs("t").outputs("z").add()
                .buildModel(), null).validate());
    }

    @Test
    void constantNeedsExactlyOneValue() {
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.of(OnnxGraphBuilder.graph("g")
                .output("y", ElementType.FLOAT, 1)
                .node("Constant").name("k").outputs("y").attr("value_float", 1f).attr("value_int", 1L).add()
                .buildModel(), null).validate());
        assertEquals("<memory>: graph 'g': node 'k' (Constant) has 2 value attributes [value_float, value_int]; a Constant "
                + "needs exactly one of [sparse_value, value, value_float, value_floats, value_int, value_ints, "
                + "value_string, value_strings]", e.getMessage());
    }

    @Test
    void realModelsPass() {
        assertDoesNotThrow(() -> OnnxModel.load(ModelFiles.sileroVad()).validate());
        assertDoesNotThrow(() -> OnnxModel.load(ModelFiles.ppocrDet()).validate());
        assertDoesNotThrow(() -> OnnxModel.load(ModelFiles.miniLm()).validate());
    }
}

package dev.javelin.builder.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.javelin.builder.onnx.ModelSummary;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dim-names step renames a symbol an input uses twice, and changes nothing else. */
class SeparateReusedDimNamesTest {
    private static List<String> shapes(OnnxModel m) {
        ModelSummary s = ModelSummary.of(m);
        List<String> out = new ArrayList<>();
        s.inputs().forEach(v -> out.add(v.name() + v.shapeText()));
        s.outputs().forEach(v -> out.add(v.name() + v.shapeText()));
        return out;
    }

    @Test
    void theSecondPositionGetsItsOwnNameEverywhereItAppears(@TempDir Path dir) {
        OnnxModel in = OnnxModel.load(BuildTestModels.reusedSymbol(dir));
        StepOutcome o = new SeparateReusedDimNames().apply(in);
        assertEquals(List.of("x[batch, dim_1]", "m[batch, 4]", "y[batch, dim_1]", "z[batch, 4]"), shapes(o.model()));
        assertEquals(List.of(
                "input x dimension 1: 'batch' -> 'dim_1' ('batch' also names another dimension of one input; TensorRT would"
                        + " require the two to be equal)",
                "output y dimension 1: 'batch' -> 'dim_1' ('batch' also names another dimension of one input; TensorRT"
                        + " would require the two to be equal)"), o.report());
        assertEquals(in.proto().getGraph().getNodeList(), o.model().proto().getGraph().getNodeList(), "nodes untouched");
        assertEquals(in.proto().getGraph().getInitializerList(), o.model().proto().getGraph().getInitializerList());
    }

    @Test
    void miniLmGetsADistinctSequenceDimension() {
        OnnxModel in = OnnxModel.load(ModelFiles.miniLm());
        assertEquals(List.of("input_ids[batch, batch]", "attention_mask[batch, batch]", "token_type_ids[batch, batch]",
                "output_0[batch, Addoutput_0_dim_1, 384]", "882[batch, 384]"), shapes(in), "as exported");
        OnnxModel out = new SeparateReusedDimNames().apply(in).model();
        assertEquals(List.of("input_ids[batch, dim_1]", "attention_mask[batch, dim_1]", "token_type_ids[batch, dim_1]",
                "output_0[batch, Addoutput_0_dim_1, 384]", "882[batch, 384]"), shapes(out));
    }

    @Test
    void aModelWithoutReuseIsReturnedAsIs(@TempDir Path dir) {
        OnnxModel in = OnnxModel.load(BuildTestModels.reusedSymbol(dir));
        OnnxModel once = new SeparateReusedDimNames().apply(in).model();
        StepOutcome twice = new SeparateReusedDimNames().apply(once);
        assertSame(once, twice.model());
        assertEquals(List.of("every input uses each dimension name once"), twice.report());
    }

    @Test
    void onnxRuntimeGivesTheSameOutputsBeforeAndAfter(@TempDir Path dir) {
        Path before = BuildTestModels.reusedSymbol(dir);
        Path after = new SeparateReusedDimNames().apply(OnnxModel.load(before)).model().write(dir.resolve("after.onnx"))
                .file().orElseThrow();
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).build();
        float[] x = {1, -2, 3, 0.5f};
        float[] m = {1, 2, 3, 4, 5, 6, 7, 8};
        try (Session a = Session.open(before, cpu); Session b = Session.open(after, cpu);
             Tensor tx = Tensor.of(x, Shape.of(2, 2)); Tensor tm = Tensor.of(m, Shape.of(2, 4));
             Result ra = a.run(Map.of("x", tx, "m", tm)); Result rb = b.run(Map.of("x", tx, "m", tm))) {
            assertArrayEquals(new float[] {3, -3, 7, 2}, ra.get("y").toFloatArray(), 0f);
            assertArrayEquals(ra.get("y").toFloatArray(), rb.get("y").toFloatArray(), 0f);
            assertArrayEquals(ra.get("z").toFloatArray(), rb.get("z").toFloatArray(), 0f);
            assertEquals("[batch, dim_1]", b.signature().input("x").orElseThrow().shapeString());
        }
        // After the step a non-square x is declared valid too (ONNX Runtime accepted it before as well).
        try (Session b = Session.open(after, cpu); Tensor tx = Tensor.of(new float[6], Shape.of(2, 3));
             Tensor tm = Tensor.of(m, Shape.of(2, 4)); Result r = b.run(Map.of("x", tx, "m", tm))) {
            assertEquals(Arrays.toString(new long[] {2, 3}), Arrays.toString(r.get("y").shape().dims()));
        }
    }
}

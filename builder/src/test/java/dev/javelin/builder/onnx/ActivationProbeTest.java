package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.FloatBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The activation probe on a small model whose intermediate values are known by hand. */
class ActivationProbeTest {
    /**
     * x[n,3] -> Add(c = [1, 2, 3]) -> a -> Relu -> r -> Mul(-2) -> y; s = Shape(x) (int64); c2 = Neg(c) (constant).
     * No value_info: the types of a and r are not declared anywhere.
     */
    static OnnxModel model() {
        return OnnxModel.of(OnnxGraphBuilder.graph("probe")
                .input("x", ElementType.FLOAT, "n", 3)
                .initializer(Tensors.floats("c", new long[] {3}, 1, 2, 3))
                .initializer(Tensors.floats("k", new long[0], -2))
                .node("Add").name("add").inputs("x", "c").outputs("a").add()
                .node("Relu").name("relu").inputs("a").outputs("r").add()
                .node("Mul").name("mul").inputs("r", "k").outputs("y").add()
                .node("Shape").name("shape").inputs("x").outputs("s").add()
                .node("Neg").name("neg").inputs("c").outputs("c2").add()
                .node("Add").name("use_c2").inputs("y", "c2").outputs("z").add()
                .output("z", ElementType.FLOAT, "n", 3)
                .buildModel(), null);
    }

    @Test
    void streamsIntermediateValuesPerSampleAndKeepsTheOutputs() {
        Map<String, List<float[]>> seen = new LinkedHashMap<>();
        try (ActivationProbe probe = ActivationProbe.open(model(), List.of("a", "r", "a"));
             Tensor x1 = Tensor.of(new float[] {-3, -1, 0, 1, 2, 5}, Shape.of(2, 3));
             Tensor x2 = Tensor.of(new float[] {-9, 0, 0}, Shape.of(1, 3))) {
            assertEquals(List.of("a", "r"), probe.tensors(), "duplicates dropped, order kept");
            assertEquals("z", probe.session().signature().outputNames().get(0), "the original output stays first");
            for (Tensor x : List.of(x1, x2)) {
                probe.run(Map.of("x", x), (t, v) -> {
                    float[] copy = new float[v.remaining()];
                    v.duplicate().get(copy);
                    seen.computeIfAbsent(t, k -> new ArrayList<>()).add(copy);
                    assertThrows(ReadOnlyBufferException.class, () -> v.put(0, 1f), "the view is read-only");
                });
            }
            assertArrayEquals(new float[] {-2, 1, 3, 2, 4, 8}, seen.get("a").get(0));
            assertArrayEquals(new float[] {0, 1, 3, 2, 4, 8}, seen.get("r").get(0));
            assertArrayEquals(new float[] {-8, 2, 3}, seen.get("a").get(1));
            assertArrayEquals(new float[] {0, 2, 3}, seen.get("r").get(1));
            Map<String, Float> max = probe.maxAbs(List.of(Map.of("x", x1), Map.of("x", x2)));
            assertEquals(Map.of("a", 8f, "r", 8f), max);
        }
    }

    @Test
    void graphInputsAreObservedFromTheFeedsOnEveryRun() {
        // The session does not refresh an output that aliases an input after the first run; the probe reads inputs
        // from the caller's feeds instead, so every run sees its own values.
        try (ActivationProbe probe = ActivationProbe.open(model(), List.of("x", "r"))) {
            for (int run = 1; run <= 3; run++) {
                float[] x = {-run, run, 2 * run};
                List<float[]> seen = new ArrayList<>();
                try (Tensor t = Tensor.of(x, Shape.of(1, 3))) {
                    probe.run(Map.of("x", t), (name, v) -> {
                        float[] copy = new float[v.remaining()];
                        v.duplicate().get(copy);
                        seen.add(copy);
                    });
                }
                assertArrayEquals(x, seen.get(0), "run " + run);
                assertArrayEquals(new float[] {0, 2 + run, 3 + 2 * run}, seen.get(1), "run " + run);
            }
        }
    }

    @Test
    void refusesWhatIsNotAFloatActivationNamingIt() {
        OnnxModel m = model();
        ModelException e = assertThrows(ModelException.class, () -> ActivationProbe.open(m, List.of("c")));
        assertTrue(e.getMessage().contains("'c'") && e.getMessage().contains("initializer"), e.getMessage());
        e = assertThrows(ModelException.class, () -> ActivationProbe.open(m, List.of("nope")));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("no node output"), e.getMessage());
        e = assertThrows(ModelException.class, () -> ActivationProbe.open(m, List.of("c2")));
        assertTrue(e.getMessage().contains("'c2'") && e.getMessage().contains("constants"), e.getMessage());
        e = assertThrows(ModelException.class, () -> ActivationProbe.open(m, List.of("a", "s")));
        assertTrue(e.getMessage().contains("'s'") && e.getMessage().contains("int64"), e.getMessage());
    }

    @Test
    void closeReleasesTheSessionAndDeletesTheTemporaryModel() {
        ActivationProbe probe = ActivationProbe.open(model(), List.of("r"));
        Path file = probe.session().model();
        assertTrue(Files.exists(file));
        probe.close();
        probe.close(); // idempotent
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(file.getParent()));
        assertTrue(probe.session().isClosed());
        try (Tensor x = Tensor.of(new float[] {1, 2, 3}, Shape.of(1, 3))) {
            assertThrows(IllegalStateException.class, () -> probe.run(Map.of("x", x), (t, v) -> { }));
        }
    }

    @Test
    void listsFloatActivationsAndConstants() {
        assertEquals(List.of("x", "a", "r", "y", "z"), ActivationProbe.floatActivations(model()));
        assertTrue(ActivationProbe.constantTensors(model().proto().getGraph()).containsAll(List.of("c", "k", "c2")));
        assertEquals(0f, ActivationProbe.maxAbs(FloatBuffer.wrap(new float[] {Float.NaN, -0f})));
    }
}

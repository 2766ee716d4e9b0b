package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * run(Map) reuses output memory that callers closed; results stay correct when shapes change between
 * calls and when callers keep results open while running again.
 */
class OrtOutputReuseTest {
    @TempDir
    Path dir;

    private static Tensor filled(int rows, float base) {
        float[] v = new float[rows * 16];
        for (int i = 0; i < v.length; i++) {
            v[i] = base + i;
        }
        return Tensor.of(v, Shape.of(rows, 16));
    }

    private static void assertSum(Result r, int rows, float baseA, float baseB) {
        Tensor y = r.asMap().values().iterator().next();
        assertEquals(Shape.of(rows, 16), y.shape());
        for (int i = 0; i < rows * 16; i++) {
            assertEquals(baseA + baseB + 2f * i, y.buffer().getFloat(4 * i), "element " + i);
        }
    }

    @Test
    void resultsAreRightAcrossShapeChangesAndHeldResults() {
        try (Session s = Session.open(TestModels.addBatch(dir), SessionOptions.builder().backend(BackendKind.CPU).build())) {
            int[] rows = {2, 2, 2, 3, 3, 2, 1, 2, 2};
            List<Result> held = new ArrayList<>();
            List<float[]> heldBases = new ArrayList<>();
            for (int k = 0; k < rows.length; k++) {
                float baseA = 100f * k;
                float baseB = 0.5f * k;
                try (Tensor a = filled(rows[k], baseA); Tensor b = filled(rows[k], baseB)) {
                    Result r = s.run(Map.of("a", a, "b", b));
                    assertSum(r, rows[k], baseA, baseB);
                    if (k % 3 == 1) {
                        held.add(r); // kept open across later runs: must not be overwritten
                        heldBases.add(new float[] {rows[k], baseA, baseB});
                    } else {
                        r.close();
                    }
                }
            }
            for (int i = 0; i < held.size(); i++) {
                float[] hb = heldBases.get(i);
                assertSum(held.get(i), (int) hb[0], hb[1], hb[2]);
                held.get(i).close();
            }
        }
    }

    @Test
    void anOutputThatIsAlsoAnInputIsTheCurrentInputOnEveryRun() {
        try (Session s = Session.open(TestModels.inputAlsoOutput(dir), SessionOptions.builder().backend(BackendKind.CPU).build())) {
            for (int run = 0; run < 5; run++) {
                float[] x = {run, -run, 2 * run + 1, -3};
                try (Tensor t = Tensor.of(x, dev.javelin.runtime.Shape.of(4)); Result r = s.run(java.util.Map.of("x", t))) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(x, r.get("x").toFloatArray(), 0f, "run " + run);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {run, 0, 2 * run + 1, 0},
                            r.get("y").toFloatArray(), 0f, "run " + run);
                }
            }
        }
    }
}

package dev.javelin.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java API example of README.md, kept compiling and correct: c = a + b on [1, 16] tensors. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeExampleRunsAndAddsElementwise() {
        Path model = TestModels.add(dir);
        float[] a = new float[16];
        float[] b = new float[16];
        for (int i = 0; i < 16; i++) {
            a[i] = i;
            b[i] = 0.5f * i;
        }
        float[] expected = new float[16];
        for (int i = 0; i < 16; i++) {
            expected[i] = 1.5f * i;
        }

        // --- README: "Java API" (general path) ---
        try (Session session = Session.open(model, SessionOptions.builder().backend(BackendKind.AUTO).build());
             Tensor ta = Tensor.of(a, Shape.of(1, 16));
             Tensor tb = Tensor.of(b, Shape.of(1, 16));
             Result result = session.run(Map.of("a", ta, "b", tb))) {
            float[] c = result.get("c").toFloatArray();
            // --- end ---
            assertArrayEquals(expected, c, 0f);
            assertEquals(BackendKind.CPU, session.backend());

            // --- README: "Java API" (bound lane) ---
            try (Lane lane = session.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)))) {
                lane.input("a").buffer().asFloatBuffer().put(a);
                lane.input("b").buffer().asFloatBuffer().put(b);
                lane.run();
                float[] c2 = lane.output("c").toFloatArray();
                // --- end ---
                assertArrayEquals(expected, c2, 0f);
            }
        }
    }
}

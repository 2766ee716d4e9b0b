package dev.javelin.runtime.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.trt.TensorRtBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Session.open on a bundle folder: ONNX Runtime runs its model.onnx; TensorRT here stops with the typed error. */
class BundleSessionTest {
    private static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).build();

    @Test
    void theCpuBackendRunsTheBundleModel(@TempDir Path dir) {
        Path b = TestBundles.write(dir, Map.of("engine.sm86-trt10.15.1.plan", new byte[] {1, 2}), "10.15.1", "8.6");
        float[] x = new float[32];
        float[] y = new float[32];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.25f - 3;
            y[i] = (float) Math.sin(i);
        }
        try (Session s = Session.open(b, CPU);
             Tensor a = Tensor.of(x, Shape.of(2, 16));
             Tensor c = Tensor.of(y, Shape.of(2, 16));
             Result r = s.run(Map.of("a", a, "b", c))) {
            assertEquals(b, s.model(), "the session names the bundle folder");
            assertEquals(BackendKind.CPU, s.backend());
            assertEquals("[batch, 16]", s.signature().input("a").orElseThrow().shapeString());
            float[] out = r.get("c").toFloatArray();
            float[] expected = new float[32];
            for (int i = 0; i < 32; i++) {
                expected[i] = x[i] + y[i];
            }
            assertArrayEquals(expected, out, 0f);
        }
    }

    @Test
    void aTamperedBundleIsRefusedBeforeAnyBackend(@TempDir Path dir) throws Exception {
        Path b = TestBundles.write(dir, Map.of(), "10.15.1", "8.6");
        Files.writeString(b.resolve("model.onnx"), "not the model");
        ModelException e = assertThrows(ModelException.class, () -> Session.open(b, CPU));
        assertTrue(e.getMessage().contains("model.onnx is 13 bytes but the manifest"), e.getMessage());
        ModelException plain = assertThrows(ModelException.class, () -> Session.open(dir, CPU));
        assertTrue(plain.getMessage().contains("is a directory without manifest.json"), plain.getMessage());
    }

    @Test
    void tensorRtWithoutAGpuIsTheTypedErrorForBundlesToo(@TempDir Path dir) {
        Assumptions.assumeFalse(NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available(),
                "this machine has an NVIDIA driver; TensorRtBundleGpuTest covers it");
        Path b = TestBundles.write(dir, Map.of("engine.sm86-trt10.15.1.plan", new byte[] {1, 2}), "10.15.1", "8.6");
        SessionOptions trt = SessionOptions.builder().backend(BackendKind.TENSORRT).rebuildEngines(true).build();
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Session.open(b, trt));
        assertEquals("tensorrt", e.backend());
        assertTrue(e.getMessage().startsWith("backend 'tensorrt' is unavailable: CUDA driver unavailable"), e.getMessage());
        BackendUnavailableException direct = assertThrows(BackendUnavailableException.class,
                () -> new TensorRtBackend().compile(Bundle.open(b), trt));
        assertEquals(e.getMessage(), direct.getMessage());
    }
}

package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.core.NativeStackLine;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendSelector;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.spi.Availability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without an NVIDIA driver the TensorRT backend is found, says why it cannot run, and never crashes. */
class TensorRtBackendNoGpuTest {
    private static final SessionOptions TRT = SessionOptions.builder().backend(BackendKind.TENSORRT).build();

    private static void noDriverHere() {
        org.junit.jupiter.api.Assumptions.assumeFalse(NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available(),
                "this machine has an NVIDIA driver; TensorRtGpuTest covers it");
    }

    @Test
    void serviceLoaderFindsTheBackendAndItExplainsItself() {
        noDriverHere();
        List<BackendSelector.Candidate> all = BackendSelector.survey(SessionOptions.defaults());
        BackendSelector.Candidate trt = all.stream().filter(c -> c.backend().kind() == BackendKind.TENSORRT).findFirst().orElseThrow();
        assertTrue(trt.backend() instanceof TensorRtBackend);
        Availability a = trt.availability();
        assertFalse(a.usable());
        assertEquals("CUDA driver unavailable: no NVIDIA driver: libcuda.so.1 not found; expected libcuda.so.1 "
                + (NativeStackLine.ID.equals("jetpack6") ? "(NVIDIA driver >= 540.4 (L4T r36.4, JetPack 6.1) for CUDA 12.6)"
                        : "(NVIDIA driver >= R580 for CUDA 13.1)"), a.detail());
    }

    @Test
    void forcedTensorRtFailsWithTheTypedErrorEveryTime(@TempDir Path dir) throws Exception {
        noDriverHere();
        Path model = Path.of(System.getProperty("javelin.models.dir", "../.models"), "silero_vad.onnx");
        if (!Files.isRegularFile(model)) {
            model = Files.write(dir.resolve("tiny.onnx"), new byte[] {8, 7}); // any non-empty file: the backend refuses first
        }
        String first = null;
        for (int i = 0; i < 50; i++) {
            Path m = model;
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Session.open(m, TRT));
            assertEquals("tensorrt", e.backend());
            if (first == null) {
                first = e.getMessage();
                assertTrue(first.startsWith("backend 'tensorrt' is unavailable: CUDA driver unavailable: no NVIDIA driver"), first);
            }
            assertEquals(first, e.getMessage());
            BackendUnavailableException direct = assertThrows(BackendUnavailableException.class,
                    () -> new TensorRtBackend().compile(m, TRT));
            assertEquals(first, direct.getMessage());
            // Called directly, the backend attaches the loader's exception with every path tried.
            assertTrue(direct.getCause() instanceof dev.javelin.bindings.core.NativeLibraryUnavailableException, "cause: " + direct.getCause());
            assertTrue(direct.getCause().getMessage().contains("tried: dlopen(libcuda.so.1)"), direct.getCause().getMessage());
        }
    }

    @Test
    void theEngineBuilderFailsWithTheSameTypedErrorAndWritesNothing(@TempDir Path dir) throws Exception {
        noDriverHere();
        Path model = Files.write(dir.resolve("m.onnx"), new byte[] {8, 7});
        EngineCache cache = new EngineCache(dir.resolve("engines"));
        for (int i = 0; i < 20; i++) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> TensorRtEngineBuilder.build(
                    model, TensorRtOptions.defaults().withTimingCache(dir.resolve("t.cache")), 0, cache));
            assertEquals("tensorrt", e.backend());
            assertTrue(e.getMessage().startsWith("backend 'tensorrt' is unavailable: CUDA driver unavailable: no NVIDIA driver"),
                    e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("engines")));
        assertFalse(Files.exists(dir.resolve("t.cache")));
    }
}

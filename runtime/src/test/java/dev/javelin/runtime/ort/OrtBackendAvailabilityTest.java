package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.ort.ExecutionProviderUnavailableException;
import dev.javelin.bindings.ort.Ort;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendSelector;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the GPU natives (this machine: CPU-only ONNX Runtime, no NVIDIA driver) the CUDA backend says
 * why it is unusable, forcing it is a typed error, and auto falls back to the CPU. The real provider
 * calls are made and fail with a typed error.
 */
class OrtBackendAvailabilityTest {
    @TempDir
    Path dir;

    static boolean cpuOnlyNatives() {
        return !Ort.hasProvider(Ort.CUDA_PROVIDER);
    }

    @Test
    void cpuBackendIsUsable() {
        Availability a = new OrtCpuBackend().availability(SessionOptions.defaults());
        assertTrue(a.usable(), a.detail());
        assertTrue(a.detail().contains(Ort.version()), a.detail());
    }

    @Test
    void cudaBackendReportsUnusableWithTheReason() {
        Availability a = new OrtCudaBackend().availability(SessionOptions.defaults());
        assertFalse(a.usable(), "no GPU here: " + a.detail());
        if (cpuOnlyNatives()) {
            assertTrue(a.detail().contains("no CUDA execution provider") && a.detail().contains("-Pgpu"), a.detail());
        }
    }

    @Test
    void forcedCudaThrowsWhileAutoPicksCpu() {
        SessionOptions cuda = SessionOptions.builder().backend(BackendKind.CUDA).build();
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> BackendSelector.select(cuda));
        assertEquals("cuda", e.backend());
        assertThrows(BackendUnavailableException.class, () -> Session.open(TestModels.add(dir), cuda));
        assertThrows(BackendUnavailableException.class, () -> new OrtCudaBackend().compile(TestModels.add(dir), cuda));

        SessionOptions auto = SessionOptions.defaults();
        assertEquals(BackendKind.CPU, BackendSelector.select(auto).kind());
        try (Session s = Session.open(TestModels.add(dir), auto)) {
            assertEquals(BackendKind.CPU, s.backend());
        }
    }

    @Test
    void providerAppendsAreRealCallsFailingWithTypedErrors() {
        try (SessionConfig config = new SessionConfig()) {
            ExecutionProviderUnavailableException cuda = assertThrows(ExecutionProviderUnavailableException.class,
                    () -> config.appendCuda(0));
            assertEquals(Ort.CUDA_PROVIDER, cuda.provider());
            assertTrue(cuda.call().contains("CUDA") && cuda.call().contains("device 0"), cuda.call());
            assertFalse(cuda.ortMessage().isEmpty(), "carries ONNX Runtime's own message");
            ExecutionProviderUnavailableException trt = assertThrows(ExecutionProviderUnavailableException.class,
                    () -> config.appendTensorRt(0));
            assertEquals(Ort.TENSORRT_PROVIDER, trt.provider());
            assertTrue(trt.reason().contains("TensorrtExecutionProvider"), trt.reason());
            // The options stay usable for the CPU after the failed appends.
            config.appendCpu(false);
            assertEquals(java.util.List.of(Ort.CPU_PROVIDER), config.providers());
        }
    }
}

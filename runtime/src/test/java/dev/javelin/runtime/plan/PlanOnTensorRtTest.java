package dev.javelin.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU path of a partition plan reaches TensorRT's availability check and, on a machine without a GPU, fails with the
 * typed error saying why (never a JVM crash); ONNX Runtime CUDA is refused for plans with the reason.
 */
class PlanOnTensorRtTest {
    @TempDir
    Path dir;

    @Test
    void withoutAGpuOpeningAPlanOnTensorRtFailsWithTheReason() throws Exception {
        Assumptions.assumeFalse(new dev.javelin.runtime.trt.TensorRtBackend().availability(SessionOptions.defaults()).usable(),
                "this machine has a usable GPU; the no-GPU path is what is tested here");
        PartitionPlanJsonTest.sample().write(dir.resolve(PartitionPlan.FILE_NAME));
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Session.openPlan(dir, SessionOptions.builder().backend(BackendKind.TENSORRT).build()));
        assertEquals("tensorrt", e.backend());
        assertTrue(e.getMessage().length() > "backend 'tensorrt' is unavailable: ".length(), e.getMessage());
    }

    @Test
    void onnxRuntimeCudaDoesNotRunPlansAndMissingPlansAreModelErrors() throws Exception {
        PartitionPlanJsonTest.sample().write(dir.resolve(PartitionPlan.FILE_NAME));
        BackendUnavailableException cuda = assertThrows(BackendUnavailableException.class,
                () -> Session.openPlan(dir, SessionOptions.builder().backend(BackendKind.CUDA).build()));
        assertTrue(cuda.getMessage().contains("tensorrt") && cuda.getMessage().contains("emulated on cpu"), cuda.getMessage());
        assertThrows(ModelException.class, () -> Session.openPlan(dir.resolve("elsewhere"), SessionOptions.defaults()));
        // The emulation needs the segment models the plan names.
        ModelException missing = assertThrows(ModelException.class,
                () -> Session.openPlan(dir, SessionOptions.builder().backend(BackendKind.CPU).build()));
        assertTrue(missing.getMessage().contains("segment-0.onnx"), missing.getMessage());
    }
}

package dev.javelin.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.core.NativeStackLine;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaDriver;
import dev.javelin.bindings.trt.TensorRt;
import dev.javelin.bindings.trt.TrtBuilder;
import dev.javelin.bindings.trt.TrtRuntime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.global.onnxruntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * On a machine without the NVIDIA driver, every GPU entry point of the bindings fails with the typed
 * {@link NativeLibraryUnavailableException}, over and over, cheaply, and the JVM lives on; ONNX Runtime
 * loads. The same test on a GPU machine would see the GPU stacks load (it skips nothing: it asserts what
 * the machine has, and this machine has no libcuda.so.1).
 */
class NoGpuSmokeTest {
    private static final int REPEATS = 200;

    private static Map<String, Executable> gpuEntryPoints() {
        Map<String, Executable> m = new LinkedHashMap<>();
        m.put("NativeLoader.require(CUDA_DRIVER)", () -> NativeLoader.require(NativeLoader.Stack.CUDA_DRIVER));
        m.put("NativeLoader.require(CUDA_RUNTIME)", () -> NativeLoader.require(NativeLoader.Stack.CUDA_RUNTIME));
        m.put("NativeLoader.require(TENSORRT)", () -> NativeLoader.require(NativeLoader.Stack.TENSORRT));
        m.put("NativeLoader.cudaDriverFunction", () -> NativeLoader.cudaDriverFunction("cuInit"));
        m.put("CudaDriver.get", CudaDriver::get);
        m.put("CudaContext.primary", () -> CudaContext.primary(0));
        m.put("TensorRt.logger", TensorRt::logger);
        m.put("TrtRuntime.create", TrtRuntime::create);
        m.put("TrtBuilder.create", TrtBuilder::create);
        return m;
    }

    @Test
    void everyGpuEntryPointReportsTheTypedUnavailabilityRepeatedly() throws Throwable {
        org.junit.jupiter.api.Assumptions.assumeFalse(NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available(),
                "this machine has an NVIDIA driver; the GPU tests cover it");
        long start = System.nanoTime();
        for (Map.Entry<String, Executable> e : gpuEntryPoints().entrySet()) {
            String first = null;
            for (int i = 0; i < REPEATS; i++) {
                NativeLibraryUnavailableException ex = assertThrows(NativeLibraryUnavailableException.class, e.getValue(), e.getKey());
                if (first == null) {
                    first = ex.getMessage();
                    assertTrue(first.contains("libcuda.so.1"), e.getKey() + ": " + first);
                    assertTrue(first.contains("no NVIDIA driver"), e.getKey() + ": " + first);
                    assertFalse(ex.attempts().isEmpty(), e.getKey());
                    assertNotNull(ex.expected(), e.getKey());
                } else {
                    assertEquals(first, ex.getMessage(), "the same answer every time: " + e.getKey());
                }
            }
        }
        double millis = (System.nanoTime() - start) / 1e6;
        // 9 entry points x 200 calls answered from the cache: a retry that dlopen()s would take far longer.
        assertTrue(millis < 3000, "took " + millis + " ms");
    }

    @Test
    void expectedVersionsAreSpelledOut() {
        NativeLibraryUnavailableException driver = NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).failure();
        assertTrue(driver.getMessage().contains("NVIDIA driver >= " + NativeStackLine.MIN_DRIVER + " for CUDA "
                + NativeStackLine.CUDA), driver.getMessage());
        assertTrue(NativeLoader.probe(NativeLoader.Stack.TENSORRT).failure().getMessage()
                .contains("TensorRT >= " + NativeStackLine.TENSORRT_MAJOR + "." + NativeStackLine.TENSORRT_MIN_MINOR));
        // The preset's compile-time constants are the line's: the stack class and the POM profile agree.
        assertTrue(TensorRt.builtVersion().startsWith(NativeStackLine.TENSORRT_BUILT + "."), TensorRt.builtVersion());
        if (!NativeLoader.probe(NativeLoader.Stack.TENSORRT).available()) {
            assertNull(TensorRt.loadedVersion());
        }
    }

    @Test
    void onnxRuntimeEntryPointsLoad() {
        NativeLoader.require(NativeLoader.Stack.ONNX_RUNTIME);
        assertEquals(NativeStackLine.ONNXRUNTIME, NativeLoader.probe(NativeLoader.Stack.ONNX_RUNTIME).version());
        OrtApi api = onnxruntime.OrtGetApiBase().GetApi().call(onnxruntime.ORT_API_VERSION);
        assertNotNull(api);
        assertFalse(api.isNull(), "ORT_API_VERSION " + onnxruntime.ORT_API_VERSION + " is served");
    }
}

package dev.javelin.bindings.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loading rules, exercised through the uncached probe functions with explicit properties. */
class NativeLoaderTest {
    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void skipPropertyDisablesEveryGpuStackWithoutLoadingAnything() {
        Properties off = props(NativeLoader.GPU_PROPERTY, "false");
        NativeLoader.Probe driver = NativeLoader.probeCudaDriver(off);
        assertFalse(driver.available());
        assertEquals("disabled by -Djavelin.gpu=false", driver.detail());
        assertEquals(List.of("skipped: -Djavelin.gpu=false"), driver.attempts());
        assertFalse(NativeLoader.probeCudaRuntime(off, driver).available());
        assertEquals("disabled by -Djavelin.gpu=false", NativeLoader.probeTensorRt(off, driver).detail());
        assertEquals("disabled by -Djavelin.tensorrt=false",
                NativeLoader.probeTensorRt(props(NativeLoader.TENSORRT_PROPERTY, "FALSE"), driver).detail());
        assertEquals("disabled by -Djavelin.onnxruntime=false",
                NativeLoader.probeOnnxRuntime(props(NativeLoader.ONNXRUNTIME_PROPERTY, "false")).detail());
    }

    @Test
    void defaultDriverSearchListsEveryPlaceItLooked() {
        NativeLoader.Probe p = NativeLoader.probeCudaDriver(props());
        assertFalse(p.available(), "this machine has no NVIDIA driver");
        assertEquals("no NVIDIA driver: libcuda.so.1 not found", p.detail());
        assertTrue(p.attempts().get(0).startsWith("dlopen(libcuda.so.1) on LD_LIBRARY_PATH and the ld.so cache: "),
                p.attempts().get(0));
        assertTrue(p.attempts().get(0).contains("cannot open shared object file"), p.attempts().get(0));
        assertTrue(p.attempts().contains("/usr/lib/aarch64-linux-gnu/tegra/libcuda.so.1: not present"), p.attempts().toString());
        assertEquals(6, p.attempts().size(), p.attempts().toString());
        String message = p.failure().getMessage();
        assertTrue(message.startsWith("CUDA driver is unavailable: no NVIDIA driver: libcuda.so.1 not found; "
                + "expected libcuda.so.1 (NVIDIA driver >= " + NativeStackLine.MIN_DRIVER + " for CUDA " + NativeStackLine.CUDA
                + "); tried: dlopen(libcuda.so.1)"), message);
    }

    @Test
    void explicitDriverPathIsTheOnlyOneTried(@TempDir Path dir) throws IOException {
        NativeLoader.Probe missing = NativeLoader.probeCudaDriver(
                props(NativeLoader.CUDA_DRIVER_PATH_PROPERTY, dir.resolve("libcuda.so.1").toString()));
        assertFalse(missing.available());
        assertEquals(List.of(dir.resolve("libcuda.so.1") + ": not present"), missing.attempts());
        assertTrue(missing.detail().contains("-Djavelin.cuda.driver"), missing.detail());

        Path notALibrary = Files.writeString(dir.resolve("libcuda.so.1"), "not an ELF file\n".repeat(256));
        NativeLoader.Probe bad = NativeLoader.probeCudaDriver(props(NativeLoader.CUDA_DRIVER_PATH_PROPERTY, notALibrary.toString()));
        assertFalse(bad.available());
        assertEquals(1, bad.attempts().size());
        assertTrue(bad.attempts().get(0).startsWith(notALibrary + ": "), bad.attempts().get(0));
        assertTrue(bad.attempts().get(0).contains("invalid ELF header"), bad.attempts().get(0));
    }

    @Test
    void stacksAboveAMissingDriverSayWhatTheyNeedAndKeepItsAttempts() {
        NativeLoader.Probe driver = NativeLoader.probeCudaDriver(props());
        NativeLoader.Probe runtime = NativeLoader.probeCudaRuntime(props(), driver);
        assertFalse(runtime.available());
        assertTrue(runtime.detail().startsWith("needs the CUDA driver, which is unavailable: no NVIDIA driver"), runtime.detail());
        assertEquals(driver.attempts(), runtime.attempts());
        NativeLoader.Probe trt = NativeLoader.probeTensorRt(props(), runtime);
        assertTrue(trt.detail().startsWith("needs the CUDA runtime, which is unavailable: needs the CUDA driver"), trt.detail());
        assertTrue(trt.failure().getMessage().contains("libnvinfer.so.10"), trt.failure().getMessage());
    }

    @Test
    void onnxRuntimeLoadsAndReportsItsVersion(@TempDir Path empty) {
        NativeLoader.Probe p = NativeLoader.probe(NativeLoader.Stack.ONNX_RUNTIME);
        assertTrue(p.available(), p.detail());
        assertEquals(NativeStackLine.ONNXRUNTIME, p.version());
        NativeLoader.require(NativeLoader.Stack.ONNX_RUNTIME);
        assertSame(p, NativeLoader.probe(NativeLoader.Stack.ONNX_RUNTIME), "cached");
        // A library folder without the library is reported, and the jar's library is used.
        NativeLoader.Probe viaDir = NativeLoader.probeOnnxRuntime(props(NativeLoader.ONNXRUNTIME_LIBDIR_PROPERTY, empty.toString()));
        assertTrue(viaDir.available());
        assertEquals("-Djavelin.onnxruntime.libdir=" + empty + ": no matching library in the folder", viaDir.attempts().get(0));
    }

    @Test
    void nvrtcSearchListsEveryPlaceItLookedAndAnExplicitPathIsTheOnlyOneTried(@TempDir Path dir) throws IOException {
        Object r = NativeLoader.probeNvrtc(props(NativeLoader.CUDA_LIBDIR_PROPERTY, dir.toString()), "/opt/cuda-home");
        org.junit.jupiter.api.Assumptions.assumeTrue(r instanceof NativeLibraryUnavailableException,
                "this machine has an NVRTC library: " + r);
        NativeLibraryUnavailableException e = (NativeLibraryUnavailableException) r;
        assertEquals("NVRTC", e.library());
        assertTrue(e.getMessage().startsWith("NVRTC is unavailable: no NVRTC library found; expected libnvrtc.so.13"), e.getMessage());
        List<String> tried = e.attempts();
        assertTrue(tried.get(0).startsWith("dlopen(libnvrtc.so.13)"), tried.toString());
        assertTrue(tried.contains(dir.resolve("libnvrtc.so.13") + ": not present"), tried.toString());
        assertTrue(tried.contains("/opt/cuda-home/lib64/libnvrtc.so.12: not present"), tried.toString());
        assertTrue(tried.stream().anyMatch(t -> t.startsWith("dlopen(libnvrtc.so.12)")), tried.toString());

        Path notALibrary = Files.writeString(dir.resolve("libnvrtc.so.13"), "not an ELF file");
        Object explicit = NativeLoader.probeNvrtc(props(NativeLoader.NVRTC_PATH_PROPERTY, notALibrary.toString()), null);
        NativeLibraryUnavailableException x = (NativeLibraryUnavailableException) explicit;
        assertEquals(1, x.attempts().size(), x.attempts().toString());
        assertTrue(x.getMessage().contains("the library given by -Djavelin.nvrtc could not be loaded"), x.getMessage());
    }

    @Test
    void versionsAndMessages() {
        assertEquals("13.1", NativeLoader.cudaVersion(13010));
        assertEquals("12.6", NativeLoader.cudaVersion(12060));
        assertEquals("11.8", NativeLoader.cudaVersion(11080));
        UnsatisfiedLinkError root = new UnsatisfiedLinkError("/x/libjnicudart.so: libcuda.so.1: cannot open shared object file");
        UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudart in java.library.path");
        outer.initCause(root);
        NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class org.bytedeco.cuda.global.cudart");
        later.initCause(new ExceptionInInitializerError("Exception java.lang.UnsatisfiedLinkError: no jnicudart"));
        assertEquals("/x/libjnicudart.so: libcuda.so.1: cannot open shared object file", NativeLoader.rootMessage(outer));
        assertEquals("Exception java.lang.UnsatisfiedLinkError: no jnicudart", NativeLoader.rootMessage(later));
        assertNull(new NativeLoader.Probe(NativeLoader.Stack.CUDA_DRIVER, true, "13.1", "ok", List.of(), null).cause());
    }

    @Test
    void bytesAreFormattedInBinaryUnits() {
        assertEquals("0 B", Bytes.format(0));
        assertEquals("1023 B", Bytes.format(1023));
        assertEquals("1.0 KiB", Bytes.format(1024));
        assertEquals("4.0 MiB", Bytes.format(4L << 20));
        assertEquals("1.5 GiB", Bytes.format(3L << 29));
    }

    @Test
    void leanOnnxRuntimeLoadingCanBeSwitchedOffForJavaCppsOwnLoader() {
        List<String> attempts = new java.util.ArrayList<>();
        assertFalse(NativeLoader.loadOnnxRuntimeAlone(props(NativeLoader.ONNXRUNTIME_LEAN_PROPERTY, "false"), false, attempts));
        assertEquals(List.of("ONNX Runtime without the inherited dnnl/opencl presets: skipped (-Djavelin.onnxruntime.lean=false)"),
                attempts);
    }
}

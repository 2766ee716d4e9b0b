package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeStackLine;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.runtime.spi.Availability;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each reason the TensorRT backend can be unusable, in the order they are checked. */
class TensorRtAvailabilityTest {
    private static final CudaDeviceInfo A10G = new CudaDeviceInfo(0, "NVIDIA A10G", 8, 6, 24L << 30, 80, false, true);
    private static final CudaDeviceInfo V100 = new CudaDeviceInfo(1, "Tesla V100-SXM2-16GB", 7, 0, 16L << 30, 80, false, true);
    private static final CudaDeviceInfo T4 = new CudaDeviceInfo(2, "Tesla T4", 7, 5, 15L << 30, 40, false, true);

    private static GpuFacts ok(List<CudaDeviceInfo> devices) {
        return new GpuFacts(true, "loaded /usr/lib/x86_64-linux-gnu/libcuda.so.1", null, 13010, devices, true,
                "TensorRT 10.15.1 loaded", "10.15.1");
    }

    @Test
    void noDriver() {
        Availability a = TensorRtAvailability.evaluate(new GpuFacts(false,
                "CUDA driver is unavailable: no NVIDIA driver: libcuda.so.1 not found; expected libcuda.so.1 "
                        + "(NVIDIA driver >= R580 for CUDA 13.1); tried: ...", null, 0, List.of(), false, null, null), 0);
        assertFalse(a.usable());
        assertTrue(a.detail().startsWith("CUDA driver is unavailable: no NVIDIA driver"), a.detail());
    }

    @Test
    void driverThatCannotStart() {
        Availability a = TensorRtAvailability.evaluate(new GpuFacts(true, "loaded", 
                "cuInit(0) failed: CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected", 0, List.of(), false, null, null), 0);
        assertEquals("the NVIDIA driver is installed but CUDA cannot start: cuInit(0) failed: CUDA_ERROR_NO_DEVICE (100): "
                + "no CUDA-capable device is detected", a.detail());
    }

    private static final boolean JETPACK6 = NativeStackLine.ID.equals("jetpack6");

    @Test
    void driverTooOldForTheLinesCuda() {
        if (JETPACK6) {
            // JetPack 6.0's driver (CUDA 12.2) under the JetPack 6 line (CUDA 12.6).
            GpuFacts f = new GpuFacts(true, "loaded", null, 12020, List.of(A10G), false, "x", null);
            assertEquals("the NVIDIA driver supports CUDA 12.2, but TensorRT 10.6.0 (bytedeco 1.5.11) needs CUDA 12.6: "
                    + "update to an NVIDIA driver >= 540.4 (L4T r36.4, JetPack 6.1)", TensorRtAvailability.evaluate(f, 0).detail());
            assertTrue(TensorRtAvailability.evaluate(new GpuFacts(true, "loaded", null, 12060, List.of(A10G), true,
                    "TensorRT 10.3.0 loaded", "10.3.0"), 0).usable(), "JetPack 6.1's driver reports CUDA 12.6");
        } else {
            GpuFacts f = new GpuFacts(true, "loaded", null, 12060, List.of(A10G), false, "x", null);
            assertEquals("the NVIDIA driver supports CUDA 12.6, but TensorRT 10.15.1 (bytedeco 1.5.13) needs CUDA 13.0: "
                    + "update to an NVIDIA driver >= R580", TensorRtAvailability.evaluate(f, 0).detail());
        }
    }

    @Test
    void deviceMissingOrTooOld() {
        assertEquals("CUDA device 3 was requested but this machine has 2 (0..1)",
                TensorRtAvailability.evaluate(ok(List.of(A10G, V100)), 3).detail());
        Availability volta = TensorRtAvailability.evaluate(ok(List.of(A10G, V100)), 1);
        assertFalse(volta.usable());
        assertEquals("cuda:1 Tesla V100-SXM2-16GB has compute capability 7.0; TensorRT " + (JETPACK6 ? "10.6 for CUDA 12"
                : "10.15 for CUDA 13") + " needs 7.5 (Turing) or newer", volta.detail());
        assertTrue(TensorRtAvailability.evaluate(ok(List.of(A10G, V100, T4)), 2).usable(), "7.5 is enough");
    }

    @Test
    void tensorRtLibrariesMissing() {
        GpuFacts f = new GpuFacts(true, "loaded", null, 13010, List.of(A10G), false,
                "TensorRT is unavailable: the TensorRT libraries could not be loaded: libnvinfer.so.10: cannot open shared "
                        + "object file", null);
        Availability a = TensorRtAvailability.evaluate(f, 0);
        assertFalse(a.usable());
        assertTrue(a.detail().contains("libnvinfer.so.10: cannot open shared object file"), a.detail());
        assertTrue(a.detail().endsWith(JETPACK6
                ? "(install JetPack 6.1 or newer (TensorRT 10.3: apt-get install nvidia-tensorrt, part of nvidia-jetpack), "
                        + "or run the docker/Dockerfile.jetson image)"
                : "(build with -Pgpu-redist to bundle CUDA and TensorRT, or install TensorRT 10.15 or a newer 10.x)"), a.detail());
    }

    @Test
    void usableSaysWhatItRunsOn() {
        Availability a = TensorRtAvailability.evaluate(ok(List.of(A10G)), 0);
        assertTrue(a.usable());
        assertEquals("TensorRT 10.15.1 on cuda:0 NVIDIA A10G (compute 8.6, CUDA driver 13.1)", a.detail());
    }
}

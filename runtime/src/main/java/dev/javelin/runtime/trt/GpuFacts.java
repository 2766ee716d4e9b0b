package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.cuda.CudaDriver;
import java.util.List;

/**
 * What the TensorRT backend's availability depends on, gathered from the bindings (loaded once and
 * cached there) into plain values so the decision ({@link TensorRtAvailability}) is testable anywhere.
 *
 * @param driverLoaded    whether libcuda.so.1 loaded
 * @param driverDetail    what was loaded, or why not and what is expected
 * @param initFailure     {@code cuInit}'s error when the driver loaded but CUDA could not start, else {@code null}
 * @param driverVersion   CUDA driver API version (13010 for 13.1), 0 if unknown
 * @param devices         devices found
 * @param tensorRtLoaded  whether TensorRT (and the CUDA runtime under it) loaded
 * @param tensorRtDetail  TensorRT's version line, or why it did not load and what is expected
 * @param tensorRtVersion loaded TensorRT version, or {@code null}
 */
record GpuFacts(boolean driverLoaded, String driverDetail, String initFailure, int driverVersion,
                List<CudaDeviceInfo> devices, boolean tensorRtLoaded, String tensorRtDetail, String tensorRtVersion) {
    GpuFacts {
        devices = List.copyOf(devices);
    }

    /** Reads the facts of this machine; never throws. */
    static GpuFacts collect() {
        NativeLoader.Probe driver = NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER);
        if (!driver.available()) {
            return new GpuFacts(false, reason(driver), null, 0, List.of(), false, null, null);
        }
        CudaDriver cuda;
        try {
            cuda = CudaDriver.get();
        } catch (NativeCallException e) {
            return new GpuFacts(true, driver.detail(), e.getMessage(), 0, List.of(), false, null, null);
        }
        NativeLoader.Probe trt = NativeLoader.probe(NativeLoader.Stack.TENSORRT);
        return new GpuFacts(true, driver.detail(), null, cuda.version(), cuda.devices(), trt.available(),
                trt.available() ? trt.detail() : reason(trt), trt.version());
    }

    /** {@code "CUDA driver unavailable: <why>; expected <libraries>"}: the loader's reason without its attempt list. */
    static String reason(NativeLoader.Probe p) {
        return p.stack().label() + " unavailable: " + p.detail() + "; expected " + p.stack().expected();
    }
}

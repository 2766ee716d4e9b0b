package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.core.NativeStackLine;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.trt.TensorRt;
import dev.javelin.runtime.spi.Availability;

/**
 * Whether the TensorRT backend can run on a device, decided from {@link GpuFacts} in plain Java; each
 * unusable answer says what is missing and how to fix it.
 */
final class TensorRtAvailability {
    /**
     * Oldest compute capability (x10) TensorRT 10.15's CUDA 13 build runs on: Turing (7.5). CUDA 13 removed
     * Maxwell, Pascal and Volta ({@code nvcc 13 --list-gpu-arch} starts at compute_75), and TensorRT 10.15's
     * own CMake default architectures start at SM 75.
     */
    static final int MIN_COMPUTE_CAPABILITY = 75;

    private TensorRtAvailability() {
    }

    static Availability evaluate(GpuFacts f, int deviceId) {
        if (!f.driverLoaded()) {
            return Availability.unusable(f.driverDetail());
        }
        if (f.initFailure() != null) {
            return Availability.unusable("the NVIDIA driver is installed but CUDA cannot start: " + f.initFailure());
        }
        if (f.driverVersion() < NativeLoader.MIN_CUDA_DRIVER_API) {
            return Availability.unusable("the NVIDIA driver supports CUDA " + NativeLoader.cudaVersion(f.driverVersion())
                    + ", but TensorRT " + TensorRt.builtVersion() + " (bytedeco " + NativeStackLine.JAVACPP + ") needs CUDA "
                    + NativeLoader.cudaVersion(NativeStackLine.MIN_CUDA_DRIVER_API) + ": update to an NVIDIA driver >= "
                    + NativeStackLine.MIN_DRIVER);
        }
        if (f.devices().isEmpty()) {
            return Availability.unusable("the NVIDIA driver reports no CUDA device");
        }
        if (deviceId >= f.devices().size()) {
            return Availability.unusable("CUDA device " + deviceId + " was requested but this machine has "
                    + f.devices().size() + " (0.." + (f.devices().size() - 1) + ")");
        }
        CudaDeviceInfo d = f.devices().get(deviceId);
        if (d.computeCapability() < MIN_COMPUTE_CAPABILITY) {
            return Availability.unusable("cuda:" + deviceId + " " + d.name() + " has compute capability "
                    + d.computeCapabilityString() + "; TensorRT " + TensorRt.BUILT_MAJOR + "." + TensorRt.BUILT_MINOR
                    + " for CUDA " + NativeStackLine.CUDA_MAJOR + " needs 7.5 (Turing) or newer");
        }
        if (!f.tensorRtLoaded()) {
            return Availability.unusable(f.tensorRtDetail() + " (" + NativeStackLine.TENSORRT_INSTALL_HINT + ")");
        }
        return Availability.usable("TensorRT " + f.tensorRtVersion() + " on cuda:" + deviceId + " " + d.name()
                + " (compute " + d.computeCapabilityString() + ", CUDA driver " + NativeLoader.cudaVersion(f.driverVersion()) + ")");
    }
}

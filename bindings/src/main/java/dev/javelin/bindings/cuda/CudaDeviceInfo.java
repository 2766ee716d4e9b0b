package dev.javelin.bindings.cuda;

import dev.javelin.bindings.core.Bytes;

/**
 * Static properties of one CUDA device, read once when the driver is initialised.
 *
 * @param ordinal           device ordinal
 * @param name              marketing name, e.g. {@code "NVIDIA A10G"} or {@code "Orin"}
 * @param computeMajor      compute capability major version
 * @param computeMinor      compute capability minor version
 * @param totalMemory       device memory in bytes
 * @param multiprocessors   number of streaming multiprocessors
 * @param integrated        whether the GPU shares memory with the host (Jetson / Tegra)
 * @param canMapHostMemory  whether pinned host memory can be mapped into the device address space
 */
public record CudaDeviceInfo(int ordinal, String name, int computeMajor, int computeMinor, long totalMemory,
                             int multiprocessors, boolean integrated, boolean canMapHostMemory) {

    /** Compute capability as {@code major * 10 + minor} (75 for 7.5), the form TensorRT and nvcc use. */
    public int computeCapability() {
        return computeMajor * 10 + computeMinor;
    }

    /** Compute capability as {@code "7.5"}. */
    public String computeCapabilityString() {
        return computeMajor + "." + computeMinor;
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal + " " + name + " (compute " + computeCapabilityString() + ", "
                + Bytes.format(totalMemory) + (integrated ? ", integrated" : "") + ")";
    }
}

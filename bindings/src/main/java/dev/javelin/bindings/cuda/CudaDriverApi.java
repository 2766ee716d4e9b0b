package dev.javelin.bindings.cuda;

/**
 * JNA direct mapping of the CUDA driver API entry points Javelin uses. Registered against libcuda by
 * {@link dev.javelin.bindings.core.NativeLoader} (never here, so a missing driver cannot poison this class);
 * every caller goes through {@link CudaDriver#get()} first.
 *
 * <p>Mapping: {@code CUresult}, {@code CUdevice}, {@code unsigned int} are {@code int}; handles
 * ({@code CUcontext}, {@code CUstream}, {@code CUevent}, {@code CUmodule}, {@code CUfunction}),
 * {@code CUdeviceptr}, host pointers and {@code size_t} are {@code long} (Javelin runs on 64-bit Linux only,
 * where all of them are 64-bit integers in the same registers); out-parameters are one-element arrays.
 * The symbols are the versioned ones {@code cuda.h} maps the plain names to ({@code cuMemAlloc} is
 * {@code cuMemAlloc_v2} ...), and only entry points present since CUDA 11 drivers are bound here, so an old
 * driver still loads and {@code javelin doctor} can say it is too old. Newer entry points are looked up
 * one by one ({@link CudaEvent#elapsedMillis}).
 *
 * <p>Modules and launches ({@code cuModuleLoadData}, {@code cuModuleGetFunction}, {@code cuModuleUnload},
 * {@code cuLaunchKernel}) follow the same conventions; they exist unchanged since CUDA 4.
 */
final class CudaDriverApi {
    private CudaDriverApi() {
    }

    // Initialisation and versions.
    static native int cuInit(int flags);

    static native int cuDriverGetVersion(int[] version);

    /** Writes a pointer to a static string owned by the driver; the caller never frees it. */
    static native int cuGetErrorName(int status, long[] name);

    /** Writes a pointer to a static string owned by the driver; the caller never frees it. */
    static native int cuGetErrorString(int status, long[] text);

    // Devices.
    static native int cuDeviceGetCount(int[] count);

    static native int cuDeviceGet(int[] device, int ordinal);

    static native int cuDeviceGetName(byte[] name, int length, int device);

    static native int cuDeviceGetAttribute(int[] value, int attribute, int device);

    static native int cuDeviceTotalMem_v2(long[] bytes, int device);

    // Contexts: Javelin uses the primary context, the one the CUDA runtime (and so TensorRT) uses.
    /** The caller owns one reference to the primary context and releases it with cuDevicePrimaryCtxRelease_v2. */
    static native int cuDevicePrimaryCtxRetain(long[] context, int device);

    static native int cuDevicePrimaryCtxRelease_v2(int device);

    static native int cuCtxSetCurrent(long context);

    static native int cuCtxGetCurrent(long[] context);

    static native int cuCtxSynchronize();

    static native int cuMemGetInfo_v2(long[] free, long[] total);

    // Memory.
    /** The caller owns the allocation and frees it with cuMemFree_v2. */
    static native int cuMemAlloc_v2(long[] devicePtr, long bytes);

    static native int cuMemFree_v2(long devicePtr);

    /** The caller owns the page-locked allocation and frees it with cuMemFreeHost. */
    static native int cuMemHostAlloc(long[] hostPtr, long bytes, int flags);

    static native int cuMemFreeHost(long hostPtr);

    /** Borrowed: the device address of mapped pinned memory, valid while the host allocation lives. */
    static native int cuMemHostGetDevicePointer_v2(long[] devicePtr, long hostPtr, int flags);

    static native int cuMemcpyHtoDAsync_v2(long dst, long src, long bytes, long stream);

    static native int cuMemcpyDtoHAsync_v2(long dst, long src, long bytes, long stream);

    static native int cuMemcpyDtoDAsync_v2(long dst, long src, long bytes, long stream);

    static native int cuMemsetD8Async(long dst, byte value, long count, long stream);

    // Streams and events.
    /** The caller owns the stream and destroys it with cuStreamDestroy_v2. */
    static native int cuStreamCreate(long[] stream, int flags);

    static native int cuStreamDestroy_v2(long stream);

    static native int cuStreamSynchronize(long stream);

    static native int cuStreamQuery(long stream);

    static native int cuStreamWaitEvent(long stream, long event, int flags);

    /** The caller owns the event and destroys it with cuEventDestroy_v2. */
    static native int cuEventCreate(long[] event, int flags);

    static native int cuEventDestroy_v2(long event);

    static native int cuEventRecord(long event, long stream);

    static native int cuEventSynchronize(long event);

    static native int cuEventQuery(long event);

    // Modules and launches.
    /**
     * The caller owns the module and unloads it with cuModuleUnload. The driver copies what it needs from
     * {@code image} (fatbin, cubin or NUL-terminated PTX) during the call, so the array is borrowed for the call only.
     */
    static native int cuModuleLoadData(long[] module, byte[] image);

    static native int cuModuleUnload(long module);

    /** Borrowed: the function handle lives as long as its module. */
    static native int cuModuleGetFunction(long[] function, long module, String name);

    /**
     * Queues a launch. {@code kernelParams} is the address of an array of pointers, one per kernel parameter,
     * each pointing at the parameter's value; the driver copies the values during the call. {@code extra} is 0.
     */
    static native int cuLaunchKernel(long function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                                     int sharedMemBytes, long stream, long kernelParams, long extra);
}

package dev.javelin.bindings.cuda;

import dev.javelin.bindings.core.NativeHandle;

/**
 * One retained reference to a device's primary context: the context the CUDA runtime, TensorRT and
 * ONNX Runtime's CUDA provider use, so memory and streams made here can be handed to them. Closing
 * releases the reference; the driver destroys the context when the last reference goes.
 *
 * <p>Why the primary context and not {@code cuCtxCreate}: a context Javelin created would be invisible to
 * TensorRT and the CUDA runtime (device pointers and streams are per context), and {@code cuCtxCreate}'s
 * signature changed in CUDA 13 ({@code cuCtxCreate_v4}); retaining the primary context works with every driver.
 *
 * <p>Driver API calls act on the calling thread's current context, so every class of this package calls
 * {@link #makeCurrent()} before it allocates, copies or frees.
 */
public final class CudaContext extends NativeHandle {
    private final int ordinal;
    private final long handle;

    private CudaContext(int ordinal, long handle) {
        super("CUDA primary context of device " + ordinal);
        this.ordinal = ordinal;
        this.handle = handle;
    }

    /**
     * Retains device {@code ordinal}'s primary context; the caller owns the reference.
     *
     * @throws IllegalArgumentException if there is no such device
     */
    public static CudaContext primary(int ordinal) {
        CudaDriver driver = CudaDriver.get();
        driver.device(ordinal);
        int[] dev = new int[1];
        CudaDriver.check(CudaDriverApi.cuDeviceGet(dev, ordinal), () -> "cuDeviceGet(" + ordinal + ")");
        long[] ctx = new long[1];
        // Owned: one reference, released in release() with cuDevicePrimaryCtxRelease.
        CudaDriver.check(CudaDriverApi.cuDevicePrimaryCtxRetain(ctx, dev[0]),
                () -> "cuDevicePrimaryCtxRetain(device " + ordinal + ")");
        return new CudaContext(ordinal, ctx[0]);
    }

    /** Makes this context current on the calling thread (cheap; the driver keeps it per thread). */
    public void makeCurrent() {
        checkOpen();
        CudaDriver.check(CudaDriverApi.cuCtxSetCurrent(handle), () -> "cuCtxSetCurrent(device " + ordinal + ")");
    }

    /** Waits for all work in this context. */
    public void synchronize() {
        makeCurrent();
        CudaDriver.check(CudaDriverApi.cuCtxSynchronize(), () -> "cuCtxSynchronize(device " + ordinal + ")");
    }

    /** Device ordinal. */
    public int ordinal() {
        return ordinal;
    }

    /** The raw {@code CUcontext}; borrowed. */
    public long handle() {
        checkOpen();
        return handle;
    }

    @Override
    protected void release() {
        int[] dev = new int[1];
        CudaDriver.check(CudaDriverApi.cuDeviceGet(dev, ordinal), () -> "cuDeviceGet(" + ordinal + ")");
        CudaDriver.check(CudaDriverApi.cuDevicePrimaryCtxRelease_v2(dev[0]),
                () -> "cuDevicePrimaryCtxRelease(device " + ordinal + ")");
    }
}

package dev.javelin.bindings.cuda;

import com.sun.jna.Memory;
import java.lang.ref.Reference;

/**
 * A kernel of a loaded {@link CudaModule}; valid while the module is open. Launches are asynchronous on a
 * stream: the device memory the kernel reads and writes must stay allocated until the stream has passed the
 * launch.
 */
public final class CudaFunction {
    private final CudaModule module;
    private final String name;
    private final long handle;

    CudaFunction(CudaModule module, String name, long handle) {
        this.module = module;
        this.name = name;
        this.handle = handle;
    }

    /**
     * Queues one launch with {@code cuLaunchKernel}.
     *
     * @param grid        blocks per grid
     * @param block       threads per block
     * @param sharedBytes dynamic shared memory per block (on top of the kernel's static shared memory)
     * @param stream      the stream to queue on; borrowed
     * @param args        the parameter values in declaration order; the driver copies them during the call
     * @throws dev.javelin.bindings.core.NativeCallException naming the kernel, the geometry and the driver status
     */
    public void launch(Dim3 grid, Dim3 block, int sharedBytes, CudaStream stream, KernelArgs args) {
        module.ensureOpen();
        if (sharedBytes < 0) {
            throw new IllegalArgumentException("dynamic shared memory of " + name + " is negative: " + sharedBytes);
        }
        module.context().makeCurrent();
        Memory params = args.marshal();
        try {
            CudaDriver.check(CudaDriverApi.cuLaunchKernel(handle, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                    sharedBytes, stream.handle(), args.pointerArray(params), 0L),
                    () -> "cuLaunchKernel(" + name + ", grid " + grid + ", block " + block + ", " + sharedBytes
                            + " B shared, stream " + stream.id() + ")");
        } finally {
            // The parameter block must outlive the native call; the driver has copied it once the call returns.
            Reference.reachabilityFence(params);
        }
    }

    /** The kernel's entry name. */
    public String name() {
        return name;
    }

    /** The module it belongs to. */
    public CudaModule module() {
        return module;
    }

    /** The raw {@code CUfunction}; borrowed, valid while the module is open. */
    public long handle() {
        module.ensureOpen();
        return handle;
    }

    @Override
    public String toString() {
        return "kernel " + name + " of " + module.name();
    }
}

package dev.javelin.bindings.cuda;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loaded CUDA module ({@code cuModuleLoadData}): a fatbin, cubin or PTX image whose kernels can be
 * launched in the context it was loaded in. Closing unloads it ({@code cuModuleUnload}); its
 * {@link CudaFunction}s are then invalid, and launches already queued must have completed (synchronise first).
 *
 * <p>Loading picks the SASS for the device's architecture from a fatbin, or JIT-compiles its PTX. When the
 * driver is older than the PTX ({@link CudaDriver#ERROR_UNSUPPORTED_PTX_VERSION}) or nothing in the image fits
 * the GPU ({@link CudaDriver#ERROR_NO_BINARY_FOR_GPU}), {@link #load} throws a {@link NativeCallException} whose
 * {@link NativeCallException#code()} says so, and {@link CudaDriver#isToolchainMismatch} tells the caller that a
 * local NVRTC compile may help.
 */
public final class CudaModule extends NativeHandle {
    private final CudaContext context;
    private final long handle;
    private final String name;
    private final Map<String, CudaFunction> functions = new ConcurrentHashMap<>();

    private CudaModule(CudaContext context, long handle, String name) {
        super("CUDA module " + name + " on device " + context.ordinal());
        this.context = context;
        this.handle = handle;
        this.name = name;
    }

    /**
     * Loads {@code image} into {@code context}; the caller owns the module. {@code name} (e.g. the resource
     * it came from) is used in messages only.
     *
     * @throws NativeCallException with the driver's status, e.g. {@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)}
     */
    public static CudaModule load(CudaContext context, byte[] image, String name) {
        if (image.length == 0) {
            throw new IllegalArgumentException("module image " + name + " is empty");
        }
        context.makeCurrent();
        long[] m = new long[1];
        // Owned: unloaded in release() with cuModuleUnload.
        CudaDriver.check(CudaDriverApi.cuModuleLoadData(m, image),
                () -> "cuModuleLoadData(" + name + ", " + image.length + " bytes, device " + context.ordinal() + ")");
        return new CudaModule(context, m[0], name);
    }

    /**
     * The kernel {@code entry} (an {@code extern "C"} name) of this module; looked up once, then cached.
     *
     * @throws NativeCallException {@code CUDA_ERROR_NOT_FOUND} if the module has no such kernel
     */
    public CudaFunction function(String entry) {
        checkOpen();
        return functions.computeIfAbsent(entry, e -> {
            context.makeCurrent();
            long[] f = new long[1];
            // Borrowed: valid while this module is loaded.
            CudaDriver.check(CudaDriverApi.cuModuleGetFunction(f, handle, e), () -> "cuModuleGetFunction(" + name + ", " + e + ")");
            return new CudaFunction(this, e, f[0]);
        });
    }

    /** The context the module was loaded in. */
    public CudaContext context() {
        return context;
    }

    /** The name given at load time. */
    public String name() {
        return name;
    }

    void ensureOpen() {
        checkOpen();
    }

    @Override
    protected void release() {
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuModuleUnload(handle), () -> "cuModuleUnload(" + name + ")");
    }
}

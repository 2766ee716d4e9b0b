package dev.javelin.bindings.cuda;

import com.sun.jna.Pointer;
import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.core.NativeLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The CUDA driver API: version, devices and their properties, and the status-to-exception rule every
 * other class of this package uses.
 *
 * <p><b>Why JNA over {@code libcuda.so.1} and not the bytedeco cuda preset.</b> The project binds each
 * native library once, and for libcuda this is the binding:
 * <ul>
 *   <li>It needs only the NVIDIA driver. The bytedeco {@code libjnicudart} also links
 *       {@code libcudart.so.13}, so with the preset a machine that has a driver but no CUDA 13 runtime
 *       (no toolkit, no {@code -Pgpu-redist}) could not even list its GPUs; with JNA {@code javelin doctor}
 *       reports the driver, the devices and exactly which runtime library is missing.</li>
 *   <li>It is bound by symbol name at run time, so it works with any CUDA 11+ driver (JetPack 6 ships a
 *       CUDA 12.6 driver) and reports an old driver instead of failing to link.</li>
 *   <li>It can be pointed at another {@code libcuda} ({@code -Djavelin.cuda.driver}), which is how the
 *       tests drive this code through a fake driver compiled from the real {@code cuda.h}, and how the
 *       kernels' launch path is tested without a GPU.</li>
 *   <li>Direct mapping costs well under a microsecond per call, noise next to a copy or a launch.</li>
 * </ul>
 * TensorRT still needs the bytedeco CUDA runtime preset loaded (its classes inherit it); Javelin calls
 * only {@code cudaRuntimeGetVersion} there, and shares memory with TensorRT through the primary context,
 * which the driver API and the runtime API both use.
 */
public final class CudaDriver {
    /** {@code CUDA_SUCCESS}. */
    static final int SUCCESS = 0;
    /** {@code CUDA_ERROR_NOT_READY}: an async query whose work has not finished; not an error. */
    static final int NOT_READY = 600;

    /** {@code CUDA_ERROR_INVALID_IMAGE}: the image is not a fatbin, cubin or PTX the driver can read. */
    public static final int ERROR_INVALID_IMAGE = 200;
    /** {@code CUDA_ERROR_NO_BINARY_FOR_GPU}: no SASS for this GPU and no PTX the driver can JIT-compile. */
    public static final int ERROR_NO_BINARY_FOR_GPU = 209;
    /** {@code CUDA_ERROR_INVALID_PTX}: the driver's JIT rejected the PTX. */
    public static final int ERROR_INVALID_PTX = 218;
    /** {@code CUDA_ERROR_JIT_COMPILER_NOT_FOUND}: the driver has no PTX JIT (it was not installed with it). */
    public static final int ERROR_JIT_COMPILER_NOT_FOUND = 221;
    /** {@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}: the PTX ISA is newer than the driver (e.g. ISA 9.0 on a pre-R580 driver). */
    public static final int ERROR_UNSUPPORTED_PTX_VERSION = 222;
    /** {@code CUDA_ERROR_NOT_FOUND}: e.g. no kernel of that name in the module. */
    public static final int ERROR_NOT_FOUND = 500;

    static final int ATTR_MULTIPROCESSOR_COUNT = 16;
    static final int ATTR_INTEGRATED = 18;
    static final int ATTR_CAN_MAP_HOST_MEMORY = 19;
    static final int ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int ATTR_COMPUTE_CAPABILITY_MINOR = 76;

    private static final Object LOCK = new Object();
    private static volatile CudaDriver instance;
    private static volatile RuntimeException initFailure;

    private final int version;
    private final List<CudaDeviceInfo> devices;

    private CudaDriver(int version, List<CudaDeviceInfo> devices) {
        this.version = version;
        this.devices = List.copyOf(devices);
    }

    /**
     * The initialised driver. The first call loads libcuda (through {@link NativeLoader}), calls
     * {@code cuInit(0)} and reads the static properties of every device; the result, failure included, is
     * cached, so later calls cost a volatile read.
     *
     * @throws NativeLibraryUnavailableException if libcuda cannot be loaded
     * @throws NativeCallException               if {@code cuInit} fails (e.g. {@code CUDA_ERROR_NO_DEVICE})
     */
    public static CudaDriver get() {
        CudaDriver d = instance;
        if (d != null) {
            return d;
        }
        NativeLoader.require(NativeLoader.Stack.CUDA_DRIVER);
        synchronized (LOCK) {
            if (instance != null) {
                return instance;
            }
            if (initFailure != null) {
                throw rethrow(initFailure);
            }
            try {
                check(CudaDriverApi.cuInit(0), () -> "cuInit(0)");
                int[] v = new int[1];
                check(CudaDriverApi.cuDriverGetVersion(v), () -> "cuDriverGetVersion");
                int[] n = new int[1];
                check(CudaDriverApi.cuDeviceGetCount(n), () -> "cuDeviceGetCount");
                List<CudaDeviceInfo> list = new ArrayList<>();
                for (int i = 0; i < n[0]; i++) {
                    list.add(queryDevice(i));
                }
                instance = new CudaDriver(v[0], list);
                return instance;
            } catch (NativeCallException e) {
                initFailure = e;
                throw rethrow(e);
            }
        }
    }

    /**
     * Whether a module-load failure means "this driver cannot run the binary we built, but code compiled
     * on this machine could": the PTX is newer than the driver ({@link #ERROR_UNSUPPORTED_PTX_VERSION}),
     * there is no SASS for the GPU and no usable PTX ({@link #ERROR_NO_BINARY_FOR_GPU}), or the driver has no
     * PTX JIT ({@link #ERROR_JIT_COMPILER_NOT_FOUND}). These are the cases a local NVRTC compile fixes.
     */
    public static boolean isToolchainMismatch(int code) {
        return code == ERROR_UNSUPPORTED_PTX_VERSION || code == ERROR_NO_BINARY_FOR_GPU || code == ERROR_JIT_COMPILER_NOT_FOUND;
    }

    /** A fresh exception with the caller's stack, keeping the cached first failure as its cause. */
    private static RuntimeException rethrow(RuntimeException cached) {
        if (cached instanceof NativeCallException n) {
            NativeCallException copy = new NativeCallException(n.call(), n.status(), n.code(), n.detail());
            copy.initCause(n);
            return copy;
        }
        return cached;
    }

    /** Version of the CUDA driver API, e.g. 13010 for CUDA 13.1. */
    public int version() {
        return version;
    }

    /** {@link #version()} as {@code "13.1"}. */
    public String versionString() {
        return NativeLoader.cudaVersion(version);
    }

    /** Number of CUDA devices. */
    public int deviceCount() {
        return devices.size();
    }

    /** Static properties of every device, in ordinal order. */
    public List<CudaDeviceInfo> devices() {
        return devices;
    }

    /**
     * Static properties of device {@code ordinal}.
     *
     * @throws IllegalArgumentException if there is no such device
     */
    public CudaDeviceInfo device(int ordinal) {
        if (ordinal < 0 || ordinal >= devices.size()) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + "; this machine has " + devices.size());
        }
        return devices.get(ordinal);
    }

    /**
     * Free and total memory of device {@code ordinal}, in bytes. Retains the device's primary context for
     * the query (creating it if no one holds it, which takes a moment) and releases it after.
     */
    public long[] memoryInfo(int ordinal) {
        device(ordinal);
        try (CudaContext ctx = CudaContext.primary(ordinal)) {
            ctx.makeCurrent();
            long[] free = new long[1];
            long[] total = new long[1];
            check(CudaDriverApi.cuMemGetInfo_v2(free, total), () -> "cuMemGetInfo(device " + ordinal + ")");
            return new long[] {free[0], total[0]};
        }
    }

    private static CudaDeviceInfo queryDevice(int ordinal) {
        int[] dev = new int[1];
        check(CudaDriverApi.cuDeviceGet(dev, ordinal), () -> "cuDeviceGet(" + ordinal + ")");
        int d = dev[0];
        byte[] name = new byte[256];
        check(CudaDriverApi.cuDeviceGetName(name, name.length, d), () -> "cuDeviceGetName(device " + ordinal + ")");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        long[] total = new long[1];
        check(CudaDriverApi.cuDeviceTotalMem_v2(total, d), () -> "cuDeviceTotalMem(device " + ordinal + ")");
        return new CudaDeviceInfo(ordinal, new String(name, 0, len, StandardCharsets.UTF_8),
                attribute(d, ATTR_COMPUTE_CAPABILITY_MAJOR, ordinal), attribute(d, ATTR_COMPUTE_CAPABILITY_MINOR, ordinal),
                total[0], attribute(d, ATTR_MULTIPROCESSOR_COUNT, ordinal), attribute(d, ATTR_INTEGRATED, ordinal) != 0,
                attribute(d, ATTR_CAN_MAP_HOST_MEMORY, ordinal) != 0);
    }

    private static int attribute(int device, int attribute, int ordinal) {
        int[] v = new int[1];
        check(CudaDriverApi.cuDeviceGetAttribute(v, attribute, device),
                () -> "cuDeviceGetAttribute(" + attribute + ", device " + ordinal + ")");
        return v[0];
    }

    /**
     * Turns a {@code CUresult} into an exception naming the call, e.g.
     * {@code cuMemcpyHtoDAsync(4.0 MiB, stream 3) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access ...}.
     * The call description is built only on failure.
     */
    static void check(int status, Supplier<String> call) {
        if (status != SUCCESS) {
            throw failure(status, call.get());
        }
    }

    /** The exception for {@code status} returned by {@code call}; names come from the driver itself. */
    static NativeCallException failure(int status, String call) {
        return new NativeCallException(call, errorName(status), status, errorText(status));
    }

    /** {@code CUDA_ERROR_OUT_OF_MEMORY} for 2, from the driver; {@code CUDA_ERROR_<n>} if it does not know it. */
    static String errorName(int status) {
        long[] p = new long[1];
        if (CudaDriverApi.cuGetErrorName(status, p) == SUCCESS && p[0] != 0) {
            return new Pointer(p[0]).getString(0, "UTF-8");
        }
        return "CUDA_ERROR_" + status;
    }

    private static String errorText(int status) {
        long[] p = new long[1];
        if (CudaDriverApi.cuGetErrorString(status, p) == SUCCESS && p[0] != 0) {
            return new Pointer(p[0]).getString(0, "UTF-8");
        }
        return null;
    }

    @Override
    public String toString() {
        return "CUDA driver " + versionString() + ", " + devices.size() + " device(s)";
    }
}

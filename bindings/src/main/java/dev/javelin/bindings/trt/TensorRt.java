package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.NativeLoader;

/** Versions of TensorRT: the one the bytedeco JNI was built for and the one loaded. */
public final class TensorRt {
    /** Major version the bytedeco tensorrt JNI was built against (a compile-time constant; loads nothing). */
    public static final int BUILT_MAJOR = org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MAJOR;
    /** Minor version the JNI was built against. */
    public static final int BUILT_MINOR = org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MINOR;
    /** Patch version the JNI was built against. */
    public static final int BUILT_PATCH = org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_PATCH;

    private TensorRt() {
    }

    private static volatile TrtLogger logger;

    /**
     * The process-wide {@link TrtLogger}, created on first use. It lives here, not on the logger class,
     * because initialising any {@code ILogger} subclass runs the preset's static initialiser, which loads the
     * TensorRT JNI library: {@link NativeLoader} must answer first so a missing TensorRT is a typed error.
     *
     * @throws dev.javelin.bindings.core.NativeLibraryUnavailableException if TensorRT cannot be loaded
     */
    public static org.bytedeco.tensorrt.nvinfer.ILogger logger() {
        return sharedLogger();
    }

    static TrtLogger sharedLogger() {
        TrtLogger l = logger;
        if (l == null) {
            NativeLoader.require(NativeLoader.Stack.TENSORRT);
            synchronized (TensorRt.class) {
                if (logger == null) {
                    logger = new TrtLogger();
                }
                l = logger;
            }
        }
        return l;
    }

    /** {@code "10.15.1"}: what the bytedeco JNI was built for. */
    public static String builtVersion() {
        return BUILT_MAJOR + "." + BUILT_MINOR + "." + BUILT_PATCH;
    }

    /** The loaded libnvinfer version, e.g. {@code "10.15.1"}, or {@code null} if TensorRT is unavailable. */
    public static String loadedVersion() {
        NativeLoader.Probe p = NativeLoader.probe(NativeLoader.Stack.TENSORRT);
        return p.available() ? p.version() : null;
    }
}

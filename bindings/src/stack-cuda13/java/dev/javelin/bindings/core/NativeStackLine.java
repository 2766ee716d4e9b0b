package dev.javelin.bindings.core;

/**
 * The native stack this build of Javelin is compiled against: the default bytedeco 1.5.13 line (CUDA 13.1,
 * cuDNN 9.19, TensorRT 10.15, ONNX Runtime 1.24.1), for x86_64 servers with an R580+ driver and for Jetson
 * Thor (JetPack 7, CUDA 13).
 *
 * <p>This is one of two classes with this name; the build compiles exactly one of them: this one from
 * {@code bindings/src/stack-cuda13/java} by default, the other from {@code bindings/src/stack-jetpack6/java}
 * under {@code -Pjetpack6}. Every fact that differs between the two lines lives here and nowhere else, so the
 * rest of the code (and its tests) read the versions from this class instead of spelling them out. Both classes
 * declare the same members; {@code NativeStackLineTest} checks the pairing.
 */
public final class NativeStackLine {
    /** Short name of the line: {@code cuda13} (default) or {@code jetpack6}. */
    public static final String ID = v("cuda13");
    /** How a build selects this line. */
    public static final String MAVEN_PROFILE = v("default build");
    /** The bytedeco JavaCPP release the presets come from. */
    public static final String JAVACPP = v("1.5.13");
    /** Platforms this line is meant for. */
    public static final String TARGETS = v("x86_64 servers (NVIDIA driver R580+), Jetson Thor (JetPack 7, CUDA 13)");

    /** CUDA version the bytedeco cuda JNI was built against. */
    public static final String CUDA = v("13.1");
    /** Its major version, which is the soname of libcudart/libcublas/libnvrtc ({@code .so.13}). */
    public static final int CUDA_MAJOR = v(13);
    /** cuDNN version the JNI was built against (its soname major is 9 in both lines). */
    public static final String CUDNN = v("9.19");
    /**
     * Oldest CUDA driver API ({@code cuDriverGetVersion}) the CUDA runtime of this line runs on: any CUDA 13
     * driver, thanks to CUDA minor-version compatibility.
     */
    public static final int MIN_CUDA_DRIVER_API = v(13000);
    /** The NVIDIA driver branch that provides {@link #MIN_CUDA_DRIVER_API}. */
    public static final String MIN_DRIVER = v("R580");

    /** TensorRT version the bytedeco tensorrt JNI was built against ({@code NV_TENSORRT_MAJOR.MINOR}). */
    public static final String TENSORRT_BUILT = v("10.15");
    /** TensorRT major version this line loads ({@code libnvinfer.so.10}). */
    public static final int TENSORRT_MAJOR = v(10);
    /**
     * Oldest TensorRT minor (of {@link #TENSORRT_MAJOR}) this line accepts: the one its JNI was built for.
     * TensorRT keeps a minor release backward compatible only for callers built against the same or an older
     * minor, so an older library is refused.
     */
    public static final int TENSORRT_MIN_MINOR = v(15);
    /** Why {@link #TENSORRT_MIN_MINOR} is the floor, for messages. */
    public static final String TENSORRT_FLOOR_REASON = v("the bytedeco tensorrt 10.15-1.5.13 JNI was built for 10.15, and a TensorRT "
            + "minor release is compatible only with callers built for it or an older one");

    /** How to get a TensorRT this line can load, for messages. */
    public static final String TENSORRT_INSTALL_HINT = v("build with -Pgpu-redist to bundle CUDA and TensorRT, or install TensorRT 10.15 or a newer 10.x");

    /** ONNX Runtime version bundled in the bytedeco onnxruntime jars of this line. */
    public static final String ONNXRUNTIME = v("1.24.1");

    /** Maven coordinates (versions) of the presets, for messages and the doctor report. */
    public static final String PRESETS = v("cuda 13.1-9.19-1.5.13, tensorrt 10.15-1.5.13, onnxruntime 1.24.1-1.5.13");

    private NativeStackLine() {
    }

    /**
     * Keeps the values out of constant expressions: javac would otherwise copy them into every class that reads
     * them, and a module compiled against the other line would keep that line's numbers.
     */
    private static <T> T v(T value) {
        return value;
    }

    /** Whether a loaded TensorRT {@code major.minor} can serve this line's JNI. */
    public static boolean acceptsTensorRt(int major, int minor) {
        return major == TENSORRT_MAJOR && minor >= TENSORRT_MIN_MINOR;
    }
}

package dev.javelin.bindings.core;

/**
 * The native stack this build of Javelin is compiled against: the JetPack 6 line, bytedeco 1.5.11 (CUDA 12.6,
 * cuDNN 9.5, TensorRT JNI built for 10.6, ONNX Runtime 1.20.0), for Jetson Orin on JetPack 6.1/6.2 (L4T r36.4:
 * CUDA 12.6, cuDNN 9.3, TensorRT 10.3).
 *
 * <p>One of two classes with this name; {@code -Pjetpack6} compiles this one (from
 * {@code bindings/src/stack-jetpack6/java}), the default build the other. See the default one for the contract.
 *
 * <h2>Why TensorRT 10.3 is accepted although the JNI was built against 10.6</h2>
 * NVIDIA promises compatibility within TensorRT 10 only towards older callers, so a 10.6-built caller on a 10.3
 * library is outside the promise. What makes it work for Javelin, checked from the public headers and the JNI
 * binaries (evidence in docker/README.md, "Why bytedeco 1.5.11 on JetPack 6"):
 * <ul>
 *   <li>every symbol the 1.5.11 JNI libraries import ({@code createInferRuntime_INTERNAL},
 *       {@code getInferLibVersion}, {@code createNvOnnxParser_INTERNAL}, ...) is exported by 10.3;</li>
 *   <li>the C++ API calls through the {@code apiv::V*} implementation classes, and between 10.3 and 10.6 their
 *       virtual tables only grew at the end (three entries: {@code IBuilderConfig} max tactics, one
 *       {@code IBuilder} overload), so every function 10.3 has sits in the same slot;</li>
 *   <li>Javelin never calls a TensorRT function newer than 10.3 ({@code TensorRtApiSubsetTest} scans the
 *       compiled bindings for them).</li>
 * </ul>
 */
public final class NativeStackLine {
    /** Short name of the line: {@code cuda13} (default) or {@code jetpack6}. */
    public static final String ID = v("jetpack6");
    /** How a build selects this line. */
    public static final String MAVEN_PROFILE = v("-Pjetpack6");
    /** The bytedeco JavaCPP release the presets come from. */
    public static final String JAVACPP = v("1.5.11");
    /** Platforms this line is meant for. */
    public static final String TARGETS = v("Jetson Orin on JetPack 6.1/6.2 (L4T r36.4: CUDA 12.6, TensorRT 10.3)");

    /** CUDA version the bytedeco cuda JNI was built against. */
    public static final String CUDA = v("12.6");
    /** Its major version, which is the soname of libcudart/libcublas/libnvrtc ({@code .so.12}). */
    public static final int CUDA_MAJOR = v(12);
    /** cuDNN version the JNI was built against (its soname major is 9 in both lines). */
    public static final String CUDNN = v("9.5");
    /**
     * Oldest CUDA driver API ({@code cuDriverGetVersion}) the CUDA 12.6 runtime runs on: on JetPack 6 the driver
     * comes with L4T r36.4 and reports 12.6 (CUDA 12.6 is what that release ships).
     */
    public static final int MIN_CUDA_DRIVER_API = v(12060);
    /** The driver that provides {@link #MIN_CUDA_DRIVER_API}: the one in L4T r36.4 (JetPack 6.0's 540.3 reports CUDA 12.2). */
    public static final String MIN_DRIVER = v("540.4 (L4T r36.4, JetPack 6.1)");

    /** TensorRT version the bytedeco tensorrt JNI was built against ({@code NV_TENSORRT_MAJOR.MINOR}). */
    public static final String TENSORRT_BUILT = v("10.6");
    /** TensorRT major version this line loads ({@code libnvinfer.so.10}). */
    public static final int TENSORRT_MAJOR = v(10);
    /** Oldest TensorRT minor this line accepts: 10.3, what JetPack 6.1/6.2 ship (see the class comment). */
    public static final int TENSORRT_MIN_MINOR = v(3);
    /** Why {@link #TENSORRT_MIN_MINOR} is the floor, for messages. */
    public static final String TENSORRT_FLOOR_REASON = v("JetPack 6.1/6.2 ship TensorRT 10.3, the oldest library whose "
            + "entry points and virtual tables cover every TensorRT call Javelin makes");

    /** How to get a TensorRT this line can load, for messages. */
    public static final String TENSORRT_INSTALL_HINT = v("install JetPack 6.1 or newer (TensorRT 10.3: apt-get install nvidia-tensorrt, part of nvidia-jetpack), "
            + "or run the docker/Dockerfile.jetson image");

    /** ONNX Runtime version bundled in the bytedeco onnxruntime jars of this line. */
    public static final String ONNXRUNTIME = v("1.20.0");

    /** Maven coordinates (versions) of the presets, for messages and the doctor report. */
    public static final String PRESETS = v("cuda 12.6-9.5-1.5.11, tensorrt 10.6-1.5.11, onnxruntime 1.20.0-1.5.11");

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

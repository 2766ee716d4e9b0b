package dev.javelin.bindings.core;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where Javelin loads native libraries. Each native {@link Stack} is probed once per
 * JVM and the result cached: later calls to {@link #probe} or {@link #require} cost a volatile read.
 * {@link UnsatisfiedLinkError} (and the {@link ExceptionInInitializerError} / {@link NoClassDefFoundError}
 * a failed bytedeco class initialisation turns into on later touches) is caught here and nowhere else;
 * callers get a {@link NativeLibraryUnavailableException} listing every mechanism tried and the
 * versions expected.
 *
 * <p>For every stack the order is: a skip property, an explicit path property, then the default loader.
 * <ul>
 *   <li>{@code -Djavelin.gpu=false} skips the CUDA driver, the CUDA runtime and TensorRT;
 *       {@code -Djavelin.tensorrt=false} skips TensorRT; {@code -Djavelin.onnxruntime=false} skips ONNX Runtime.</li>
 *   <li>{@code -Djavelin.cuda.driver=/path/libcuda.so.1} loads that driver library instead of the linker's.</li>
 *   <li>{@code -Djavelin.cuda.libdir=DIR}, {@code -Djavelin.tensorrt.libdir=DIR},
 *       {@code -Djavelin.onnxruntime.libdir=DIR} preload the vendor libraries found in DIR (by their sonames)
 *       before the bytedeco JNI library is loaded, so the JNI library's dependencies resolve to them.</li>
 * </ul>
 *
 * <p>Dependencies: the CUDA runtime needs the driver (the bytedeco {@code libjnicudart} links
 * {@code libcuda.so.1}); TensorRT needs the CUDA runtime (its preset inherits the cudart, cublas, cudnn and
 * nvrtc presets). A stack whose dependency is unavailable is reported unavailable without touching its
 * bytedeco classes, so no class is left half-initialised for nothing.
 */
public final class NativeLoader {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLoader.class);

    /** Set to {@code false} to skip every GPU stack. */
    public static final String GPU_PROPERTY = "javelin.gpu";
    /** Set to {@code false} to skip TensorRT. */
    public static final String TENSORRT_PROPERTY = "javelin.tensorrt";
    /** Set to {@code false} to skip ONNX Runtime. */
    public static final String ONNXRUNTIME_PROPERTY = "javelin.onnxruntime";
    /** Path of the CUDA driver library to load instead of the dynamic linker's {@code libcuda.so.1}. */
    public static final String CUDA_DRIVER_PATH_PROPERTY = "javelin.cuda.driver";
    /** Folder holding the CUDA runtime libraries (libcudart.so.13, libcublas*.so.13, libcudnn*.so.9, libnvrtc*.so.13). */
    public static final String CUDA_LIBDIR_PROPERTY = "javelin.cuda.libdir";
    /** Folder holding the TensorRT libraries (libnvinfer*.so.10, libnvonnxparser.so.10). */
    public static final String TENSORRT_LIBDIR_PROPERTY = "javelin.tensorrt.libdir";
    /** Path of the NVRTC library ({@code libnvrtc.so.13} ...) to load instead of searching for it. */
    public static final String NVRTC_PATH_PROPERTY = "javelin.nvrtc";
    /** What the kernels' NVRTC fallback expects to find. */
    public static final String NVRTC_EXPECTED = "libnvrtc.so.13 or libnvrtc.so.12 (a CUDA toolkit or JetPack install, or the "
            + "-Pgpu-redist profile's CUDA libraries; point -Djavelin.nvrtc at it if it is elsewhere)";
    /** Folder holding libonnxruntime.so.1. */
    public static final String ONNXRUNTIME_LIBDIR_PROPERTY = "javelin.onnxruntime.libdir";

    /** The Java class bound to libcuda with JNA direct mapping; registered here so loading stays in one place. */
    static final String CUDA_DRIVER_BINDING = "dev.javelin.bindings.cuda.CudaDriverApi";
    static final String CUDART_PRESET = "org.bytedeco.cuda.global.cudart";
    static final String NVINFER_PRESET = "org.bytedeco.tensorrt.global.nvinfer";
    static final String NVONNXPARSER_PRESET = "org.bytedeco.tensorrt.global.nvonnxparser";
    static final String ORT_PRESET = "org.bytedeco.onnxruntime.global.onnxruntime";

    /**
     * The CUDA driver API version the CUDA runtime of this build's native stack needs (13000 for the default
     * line's CUDA 13.1, 12060 for the JetPack 6 line's CUDA 12.6): {@link NativeStackLine#MIN_CUDA_DRIVER_API}.
     */
    public static final int MIN_CUDA_DRIVER_API = NativeStackLine.MIN_CUDA_DRIVER_API;

    /** Where distributions put libcuda.so.1 when it is not on the linker path; each is tried if it exists. */
    private static final List<String> DRIVER_LOCATIONS = List.of(
            "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
            "/usr/lib64/libcuda.so.1",
            "/usr/lib/aarch64-linux-gnu/libcuda.so.1",
            "/usr/lib/aarch64-linux-gnu/tegra/libcuda.so.1", // Jetson (L4T)
            "/usr/lib/wsl/lib/libcuda.so.1");                // WSL2

    /** A native stack Javelin can use, with what it expects to find. */
    public enum Stack {
        /** The NVIDIA driver's CUDA driver API, bound with JNA. */
        CUDA_DRIVER("CUDA driver", "libcuda.so.1 (NVIDIA driver >= " + NativeStackLine.MIN_DRIVER + " for CUDA "
                + NativeStackLine.CUDA + ")"),
        /** The CUDA runtime through the bytedeco cuda preset (needed by TensorRT). */
        CUDA_RUNTIME("CUDA runtime", "libcudart.so." + NativeStackLine.CUDA_MAJOR + ", libcublas.so."
                + NativeStackLine.CUDA_MAJOR + ", libcudnn.so.9 (CUDA " + NativeStackLine.CUDA + " + cuDNN "
                + NativeStackLine.CUDNN + ": a CUDA toolkit install, JetPack, or the -Pgpu-redist profile) for the "
                + "bytedeco " + NativeStackLine.JAVACPP + " cuda JNI"),
        /** TensorRT and its ONNX parser through the bytedeco tensorrt preset. */
        TENSORRT("TensorRT", "libnvinfer.so." + NativeStackLine.TENSORRT_MAJOR + " and libnvonnxparser.so."
                + NativeStackLine.TENSORRT_MAJOR + " (TensorRT >= " + NativeStackLine.TENSORRT_MAJOR + "."
                + NativeStackLine.TENSORRT_MIN_MINOR + ": a TensorRT install, JetPack, or the -Pgpu-redist profile) for "
                + "the bytedeco " + NativeStackLine.JAVACPP + " tensorrt JNI (built for " + NativeStackLine.TENSORRT_BUILT
                + ")"),
        /** ONNX Runtime through the bytedeco onnxruntime preset. */
        ONNX_RUNTIME("ONNX Runtime", "libonnxruntime.so.1 (ONNX Runtime " + NativeStackLine.ONNXRUNTIME
                + ", bundled in the bytedeco " + NativeStackLine.JAVACPP + " onnxruntime jar for linux-x86_64 and "
                + "linux-arm64)");

        private final String label;
        private final String expected;

        Stack(String label, String expected) {
            this.label = label;
            this.expected = expected;
        }

        /** Short name, e.g. {@code "CUDA driver"}. */
        public String label() {
            return label;
        }

        /** The libraries and versions this stack needs. */
        public String expected() {
            return expected;
        }
    }

    /**
     * The cached outcome of loading one stack.
     *
     * @param stack     the stack
     * @param available whether it loaded
     * @param version   the version found (e.g. {@code "13.1"}, {@code "10.15.1"}), or {@code null}
     * @param detail    what was loaded, or why it could not be
     * @param attempts  every mechanism tried, in order, with its outcome
     * @param cause     the error that made it unavailable, or {@code null}
     */
    public record Probe(Stack stack, boolean available, String version, String detail, List<String> attempts,
                        Throwable cause) {
        public Probe {
            Objects.requireNonNull(stack, "stack");
            attempts = List.copyOf(attempts);
        }

        /** Throws a fresh {@link NativeLibraryUnavailableException} (stack trace of the caller) unless available. */
        public void require() {
            if (!available) {
                throw failure();
            }
        }

        /** The exception {@link #require()} throws; only meaningful when unavailable. */
        public NativeLibraryUnavailableException failure() {
            return new NativeLibraryUnavailableException(stack.label, detail, stack.expected, attempts, cause);
        }
    }

    private static final AtomicReferenceArray<Probe> CACHE = new AtomicReferenceArray<>(Stack.values().length);
    private static volatile NativeLibrary cudaDriver;
    /** NVRTC: the loaded library, or the exception saying why not; null until first asked. */
    private static volatile Object nvrtc;

    private NativeLoader() {
    }

    /** The cached probe of {@code stack}, probing it (and its dependencies) on first use. Never throws. */
    public static Probe probe(Stack stack) {
        Probe p = CACHE.get(stack.ordinal());
        return p != null ? p : probeOnce(stack);
    }

    /**
     * Makes sure {@code stack} is loaded.
     *
     * @throws NativeLibraryUnavailableException with every attempt and the expected versions if it is not
     */
    public static void require(Stack stack) {
        probe(stack).require();
    }

    /** The JNA handle of the loaded CUDA driver, for optional symbols looked up by name. */
    public static NativeLibrary cudaDriverLibrary() {
        require(Stack.CUDA_DRIVER);
        return cudaDriver;
    }

    /**
     * The first of {@code names} the loaded CUDA driver exports, for entry points newer than the ones bound
     * with direct mapping (a driver lacking one must still load).
     *
     * @throws NativeLibraryUnavailableException if the driver is unavailable or exports none of them
     */
    public static Function cudaDriverFunction(String... names) {
        NativeLibrary lib = cudaDriverLibrary();
        for (String name : names) {
            try {
                return lib.getFunction(name);
            } catch (UnsatisfiedLinkError notInThisDriver) {
                // try the next, older name
            }
        }
        throw new NativeLibraryUnavailableException(Stack.CUDA_DRIVER.label(), "the driver " + lib.getName()
                + " exports none of " + String.join(", ", names) + " (driver too old?)", Stack.CUDA_DRIVER.expected(),
                List.of(), null);
    }

    /**
     * The NVRTC runtime compiler, used by the kernels when the shipped fatbins cannot be loaded (a driver older
     * than their PTX). NVRTC needs no GPU and no driver; it is not a {@link Stack} because nothing but that
     * fallback needs it. Searched once per JVM: {@code -Djavelin.nvrtc=PATH}, else {@code libnvrtc.so.13} /
     * {@code .so.12} on the linker path, in {@code -Djavelin.cuda.libdir}, {@code $CUDA_HOME/lib64} and
     * {@code /usr/local/cuda/lib64}.
     *
     * @throws NativeLibraryUnavailableException listing every path tried
     */
    public static NativeLibrary nvrtcLibrary() {
        Object r = nvrtc;
        if (r == null) {
            r = loadNvrtcOnce();
        }
        if (r instanceof NativeLibrary lib) {
            return lib;
        }
        NativeLibraryUnavailableException cached = (NativeLibraryUnavailableException) r;
        throw new NativeLibraryUnavailableException(cached.library(), "no NVRTC library found", cached.expected(),
                cached.attempts(), cached.getCause());
    }

    private static synchronized Object loadNvrtcOnce() {
        if (nvrtc == null) {
            nvrtc = probeNvrtc(System.getProperties(), System.getenv("CUDA_HOME"));
        }
        return nvrtc;
    }

    /** Probes NVRTC without caching: the library, or the exception to throw. */
    static Object probeNvrtc(Properties props, String cudaHome) {
        List<String> attempts = new ArrayList<>();
        List<String> candidates = new ArrayList<>();
        String explicit = props.getProperty(NVRTC_PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            candidates.add(explicit.trim());
        } else {
            List<String> dirs = new ArrayList<>();
            String libdir = props.getProperty(CUDA_LIBDIR_PROPERTY);
            if (libdir != null && !libdir.isBlank()) {
                dirs.add(libdir.trim());
            }
            if (cudaHome != null && !cudaHome.isBlank()) {
                dirs.add(Path.of(cudaHome.trim(), "lib64").toString());
            }
            dirs.add("/usr/local/cuda/lib64");
            for (String soname : List.of("libnvrtc.so.13", "libnvrtc.so.12")) {
                candidates.add(soname);
                for (String d : dirs) {
                    candidates.add(Path.of(d, soname).toString());
                }
            }
        }
        Throwable[] last = new Throwable[1];
        NativeLibrary lib = openFirst(candidates, "nvrtcVersion", attempts, last);
        if (lib != null) {
            LOG.debug("NVRTC loaded from {}", lib.getName());
            return lib;
        }
        String reason = explicit != null && !explicit.isBlank()
                ? "the library given by -D" + NVRTC_PATH_PROPERTY + " could not be loaded" : "no NVRTC library found";
        return new NativeLibraryUnavailableException("NVRTC", reason, NVRTC_EXPECTED, attempts, last[0]);
    }

    private static synchronized Probe probeOnce(Stack stack) {
        Probe p = CACHE.get(stack.ordinal());
        if (p != null) {
            return p;
        }
        Properties props = System.getProperties();
        try {
            p = switch (stack) {
                case CUDA_DRIVER -> probeCudaDriver(props);
                case CUDA_RUNTIME -> probeCudaRuntime(props, probe(Stack.CUDA_DRIVER));
                case TENSORRT -> probeTensorRt(props, probe(Stack.CUDA_RUNTIME));
                case ONNX_RUNTIME -> probeOnnxRuntime(props);
            };
        } catch (RuntimeException | LinkageError e) {
            // Anything a probe did not foresee still becomes a typed unavailability, never a crash.
            p = unavailable(stack, "unexpected failure while loading: " + rootMessage(e), List.of(), e);
        }
        if (p.available()) {
            LOG.debug("{} loaded: {}", stack.label(), p.detail());
        } else {
            LOG.debug("{} unavailable: {}", stack.label(), p.detail());
        }
        CACHE.set(stack.ordinal(), p);
        return p;
    }

    // ---------------------------------------------------------------------------------------------
    // CUDA driver: JNA over libcuda.so.1 (see dev.javelin.bindings.cuda.CudaDriver for why JNA).

    /** Probes the driver without caching; repeatable, since JNA leaves nothing half-initialised on failure. */
    /**
     * Opens the first loadable library of {@code candidates} (sonames go through dlopen's search, absolute paths
     * must exist), optionally requiring {@code symbol}; records every attempt and keeps the last error in
     * {@code last[0]}. Returns null when none loads.
     */
    private static NativeLibrary openFirst(List<String> candidates, String symbol, List<String> attempts, Throwable[] last) {
        for (String candidate : candidates) {
            boolean absolute = candidate.startsWith("/");
            String how = absolute ? candidate : "dlopen(" + candidate + ") on LD_LIBRARY_PATH and the ld.so cache";
            if (absolute && !new File(candidate).isFile()) {
                attempts.add(how + ": not present");
                continue;
            }
            try {
                NativeLibrary lib = NativeLibrary.getInstance(candidate);
                if (symbol != null) {
                    lib.getFunction(symbol);
                }
                attempts.add(how + ": loaded");
                return lib;
            } catch (UnsatisfiedLinkError e) {
                last[0] = e;
                attempts.add(how + ": " + firstLine(e.getMessage()));
            }
        }
        return null;
    }

    static Probe probeCudaDriver(Properties props) {
        Stack stack = Stack.CUDA_DRIVER;
        List<String> attempts = new ArrayList<>();
        if (isFalse(props, GPU_PROPERTY)) {
            return skipped(stack, GPU_PROPERTY);
        }
        if (!isLinux()) {
            return unavailable(stack, "Javelin's GPU stacks support Linux only; this is " + osDescription(), attempts, null);
        }
        List<String> candidates = new ArrayList<>();
        String explicit = props.getProperty(CUDA_DRIVER_PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            candidates.add(explicit.trim());
        } else {
            candidates.add("libcuda.so.1");
            candidates.addAll(DRIVER_LOCATIONS);
        }
        Throwable[] last = new Throwable[1];
        NativeLibrary lib = openFirst(candidates, null, attempts, last);
        if (lib == null) {
            String reason = explicit != null && !explicit.isBlank()
                    ? "the driver library given by -D" + CUDA_DRIVER_PATH_PROPERTY + " could not be loaded"
                    : "no NVIDIA driver: libcuda.so.1 not found";
            return unavailable(stack, reason, attempts, last[0]);
        }
        try {
            Native.register(Class.forName(CUDA_DRIVER_BINDING, true, NativeLoader.class.getClassLoader()), lib);
            attempts.add("bound the CUDA driver API with JNA direct mapping");
        } catch (UnsatisfiedLinkError | ClassNotFoundException | IllegalArgumentException e) {
            attempts.add("binding the CUDA driver API: " + rootMessage(e));
            return unavailable(stack, "the driver at " + lib.getName() + " lacks a CUDA driver API entry point Javelin "
                    + "needs (driver too old?): " + rootMessage(e), attempts, e);
        }
        int[] version = new int[1];
        int status = lib.getFunction("cuDriverGetVersion").invokeInt(new Object[] {version});
        String v = status == 0 ? cudaVersion(version[0]) : null;
        cudaDriver = lib;
        String where = lib.getFile() != null ? lib.getFile().getPath() : lib.getName();
        return new Probe(stack, true, v, "loaded " + where + (v == null ? "" : " (supports CUDA " + v + ")"), attempts, null);
    }

    /** Formats a CUDA version integer: 13010 becomes {@code "13.1"}. */
    public static String cudaVersion(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    // ---------------------------------------------------------------------------------------------
    // CUDA runtime, TensorRT, ONNX Runtime: bytedeco presets.

    static Probe probeCudaRuntime(Properties props, Probe driver) {
        Stack stack = Stack.CUDA_RUNTIME;
        if (isFalse(props, GPU_PROPERTY)) {
            return skipped(stack, GPU_PROPERTY);
        }
        if (!driver.available()) {
            return unavailable(stack, "needs the CUDA driver, which is unavailable: " + driver.detail(),
                    driver.attempts(), driver.cause());
        }
        List<String> attempts = new ArrayList<>();
        preloadLibdir(props, CUDA_LIBDIR_PROPERTY,
                Pattern.compile("lib(cudart|nvrtc-builtins|nvrtc|cublasLt|cublas|cudnn[a-z_]*)\\.so\\.\\d+(\\.\\d+)*"),
                attempts);
        try {
            loadPreset(CUDART_PRESET, attempts);
            int[] v = new int[1];
            int status = org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion(v);
            String version = status == 0 ? cudaVersion(v[0]) : null;
            String built = cudaVersion(org.bytedeco.cuda.global.cudart.CUDART_VERSION);
            return new Probe(stack, true, version, "CUDA runtime " + (version == null ? "(version unknown)" : version)
                    + " loaded (bytedeco JNI built for " + built + ")", attempts, null);
        } catch (LinkageError e) {
            return unavailable(stack, "the CUDA runtime libraries could not be loaded: " + rootMessage(e), attempts, e);
        }
    }

    static Probe probeTensorRt(Properties props, Probe cudaRuntime) {
        Stack stack = Stack.TENSORRT;
        if (isFalse(props, GPU_PROPERTY)) {
            return skipped(stack, GPU_PROPERTY);
        }
        if (isFalse(props, TENSORRT_PROPERTY)) {
            return skipped(stack, TENSORRT_PROPERTY);
        }
        if (!cudaRuntime.available()) {
            return unavailable(stack, "needs the CUDA runtime, which is unavailable: " + cudaRuntime.detail(),
                    cudaRuntime.attempts(), cudaRuntime.cause());
        }
        List<String> attempts = new ArrayList<>();
        preloadLibdir(props, TENSORRT_LIBDIR_PROPERTY,
                Pattern.compile("lib(nvinfer[a-z_]*|nvonnxparser)\\.so\\.\\d+(\\.\\d+)*"), attempts);
        try {
            loadPreset(NVINFER_PRESET, attempts);
            loadPreset(NVONNXPARSER_PRESET, attempts);
        } catch (LinkageError e) {
            return unavailable(stack, "the TensorRT libraries could not be loaded: " + rootMessage(e), attempts, e);
        }
        // getInferLibVersion exists in every TensorRT; newer version getters would be an unresolved
        // symbol (and a process abort) against an older libnvinfer, so decode this one.
        int encoded = org.bytedeco.tensorrt.global.nvinfer.getInferLibVersion();
        int major = encoded / 10000;
        int minor = encoded / 100 % 100;
        String version = major + "." + minor + "." + encoded % 100;
        int builtMajor = org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MAJOR;
        int builtMinor = org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MINOR;
        if (!NativeStackLine.acceptsTensorRt(major, minor)) {
            // The JNI calls interface entries of its own headers; an older library may lack them. The floor is
            // the line's (NativeStackLine): the built version, or 10.3 for the JetPack 6 line.
            return new Probe(stack, false, version, "TensorRT " + version + " found, but the bytedeco "
                    + NativeStackLine.JAVACPP + " tensorrt JNI (built for " + builtMajor + "." + builtMinor + ") needs "
                    + "TensorRT " + NativeStackLine.TENSORRT_MAJOR + "." + NativeStackLine.TENSORRT_MIN_MINOR
                    + " or a newer " + NativeStackLine.TENSORRT_MAJOR + ".x: " + NativeStackLine.TENSORRT_FLOOR_REASON,
                    attempts, null);
        }
        return new Probe(stack, true, version, "TensorRT " + version + " loaded (bytedeco JNI built for "
                + builtMajor + "." + builtMinor + ")", attempts, null);
    }

    static Probe probeOnnxRuntime(Properties props) {
        Stack stack = Stack.ONNX_RUNTIME;
        if (isFalse(props, ONNXRUNTIME_PROPERTY)) {
            return skipped(stack, ONNXRUNTIME_PROPERTY);
        }
        List<String> attempts = new ArrayList<>();
        boolean preloaded = preloadLibdir(props, ONNXRUNTIME_LIBDIR_PROPERTY,
                Pattern.compile("libonnxruntime\\.so\\.\\d+(\\.\\d+)*"), attempts);
        try {
            if (!loadOnnxRuntimeAlone(props, preloaded, attempts)) {
                loadPreset(ORT_PRESET, attempts);
            }
            // OrtGetApiBase() is the one C entry point every ONNX Runtime exports; the string is static in the library.
            String version = org.bytedeco.onnxruntime.global.onnxruntime.OrtGetApiBase().GetVersionString().call().getString();
            return new Probe(stack, true, version, "ONNX Runtime " + version + " loaded", attempts, null);
        } catch (LinkageError e) {
            return unavailable(stack, "ONNX Runtime could not be loaded: " + rootMessage(e), attempts, e);
        }
    }

    /** Loads a bytedeco preset class (its JNI library and every library it links), recording the attempt. */
    private static void loadPreset(String className, List<String> attempts) {
        String how = "bytedeco JavaCPP Loader for " + className
                + " (JNI and libraries from the class-path jars, then java.library.path, then the system linker path)";
        try {
            Class<?> c = Class.forName(className, false, NativeLoader.class.getClassLoader());
            Loader.load(c);
            attempts.add(how + ": loaded");
        } catch (ClassNotFoundException e) {
            attempts.add(how + ": class missing from the class path");
            throw new NoClassDefFoundError(className + " is not on the class path");
        } catch (LinkageError e) {
            attempts.add(how + ": " + rootMessage(e));
            throw e;
        }
    }

    /** Set to {@code false} to load ONNX Runtime with JavaCPP's default loader (which also maps oneDNN). */
    public static final String ONNXRUNTIME_LEAN_PROPERTY = "javelin.onnxruntime.lean";
    /** JavaCPP's switch, read by {@code Loader.isLoadLibraries()} on every {@code Loader.load} call. */
    private static final String JAVACPP_LOAD_LIBRARIES = "org.bytedeco.javacpp.loadLibraries";
    private static final String ORT_PACKAGE = "org/bytedeco/onnxruntime/";

    /**
     * Loads ONNX Runtime and its JNI library without the libraries of the presets the onnxruntime preset
     * inherits. Why: JavaCPP loads every library of the inherited dnnl preset too ({@code libdnnl.so.3},
     * an 89 MB file: about 48 MiB of resident memory), although neither {@code libonnxruntime.so.1} nor
     * {@code libjnionnxruntime.so} links it (only the optional oneDNN provider library does, which Javelin
     * never registers).
     *
     * <p>How: the two libraries (and {@code libonnxruntime_providers_shared.so}, which the preset links)
     * are extracted to JavaCPP's cache and loaded with {@link System#load}; then, with JavaCPP's
     * documented {@code org.bytedeco.javacpp.loadLibraries=false} set, every class of the preset is
     * initialized, because each class's static initializer calls {@code Loader.load()}, which would
     * otherwise load the inherited libraries on the first touch of any class. The property is restored
     * afterwards. This method runs under this class's lock (all loading is serialized here); while the
     * property is off, other bytedeco classes still initialize against libraries already loaded.
     *
     * @return whether ONNX Runtime is loaded; {@code false} (with the reason in {@code attempts}) means
     *         "use JavaCPP's loader", e.g. for the GPU build, whose preset preloads CUDA libraries itself
     */
    static boolean loadOnnxRuntimeAlone(Properties props, boolean runtimePreloaded, List<String> attempts) {
        String how = "ONNX Runtime without the inherited dnnl/opencl presets";
        if (isFalse(props, ONNXRUNTIME_LEAN_PROPERTY)) {
            attempts.add(how + ": skipped (-D" + ONNXRUNTIME_LEAN_PROPERTY + "=false)");
            return false;
        }
        ClassLoader cl = NativeLoader.class.getClassLoader();
        Class<?> global;
        try {
            global = Class.forName(ORT_PRESET, false, cl);
        } catch (ClassNotFoundException e) {
            return false; // loadPreset reports the missing class
        }
        String platform = Loader.getPlatform();
        String dir = ORT_PACKAGE + platform + "/";
        if (cl.getResource(ORT_PACKAGE + platform + "-gpu/libjnionnxruntime.so") != null
                || cl.getResource(dir + "libjnionnxruntime.so") == null) {
            attempts.add(how + ": no CPU build for " + platform + " on the class path; using JavaCPP's loader");
            return false;
        }
        String previous = System.getProperty(JAVACPP_LOAD_LIBRARIES);
        boolean switchedOff = false;
        try {
            // JavaCPP's own natives first, with its loader still on (every Pointer needs them).
            Loader.load(Loader.class);
            List<String> libs = new ArrayList<>();
            if (!runtimePreloaded) {
                libs.add("libonnxruntime.so.1");
            }
            libs.add("libonnxruntime_providers_shared.so");
            libs.add("libjnionnxruntime.so");
            List<File> files = new ArrayList<>();
            for (String lib : libs) {
                // cacheResource: extracts to (or finds in) JavaCPP's cache folder, as Loader.load would.
                File f = Loader.cacheResource(global, dir + lib);
                if (f == null) {
                    attempts.add(how + ": " + dir + lib + " missing from the class path; using JavaCPP's loader");
                    return false;
                }
                files.add(f);
            }
            System.setProperty(JAVACPP_LOAD_LIBRARIES, "false");
            switchedOff = true;
            for (File f : files) {
                System.load(f.getAbsolutePath());
            }
            int n = initializePackage(global, cl);
            attempts.add(how + ": loaded " + files.get(files.size() - 1).getParent() + "/{" + String.join(", ", libs)
                    + "} and initialized " + n + " preset classes");
            return true;
        } catch (IOException | RuntimeException | LinkageError e) {
            // Nothing is half-initialized for good: a class whose initializer failed is the one error we
            // cannot undo, and JavaCPP's loader would then report it too.
            LOG.info("ONNX Runtime: loading without the inherited presets failed ({}); using JavaCPP's loader",
                    rootMessage(e));
            attempts.add(how + ": " + rootMessage(e) + "; using JavaCPP's loader");
            return false;
        } finally {
            if (switchedOff) {
                if (previous == null) {
                    System.clearProperty(JAVACPP_LOAD_LIBRARIES);
                } else {
                    System.setProperty(JAVACPP_LOAD_LIBRARIES, previous);
                }
            }
        }
    }

    /** Initializes every class of the preset's package (from the jar or folder holding {@code global}); returns the count. */
    private static int initializePackage(Class<?> global, ClassLoader cl) throws IOException {
        java.net.URL where = global.getProtectionDomain().getCodeSource().getLocation();
        List<String> names = new ArrayList<>();
        Path root;
        try {
            root = Path.of(where.toURI());
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new IOException("cannot list the classes of " + where, e);
        }
        if (Files.isDirectory(root)) {
            try (var walk = Files.walk(root.resolve(ORT_PACKAGE))) {
                walk.map(p -> root.relativize(p).toString().replace(File.separatorChar, '/')).forEach(names::add);
            }
        } else {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                jar.stream().map(java.util.jar.JarEntry::getName).forEach(names::add);
            }
        }
        int n = 0;
        for (String name : names) {
            // Only the preset's API classes (Pointer subclasses and the global class); the presets
            // subpackage holds the build-time InfoMapper, which has nothing to load.
            if (!name.startsWith(ORT_PACKAGE) || !name.endsWith(".class") || name.startsWith(ORT_PACKAGE + "presets/")) {
                continue;
            }
            String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
            try {
                Class.forName(className, true, cl);
                n++;
            } catch (ClassNotFoundException e) {
                throw new IOException("class " + className + " listed but not loadable", e);
            }
        }
        if (n == 0) {
            throw new IOException("no classes of " + ORT_PACKAGE + " found in " + where);
        }
        return n;
    }

    /**
     * Loads every library in the folder named by {@code property} whose file name matches, retrying the
     * ones that failed while others still load (so dependency order needs no table).
     */
    private static boolean preloadLibdir(Properties props, String property, Pattern names, List<String> attempts) {
        String dir = props.getProperty(property);
        if (dir == null || dir.isBlank()) {
            return false;
        }
        Path folder = Path.of(dir.trim());
        List<Path> pending = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path f : files) {
                if (names.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)) {
                    pending.add(f.toAbsolutePath());
                }
            }
        } catch (IOException e) {
            attempts.add("-D" + property + "=" + dir + ": cannot list the folder (" + e.getMessage() + ")");
            return false;
        }
        if (pending.isEmpty()) {
            attempts.add("-D" + property + "=" + dir + ": no matching library in the folder");
            return false;
        }
        int total = pending.size();
        pending.sort(null);
        boolean progress = true;
        List<String> errors = new ArrayList<>();
        while (!pending.isEmpty() && progress) {
            progress = false;
            errors.clear();
            for (int i = 0; i < pending.size(); i++) {
                Path f = pending.get(i);
                try {
                    System.load(f.toString());
                    attempts.add("preloaded " + f);
                    pending.remove(i--);
                    progress = true;
                } catch (UnsatisfiedLinkError e) {
                    errors.add(f + ": " + firstLine(e.getMessage()));
                }
            }
        }
        attempts.addAll(errors);
        return pending.size() < total;
    }

    // ---------------------------------------------------------------------------------------------

    private static Probe skipped(Stack stack, String property) {
        return new Probe(stack, false, null, "disabled by -D" + property + "=false", List.of("skipped: -D" + property + "=false"), null);
    }

    private static Probe unavailable(Stack stack, String reason, List<String> attempts, Throwable cause) {
        return new Probe(stack, false, null, reason, attempts, cause);
    }

    private static boolean isFalse(Properties props, String key) {
        String v = props.getProperty(key);
        return v != null && v.trim().equalsIgnoreCase("false");
    }

    static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    private static String osDescription() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    /**
     * The most specific message in a cause chain: bytedeco wraps the linker's own words
     * ({@code libcuda.so.1: cannot open shared object file}) in a cause, and a second touch of a failed
     * class gives {@code NoClassDefFoundError} whose cause carries the first error's text.
     */
    public static String rootMessage(Throwable t) {
        String best = null;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                String m = c.getMessage();
                if (best == null || m.contains("cannot open shared object") || m.contains("undefined symbol")
                        || c.getCause() == null) {
                    best = m;
                }
            }
        }
        return best == null ? t.getClass().getName() : best.replaceAll("\\s+", " ").trim();
    }

    /** The first line of a JNA / linker message that says what went wrong (not the "Unable to load" preamble). */
    private static String firstLine(String message) {
        if (message == null) {
            return "failed";
        }
        for (String line : message.split("\\R")) {
            String l = line.trim();
            if (!l.isEmpty() && !l.startsWith("Unable to load library") && !l.startsWith("Native library")) {
                return l;
            }
        }
        return message.replaceAll("\\s+", " ").trim();
    }
}

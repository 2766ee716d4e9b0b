package dev.javelin.bindings.ort;

import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_API_VERSION;
import static org.bytedeco.onnxruntime.global.onnxruntime.OrtArenaAllocator;
import static org.bytedeco.onnxruntime.global.onnxruntime.OrtMemTypeDefault;

import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.core.NativeLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtApiBase;
import org.bytedeco.onnxruntime.OrtMemoryInfo;
import org.bytedeco.onnxruntime.OrtStatus;
import org.bytedeco.onnxruntime.global.onnxruntime;

/**
 * The one place that loads ONNX Runtime (through the bytedeco preset) and hands out its C API table.
 *
 * <p>Javelin drives ONNX Runtime through the C API ({@code OrtApi}) rather than the preset's C++
 * wrapper classes: every C call returns an {@code OrtStatus} carrying the {@link OrtErrorCode},
 * which the C++ wrapper turns into an {@code Ort::Exception} that JavaCPP surfaces as a plain
 * {@link RuntimeException} with the code lost. {@link #check} converts a status into an
 * {@link OrtException} in the first Java frame, and {@link #wrap} converts anything JavaCPP throws.
 *
 * <p>Loading happens once, lazily; failure is remembered and reported with every attempt made.
 */
public final class Ort {
    /** Provider names as ONNX Runtime reports them. */
    public static final String CPU_PROVIDER = "CPUExecutionProvider";
    public static final String CUDA_PROVIDER = "CUDAExecutionProvider";
    public static final String TENSORRT_PROVIDER = "TensorrtExecutionProvider";

    private static final Object LOCK = new Object();
    private static volatile Loaded loaded;
    private static volatile NativeLibraryUnavailableException failure;

    private Ort() {
    }

    /** What loading produced; immutable and shared by all threads. */
    private record Loaded(OrtApi api, String version, List<String> providers, OrtMemoryInfo cpuMemory) {
    }

    /** The C API and its status accessors, set as soon as GetApi succeeds so {@link #check} works during loading. */
    private static volatile OrtApi statusApi;
    private static volatile OrtApi.GetErrorCode_OrtStatus errorCodeFn;
    private static volatile OrtApi.GetErrorMessage_OrtStatus errorMessageFn;

    private static Loaded loaded() {
        Loaded l = loaded;
        if (l != null) {
            return l;
        }
        synchronized (LOCK) {
            if (loaded != null) {
                return loaded;
            }
            if (failure != null) {
                throw failure;
            }
            try {
                loaded = load();
                return loaded;
            } catch (NativeLibraryUnavailableException e) {
                failure = e;
                throw e;
            } catch (RuntimeException e) {
                failure = new NativeLibraryUnavailableException("ONNX Runtime", "initialization failed: " + e.getMessage(),
                        List.of(), e);
                throw failure;
            }
        }
    }

    private static Loaded load() {
        // All native loading lives in NativeLoader (which also keeps the inherited oneDNN library out).
        NativeLoader.Probe probe = NativeLoader.probe(NativeLoader.Stack.ONNX_RUNTIME);
        probe.require();
        List<String> attempts = probe.attempts();
        // OrtGetApiBase: static table owned by the library; never freed.
        OrtApiBase base = onnxruntime.OrtGetApiBase();
        if (base == null || base.isNull()) {
            throw new NativeLibraryUnavailableException("ONNX Runtime", "OrtGetApiBase returned null", attempts, null);
        }
        // GetVersionString: static string owned by the library.
        String version = base.GetVersionString().call().getString();
        // GetApi: static function table owned by the library; null if this API version is unsupported.
        OrtApi api = base.GetApi().call(ORT_API_VERSION);
        if (api == null || api.isNull()) {
            throw new NativeLibraryUnavailableException("ONNX Runtime " + version,
                    "the library does not provide C API version " + ORT_API_VERSION + " that these bindings were built for",
                    attempts, null);
        }
        // The accessor objects only hold function addresses: safe to share between threads.
        errorCodeFn = api.GetErrorCode();
        errorMessageFn = api.GetErrorMessage();
        statusApi = api;
        List<String> providers = queryProviders(api);
        // CreateCpuMemoryInfo: owned by this class for the life of the process (tensors refer to it).
        OrtMemoryInfo cpu = new OrtMemoryInfo();
        check(api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, cpu), "CreateCpuMemoryInfo");
        return new Loaded(api, version, providers, cpu);
    }

    private static List<String> queryProviders(OrtApi api) {
        // GetAvailableProviders: ONNX Runtime allocates the array; released with ReleaseAvailableProviders.
        // JavaCPP passes the PointerPointer by address and rewrites its address to the returned char**;
        // its deallocator still frees the slot it allocated, so close() below is right either way.
        PointerPointer<BytePointer> list = new PointerPointer<>(1L);
        try {
            int[] count = new int[1];
            check(api.GetAvailableProviders(list, count), "GetAvailableProviders");
            List<String> out = new ArrayList<>();
            try {
                for (int i = 0; i < count[0]; i++) {
                    out.add(list.getString(i));
                }
            } finally {
                check(api.ReleaseAvailableProviders(list, count[0]), "ReleaseAvailableProviders");
            }
            return Collections.unmodifiableList(out);
        } finally {
            list.close();
        }
    }

    /** Whether ONNX Runtime can be loaded here; never throws. */
    public static boolean isAvailable() {
        try {
            loaded();
            return true;
        } catch (NativeLibraryUnavailableException e) {
            return false;
        }
    }

    /**
     * Loads ONNX Runtime if needed.
     *
     * @throws NativeLibraryUnavailableException with every attempt made, if it cannot be loaded
     */
    public static void ensureLoaded() {
        loaded();
    }

    /** The C API table; loads the library on first use. */
    static OrtApi api() {
        return loaded().api();
    }

    /** ONNX Runtime's version string, e.g. {@code 1.24.1}. */
    public static String version() {
        return loaded().version();
    }

    /** Execution providers compiled into the loaded natives, e.g. {@code [DnnlExecutionProvider, CPUExecutionProvider]}. */
    public static List<String> availableProviders() {
        return loaded().providers();
    }

    /** Whether the loaded natives contain {@code provider} (a cheap check: nothing is initialized). */
    public static boolean hasProvider(String provider) {
        return availableProviders().contains(provider);
    }

    /** Memory info for host memory; process lifetime, never freed. */
    static OrtMemoryInfo cpuMemoryInfo() {
        return loaded().cpuMemory();
    }

    /**
     * Throws an {@link OrtException} if {@code status} is an error, releasing the status.
     *
     * @param call the C call and its salient arguments, used in the message
     */
    static void check(OrtStatus status, String call) {
        if (status != null && !status.isNull()) {
            throw toException(status, call);
        }
    }

    /** Converts and releases an error status. */
    static OrtException toException(OrtStatus status, String call) {
        OrtApi api = statusApi;
        int code;
        String message;
        try {
            // GetErrorCode / GetErrorMessage: read from the status, which we own and release below.
            code = errorCodeFn.call(status);
            BytePointer msg = errorMessageFn.call(status);
            message = msg == null || msg.isNull() ? "" : msg.getString();
        } finally {
            api.ReleaseStatus(status);
        }
        return new OrtException(call, code, message);
    }

    /**
     * Wraps an unchecked exception thrown by a JavaCPP native method (a C++ exception translated by
     * JavaCPP, or a JNI failure) as an {@link OrtException} naming the call; OrtExceptions pass through.
     */
    static OrtException wrap(String call, RuntimeException e) {
        if (e instanceof OrtException oe) {
            return oe;
        }
        return new OrtException(call, OrtErrorCode.RUNTIME_EXCEPTION, OrtErrorCode.RUNTIME_EXCEPTION.code(),
                e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }

    /** The ONNX name of an element type number, e.g. {@code float} for 1. */
    public static String elementTypeName(int type) {
        return switch (type) {
            case 1 -> "float";
            case 2 -> "uint8";
            case 3 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case 6 -> "int32";
            case 7 -> "int64";
            case 8 -> "string";
            case 9 -> "bool";
            case 10 -> "float16";
            case 11 -> "double";
            case 12 -> "uint32";
            case 13 -> "uint64";
            case 14 -> "complex64";
            case 15 -> "complex128";
            case 16 -> "bfloat16";
            default -> "element type " + type;
        };
    }

    /** Bytes per element of a fixed-size element type, or -1 (string, sub-byte types). */
    public static int elementSize(int type) {
        return switch (type) {
            case 1, 6, 12 -> 4;
            case 2, 3, 9 -> 1;
            case 4, 5, 10, 16 -> 2;
            case 7, 11, 13, 14 -> 8;
            case 15 -> 16;
            default -> -1;
        };
    }
}

package dev.javelin.bindings.ort;

import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_DISABLE_ALL;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_ENABLE_ALL;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_ENABLE_BASIC;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_ENABLE_EXTENDED;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_PARALLEL;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_SEQUENTIAL;

import dev.javelin.bindings.core.NativeHandle;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtCUDAProviderOptions;
import org.bytedeco.onnxruntime.OrtSessionOptions;
import org.bytedeco.onnxruntime.OrtTensorRTProviderOptions;
import org.bytedeco.onnxruntime.global.onnxruntime;

/**
 * Owner of an {@code OrtSessionOptions}: threads, graph optimization, memory arena and pattern,
 * session config entries and execution providers. Setters return {@code this}; each one is one C call
 * whose failure throws {@link OrtException}. Not thread-safe; close after the sessions are created
 * (ONNX Runtime copies what it needs).
 */
public final class SessionConfig extends NativeHandle {
    /** ONNX Runtime graph optimization levels. */
    public enum Optimization {
        NONE(ORT_DISABLE_ALL), BASIC(ORT_ENABLE_BASIC), EXTENDED(ORT_ENABLE_EXTENDED), ALL(ORT_ENABLE_ALL);

        private final int level;

        Optimization(int level) {
            this.level = level;
        }
    }

    private final OrtApi api;
    private final OrtSessionOptions options;
    // ONNX Runtime's defaults, tracked for trimsArenaAfterFirstRun().
    private boolean cpuArena = true;
    private boolean memPattern = true;
    private final List<String> providers = new ArrayList<>();

    /** Creates default session options; the caller owns the result. */
    public SessionConfig() {
        super("ORT session options");
        this.api = Ort.api();
        OrtSessionOptions o = new OrtSessionOptions();
        // CreateSessionOptions: owned by this object, released in release().
        call(() -> api.CreateSessionOptions(o), "CreateSessionOptions");
        this.options = o;
    }

    private interface StatusCall {
        org.bytedeco.onnxruntime.OrtStatus run();
    }

    private static void call(StatusCall c, String name) {
        try {
            Ort.check(c.run(), name);
        } catch (RuntimeException e) {
            throw Ort.wrap(name, e);
        }
    }

    /** Threads used inside one operator; 0 lets ONNX Runtime choose (one per physical core). */
    public SessionConfig intraOpThreads(int n) {
        checkOpen();
        call(() -> api.SetIntraOpNumThreads(options, n), "SetIntraOpNumThreads(" + n + ")");
        return this;
    }

    /** Threads running independent operators in parallel mode; 0 lets ONNX Runtime choose. */
    public SessionConfig interOpThreads(int n) {
        checkOpen();
        call(() -> api.SetInterOpNumThreads(options, n), "SetInterOpNumThreads(" + n + ")");
        return this;
    }

    /** Sequential (default) or parallel execution of independent operators. */
    public SessionConfig parallelExecution(boolean parallel) {
        checkOpen();
        call(() -> api.SetSessionExecutionMode(options, parallel ? ORT_PARALLEL : ORT_SEQUENTIAL),
                "SetSessionExecutionMode(" + (parallel ? "parallel" : "sequential") + ")");
        return this;
    }

    /** Graph optimization level. */
    public SessionConfig optimization(Optimization level) {
        checkOpen();
        call(() -> api.SetSessionGraphOptimizationLevel(options, level.level),
                "SetSessionGraphOptimizationLevel(" + level + ")");
        return this;
    }

    /**
     * Whether the CPU provider allocates from a growing arena (fast, but the arena keeps its peak
     * size for the life of the session) or straight from the system allocator.
     */
    public SessionConfig cpuMemArena(boolean enabled) {
        checkOpen();
        call(() -> enabled ? api.EnableCpuMemArena(options) : api.DisableCpuMemArena(options),
                enabled ? "EnableCpuMemArena" : "DisableCpuMemArena");
        this.cpuArena = enabled;
        return this;
    }

    /**
     * Whether ONNX Runtime plans one block for all intermediate tensors after the first run with a
     * given input shape (faster, more memory held between runs).
     */
    public SessionConfig memPattern(boolean enabled) {
        checkOpen();
        call(() -> enabled ? api.EnableMemPattern(options) : api.DisableMemPattern(options),
                enabled ? "EnableMemPattern" : "DisableMemPattern");
        this.memPattern = enabled;
        return this;
    }

    /**
     * Whether sessions made with these options should shrink the CPU arena after the first run of each
     * input shape (see {@link RunConfig#shrinkingCpuArena()}): with both the arena and the memory
     * pattern on (ONNX Runtime's defaults).
     */
    boolean trimsArenaAfterFirstRun() {
        return cpuArena && memPattern;
    }

    /**
     * Sessions made with these options allocate from the environment's shared CPU arena
     * ({@link OrtEnvironment#ensureSharedCpuArena()}) instead of an arena of their own.
     */
    public SessionConfig sharedCpuArena() {
        checkOpen();
        OrtEnvironment.get().ensureSharedCpuArena();
        return configEntry("session.use_env_allocators", "1");
    }

    /** Adds a session configuration entry, e.g. {@code session.intra_op.allow_spinning = 0}. */
    public SessionConfig configEntry(String key, String value) {
        checkOpen();
        call(() -> api.AddSessionConfigEntry(options, key, value), "AddSessionConfigEntry(" + key + "=" + value + ")");
        return this;
    }

    /** Severity below which this session's log lines are dropped (0 verbose ... 4 fatal). */
    public SessionConfig logSeverity(int level) {
        checkOpen();
        call(() -> api.SetSessionLogSeverityLevel(options, level), "SetSessionLogSeverityLevel(" + level + ")");
        return this;
    }

    /** Appends the CPU provider explicitly, with or without its arena (it is always present as fallback). */
    public SessionConfig appendCpu(boolean useArena) {
        checkOpen();
        // OrtSessionOptionsAppendExecutionProvider_CPU: registers a provider factory inside the options.
        call(() -> onnxruntime.OrtSessionOptionsAppendExecutionProvider_CPU(options, useArena ? 1 : 0),
                "OrtSessionOptionsAppendExecutionProvider_CPU");
        providers.add(Ort.CPU_PROVIDER);
        return this;
    }

    /**
     * Appends the CUDA provider for device {@code deviceId}: a real call that loads
     * {@code libonnxruntime_providers_cuda.so} and its CUDA/cuDNN libraries.
     *
     * @throws ExecutionProviderUnavailableException if the natives lack the provider or a library is missing
     */
    public SessionConfig appendCuda(int deviceId) {
        checkOpen();
        String name = "SessionOptionsAppendExecutionProvider_CUDA(device " + deviceId + ")";
        // The options struct is read during the call only; freed right after.
        try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions()) {
            cuda.device_id(deviceId);
            appendProvider(Ort.CUDA_PROVIDER, name, () -> api.SessionOptionsAppendExecutionProvider_CUDA(options, cuda));
        }
        return this;
    }

    /**
     * Appends the TensorRT provider for device {@code deviceId}: a real call that loads
     * {@code libonnxruntime_providers_tensorrt.so} (absent from the bytedeco natives, CPU and GPU alike).
     *
     * @throws ExecutionProviderUnavailableException if the natives lack the provider or a library is missing
     */
    public SessionConfig appendTensorRt(int deviceId) {
        checkOpen();
        String name = "SessionOptionsAppendExecutionProvider_TensorRT(device " + deviceId + ")";
        try (OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions()) {
            trt.device_id(deviceId);
            appendProvider(Ort.TENSORRT_PROVIDER, name, () -> api.SessionOptionsAppendExecutionProvider_TensorRT(options, trt));
        }
        return this;
    }

    private void appendProvider(String provider, String name, StatusCall c) {
        try {
            OrtEnvironment.get(); // provider libraries log through the environment's logger
            OrtEnvironment.quietly(() -> {
                call(c, name);
                return null;
            });
        } catch (OrtException e) {
            throw new ExecutionProviderUnavailableException(name, provider, providerReason(provider, e), e);
        }
        providers.add(provider);
    }

    /** Turns ONNX Runtime's terse failure into the reason and the fix. */
    static String providerReason(String provider, OrtException e) {
        List<String> available = Ort.availableProviders();
        if (!available.contains(provider)) {
            String fix = Ort.CUDA_PROVIDER.equals(provider)
                    ? "; build with -Pgpu (org.bytedeco:onnxruntime classifier linux-x86_64-gpu)"
                    : "; the bytedeco ONNX Runtime builds do not include it (use Javelin's native TensorRT backend)";
            return "the ONNX Runtime " + Ort.version() + " natives on the class path have no " + provider
                    + " (they provide " + available + ")" + fix;
        }
        return provider + " is compiled in but could not be initialized; its CUDA/cuDNN/TensorRT libraries or "
                + "the NVIDIA driver are missing or incompatible";
    }

    /** Providers appended so far, in order. */
    public List<String> providers() {
        return List.copyOf(providers);
    }

    OrtSessionOptions handle() {
        checkOpen();
        return options;
    }

    @Override
    protected void release() {
        // ReleaseSessionOptions: frees what CreateSessionOptions made.
        api.ReleaseSessionOptions(options);
    }
}

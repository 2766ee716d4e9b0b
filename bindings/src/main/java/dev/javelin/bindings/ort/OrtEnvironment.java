package dev.javelin.bindings.ort;

import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_LOGGING_LEVEL_ERROR;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_LOGGING_LEVEL_FATAL;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_LOGGING_LEVEL_INFO;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_LOGGING_LEVEL_VERBOSE;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_LOGGING_LEVEL_WARNING;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.onnxruntime.OrtArenaCfg;
import org.bytedeco.onnxruntime.OrtEnv;
import org.bytedeco.onnxruntime.OrtLoggingFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide ONNX Runtime environment, created lazily on first use and never released: ONNX
 * Runtime requires the environment to outlive every session, and releasing it at JVM exit races
 * with sessions still being finalized.
 *
 * <p>ONNX Runtime's log goes to SLF4J logger {@code onnxruntime} (verbose -> trace, info -> debug,
 * warning -> warn, error/fatal -> error). The minimum severity ONNX Runtime emits is taken from that
 * logger's level, so nothing is formatted natively for messages SLF4J would drop.
 */
public final class OrtEnvironment {
    private static final Logger ORT_LOG = LoggerFactory.getLogger("onnxruntime");
    /**
     * Each thread's quiet flag, at index {@link #QUIET_AT} of an int array of its own. A mutable holder rather
     * than a {@code ThreadLocal<Boolean>}: runners switch the flag on and off around every pinned run, and
     * setting a thread-local stores an object reference into the thread's map entry, which under the
     * card-marking collectors contends between threads (see {@link SessionRunner}). The flag sits 128 bytes
     * from either end of its array because two threads' holders may end up next to each other in the heap.
     */
    private static final int QUIET_AT = 32;
    private static final ThreadLocal<int[]> QUIET = ThreadLocal.withInitial(() -> new int[2 * QUIET_AT + 1]);
    private static volatile OrtEnvironment instance;

    private final OrtEnv env;
    // The native logger calls back into this object; the strong reference keeps its trampoline alive.
    private final LogBridge logBridge;

    private OrtEnvironment(OrtEnv env, LogBridge logBridge) {
        this.env = env;
        this.logBridge = logBridge;
    }

    /** The environment, created on first call. */
    public static OrtEnvironment get() {
        OrtEnvironment e = instance;
        if (e != null) {
            return e;
        }
        synchronized (OrtEnvironment.class) {
            if (instance == null) {
                instance = create();
            }
            return instance;
        }
    }

    private static OrtEnvironment create() {
        var api = Ort.api();
        LogBridge bridge = new LogBridge();
        OrtEnv env = new OrtEnv();
        try {
            // CreateEnvWithCustomLogger: the environment is owned by this class for the life of the process.
            Ort.check(api.CreateEnvWithCustomLogger(bridge, null, minimumSeverity(), "javelin", env),
                    "CreateEnvWithCustomLogger");
        } catch (RuntimeException e) {
            throw Ort.wrap("CreateEnvWithCustomLogger", e);
        }
        return new OrtEnvironment(env, bridge);
    }

    OrtEnv handle() {
        return env;
    }

    private final Object sharedArenaLock = new Object();
    private volatile boolean sharedArena;

    /**
     * Registers, once per process, a CPU arena owned by the environment that sessions can use instead of
     * their own (session option {@code session.use_env_allocators = 1}): one arena for every session, whose
     * regions are exactly the sizes asked for (ONNX Runtime's {@code kSameAsRequested} extend strategy)
     * rather than doubling ones. With exact regions, shrinking the arena after a first run
     * ({@link RunConfig#shrinkingCpuArena()}) gives back every region no live tensor sits in; with doubling
     * regions one surviving tensor keeps a large, fully touched region resident.
     */
    public void ensureSharedCpuArena() {
        if (sharedArena) {
            return;
        }
        synchronized (sharedArenaLock) {
            if (sharedArena) {
                return;
            }
            var api = Ort.api();
            OrtArenaCfg cfg = new OrtArenaCfg();
            // CreateArenaCfg(max_mem 0 = no limit, extend strategy 1 = kSameAsRequested, -1 = default chunk sizes).
            Ort.check(api.CreateArenaCfg(0, 1, -1, -1, cfg), "CreateArenaCfg(kSameAsRequested)");
            try {
                // CreateAndRegisterAllocator: the environment owns the arena from here on; the config is copied.
                Ort.check(api.CreateAndRegisterAllocator(env, Ort.cpuMemoryInfo(), cfg), "CreateAndRegisterAllocator(cpu arena)");
            } finally {
                api.ReleaseArenaCfg(cfg);
            }
            sharedArena = true;
        }
    }

    private static int minimumSeverity() {
        if (ORT_LOG.isTraceEnabled()) {
            return ORT_LOGGING_LEVEL_VERBOSE;
        }
        if (ORT_LOG.isDebugEnabled()) {
            return ORT_LOGGING_LEVEL_INFO;
        }
        if (ORT_LOG.isWarnEnabled()) {
            return ORT_LOGGING_LEVEL_WARNING;
        }
        return ORT_LOGGING_LEVEL_ERROR;
    }

    /**
     * Runs {@code action} with ONNX Runtime's errors logged at debug on this thread. For probes whose
     * failure is an expected answer (e.g. "is the CUDA provider loadable?"), not a problem to shout about.
     */
    public static <T> T quietly(java.util.function.Supplier<T> action) {
        int[] flag = QUIET.get();
        int before = flag[QUIET_AT];
        flag[QUIET_AT] = 1;
        try {
            return action.get();
        } finally {
            flag[QUIET_AT] = before;
        }
    }

    /** Sets this thread's quiet flag (see {@link #quietly}); returns the previous value. Cheap: no allocation, no reference stored. */
    static boolean setQuiet(boolean quiet) {
        int[] flag = QUIET.get();
        boolean before = flag[QUIET_AT] != 0;
        if (before != quiet) {
            flag[QUIET_AT] = quiet ? 1 : 0;
        }
        return before;
    }

    /** Receives ONNX Runtime's log lines on whatever thread emits them; must never throw into native code. */
    private static final class LogBridge extends OrtLoggingFunction {
        @Override
        public void call(Pointer param, int severity, BytePointer category, BytePointer logId,
                         BytePointer codeLocation, BytePointer message) {
            try {
                String text = message == null || message.isNull() ? "" : message.getString();
                String where = codeLocation == null || codeLocation.isNull() ? "" : " [" + codeLocation.getString() + "]";
                boolean quiet = QUIET.get()[QUIET_AT] != 0;
                if (severity >= ORT_LOGGING_LEVEL_ERROR && !quiet) {
                    ORT_LOG.error("{}{}", text, where);
                } else if (severity >= ORT_LOGGING_LEVEL_WARNING && !quiet) {
                    ORT_LOG.warn("{}{}", text, where);
                } else if (severity >= ORT_LOGGING_LEVEL_INFO) {
                    ORT_LOG.debug("{}{}", text, where);
                } else {
                    ORT_LOG.trace("{}{}", text, where);
                }
                if (severity >= ORT_LOGGING_LEVEL_FATAL) {
                    ORT_LOG.error("ONNX Runtime reported a fatal error (see above)");
                }
            } catch (Throwable t) {
                // Nothing may propagate into ONNX Runtime's stack.
            }
        }
    }
}

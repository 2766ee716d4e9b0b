package dev.javelin.runtime.ort;

import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.ort.ExecutionProviderUnavailableException;
import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.Ort;
import dev.javelin.bindings.ort.OrtErrorCode;
import dev.javelin.bindings.ort.OrtException;
import dev.javelin.bindings.ort.PrepackedWeights;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.spi.Availability;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the ONNX Runtime CPU and CUDA backends share: loading, option mapping, model loading and its errors. */
final class OrtBackendSupport {
    private OrtBackendSupport() {
    }

    /** Whether ONNX Runtime loads here; the reason if not. */
    static Availability runtimeAvailability() {
        try {
            Ort.ensureLoaded();
            return Availability.usable("ONNX Runtime " + Ort.version());
        } catch (NativeLibraryUnavailableException e) {
            return Availability.unusable(e.getMessage());
        } catch (LinkageError | RuntimeException e) {
            return Availability.unusable("ONNX Runtime could not be loaded: " + e);
        }
    }

    /**
     * Session options for the CPU provider (also the fallback for nodes a GPU provider does not take).
     *
     * <p>The CPU memory arena stays on: on PP-OCRv4 det it gave both a lower peak RSS and faster runs than
     * the C library allocator. Its one mutex, taken on every allocation and free, is what made two
     * concurrent callers slower than one (profiled: threads parked in {@code BFCArena::AllocateRawInternal}
     * and {@code BFCArena::Free} for the outputs); {@link dev.javelin.bindings.ort.SessionRunner} avoids
     * it by pinning outputs from the non-arena default allocator, and lanes preallocate theirs, so a
     * steady-state run of a single-node model touches the arena not at all. The system property
     * {@code javelin.ort.cpuArena=false} turns the arena off (for comparisons).
     *
     * <p>ONNX Runtime's memory pattern is on ({@code javelin.ort.memPattern=false} turns it off): after the
     * first run of each input shape, a run takes its activations from one block of the planned size instead
     * of one arena allocation per tensor. That is worth 10-15 % per frame on a small many-node model (Silero
     * VAD: 155 -> 137 us for a stream, 121 -> 111 us specialized). Its cost was memory: the first run's
     * tensor-by-tensor chunks stayed in the arena as fragmented free space the block did not fit in, so the
     * arena held the activations twice (PP-OCRv4 det at 1x3x480x640: 207 MiB resident after the first run,
     * 250 MiB after the second). Two settings remove that cost:
     * <ul>
     *   <li>Sessions allocate from one CPU arena owned by the environment ({@code session.use_env_allocators},
     *       see {@code OrtEnvironment.ensureSharedCpuArena}) whose regions are exactly the requested sizes
     *       instead of doubling ones; {@code javelin.ort.sharedArena=false} gives each session its own arena.</li>
     *   <li>The first run of each input shape, in a runner or a lane, shrinks the arena when it ends
     *       ({@code RunConfig.shrinkingCpuArena()}), releasing every region no live tensor sits in.</li>
     * </ul>
     * Measured side by side ({@code benchmarks/run.sh 2 ocr-rss}, peak RSS, Javelin vs the official API):
     * pattern off 181-184 vs 189-191 MiB; pattern on with a session arena and the shrink 216-219 MiB; pattern
     * on, shared exact arena and the shrink 177-178 vs 189 MiB, at the same latency (76 vs 75 ms). One
     * arena for all sessions also means memory a closed session freed is reused by the others rather than
     * returned to the system until a first run shrinks the arena again.
     */
    static SessionConfig config(SessionOptions options) {
        return config(options, true);
    }

    /**
     * As {@link #config(SessionOptions)}; {@code sharedArena = false} gives the session an arena of its own.
     * Extra model instances use that ({@link OrtCpuBackend}): they exist so that concurrent callers do not
     * share ONNX Runtime state, and every run copies the {@code shared_ptr} of the session's allocator, whose
     * reference count, when the allocator is the shared one, moved between the two cores on every run (perf:
     * {@code SessionState::GetAllocator} at 4.6 % of a two-caller Add 1x16 profile; scaling 1.59-1.68x with
     * one arena for both instances against 1.69-1.72x with their own).
     */
    static SessionConfig config(SessionOptions options, boolean sharedArena) {
        SessionConfig c = new SessionConfig();
        try {
            if (options.intraOpThreads() > 0) {
                c.intraOpThreads(options.intraOpThreads());
            }
            if (options.interOpThreads() > 0) {
                c.interOpThreads(options.interOpThreads());
            }
            c.optimization(SessionConfig.Optimization.valueOf(options.optimization().name()));
            c.cpuMemArena(!"false".equals(System.getProperty("javelin.ort.cpuArena")));
            c.memPattern(!"false".equals(System.getProperty("javelin.ort.memPattern")));
            if (sharedArena && !"false".equals(System.getProperty("javelin.ort.sharedArena"))) {
                c.sharedCpuArena();
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Creates the ORT session, turning ONNX Runtime's load errors into {@link ModelException}s naming
     * the file.
     */
    static InferenceSession open(Path model, SessionConfig config) {
        checkFile(model);
        try {
            return InferenceSession.open(model, config);
        } catch (OrtException e) {
            throw new ModelException(describeLoadFailure(model, e), e);
        }
    }

    /** As {@link #open(Path, SessionConfig)}, sharing pre-packed weights through {@code shared}. */
    static InferenceSession open(Path model, SessionConfig config, PrepackedWeights shared) {
        checkFile(model);
        try {
            return InferenceSession.open(model, config, shared);
        } catch (OrtException e) {
            throw new ModelException(describeLoadFailure(model, e), e);
        }
    }

    static void checkFile(Path model) {
        if (!Files.exists(model)) {
            throw new ModelException("model file " + model + " does not exist");
        }
        if (Files.isDirectory(model)) {
            throw new ModelException("model path " + model + " is a directory; expected an .onnx file");
        }
        if (!Files.isReadable(model)) {
            throw new ModelException("model file " + model + " is not readable");
        }
    }

    private static String describeLoadFailure(Path model, OrtException e) {
        String what = switch (e.errorCode()) {
            case INVALID_PROTOBUF -> "is not a valid ONNX protobuf (truncated or corrupted?)";
            case NO_SUCHFILE -> "cannot be opened";
            case INVALID_GRAPH -> "has an invalid graph";
            case NOT_IMPLEMENTED -> "uses an operator or type ONNX Runtime " + Ort.version() + " does not implement";
            default -> "could not be loaded";
        };
        return "model " + model + " " + what + ": " + e.ortMessage() + " (" + e.errorCode().cName() + ")";
    }

    /** Converts a provider failure during compile into the typed "backend unavailable" error. */
    static BackendUnavailableException unavailable(String backend, ExecutionProviderUnavailableException e) {
        return new BackendUnavailableException(backend, e.reason(), e);
    }

    /** Whether an exception means the execution provider could not run (as opposed to a bad model). */
    static boolean isProviderFailure(OrtException e) {
        return e.errorCode() == OrtErrorCode.EP_FAIL;
    }
}

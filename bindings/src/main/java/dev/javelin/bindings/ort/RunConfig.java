package dev.javelin.bindings.ort;

import dev.javelin.bindings.core.NativeHandle;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtRunOptions;

/**
 * Owner of an {@code OrtRunOptions}: a run tag for ONNX Runtime's log and a terminate flag that
 * makes runs using these options stop early with an error. Thread-safe for use by concurrent runs.
 */
public final class RunConfig extends NativeHandle {
    private final OrtApi api;
    private final OrtRunOptions options;

    private static final Object SHRINK_LOCK = new Object();
    private static volatile RunConfig shrinkCpuArena;

    /**
     * Shared options that make a run release the CPU arena's wholly free regions when it ends
     * ({@code memory.enable_memory_arena_shrinkage = cpu:0}). For the first run of each input shape when
     * ONNX Runtime's memory pattern is on: that run allocates every activation from the arena one by one,
     * and the later runs take one block of the planned size, which the fragmented free space of the first
     * run cannot hold, so without a shrink the arena keeps both. Lives as long as the process (shared by
     * every session; options are only read by a run).
     */
    public static RunConfig shrinkingCpuArena() {
        RunConfig c = shrinkCpuArena;
        if (c == null) {
            synchronized (SHRINK_LOCK) {
                c = shrinkCpuArena;
                if (c == null) {
                    c = new RunConfig("javelin-first-run").entry("memory.enable_memory_arena_shrinkage", "cpu:0");
                    shrinkCpuArena = c;
                }
            }
        }
        return c;
    }

    /** Creates run options; the caller owns the result. */
    public RunConfig(String tag) {
        super("ORT run options " + tag);
        this.api = Ort.api();
        OrtRunOptions o = new OrtRunOptions();
        try {
            // CreateRunOptions: owned by this object, released in release().
            Ort.check(api.CreateRunOptions(o), "CreateRunOptions");
        } catch (RuntimeException e) {
            throw Ort.wrap("CreateRunOptions", e);
        }
        this.options = o;
        try {
            Ort.check(api.RunOptionsSetRunTag(options, tag), "RunOptionsSetRunTag(" + tag + ")");
        } catch (RuntimeException e) {
            api.ReleaseRunOptions(o);
            throw Ort.wrap("RunOptionsSetRunTag", e);
        }
    }

    /**
     * Sets a run configuration entry (ONNX Runtime's {@code AddRunConfigEntry}), e.g.
     * {@code memory.enable_memory_arena_shrinkage = cpu:0}. Set entries before runs use the options.
     */
    public RunConfig entry(String key, String value) {
        checkOpen();
        Ort.check(api.AddRunConfigEntry(options, key, value), "AddRunConfigEntry(" + key + "=" + value + ")");
        return this;
    }

    /** Asks runs using these options to stop as soon as possible; they fail with an error. */
    public void terminate() {
        checkOpen();
        Ort.check(api.RunOptionsSetTerminate(options), "RunOptionsSetTerminate");
    }

    /** Clears the terminate flag so the options can be used again. */
    public void unsetTerminate() {
        checkOpen();
        Ort.check(api.RunOptionsUnsetTerminate(options), "RunOptionsUnsetTerminate");
    }

    OrtRunOptions handle() {
        checkOpen();
        return options;
    }

    @Override
    protected void release() {
        // ReleaseRunOptions: frees what CreateRunOptions made.
        api.ReleaseRunOptions(options);
    }
}

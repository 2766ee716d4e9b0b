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

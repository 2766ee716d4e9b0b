package dev.javelin.builder.bundle;

import dev.javelin.runtime.bundle.BundleManifest;
import java.nio.file.Path;

/**
 * What {@link BundleBuild#run} produced. The bundle is complete and usable on ONNX Runtime in every case; only
 * the TensorRT plan may be missing.
 *
 * @param bundle          the bundle folder
 * @param manifest        the manifest as written
 * @param tensorRtFailure why the TensorRT step produced no plan (e.g. the typed "no GPU"
 *                        {@link dev.javelin.runtime.BackendUnavailableException}), or {@code null} when it built one
 *                        or was skipped with {@code --onnx-only}
 * @param nanos           wall time of the whole build
 */
public record BuildReport(Path bundle, BundleManifest manifest, RuntimeException tensorRtFailure, long nanos) {
    /** Whether the bundle holds a TensorRT plan. */
    public boolean planBuilt() {
        return manifest.tensorRt().built();
    }
}

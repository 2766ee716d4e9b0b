package dev.javelin.runtime.spi;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.bundle.Bundle;
import java.nio.file.Path;

/**
 * A way to execute models, discovered with {@link java.util.ServiceLoader}. Implementations must be
 * cheap to construct: native libraries are touched only by {@link #availability} and {@link #compile}.
 */
public interface Backend {
    /** Which backend this is; also its rank (TensorRT before CUDA before CPU). */
    BackendKind kind();

    /**
     * Whether this backend can run here with these options. Never throws: every failure to load a
     * native library or find a device becomes an unusable availability with the reason.
     */
    Availability availability(SessionOptions options);

    /**
     * Prepares a model for execution. The caller owns the result.
     *
     * @throws dev.javelin.runtime.ModelException              if the model cannot be loaded
     * @throws dev.javelin.runtime.BackendUnavailableException if the backend cannot run here
     */
    CompiledModel compile(Path model, SessionOptions options);

    /**
     * Prepares an engine bundle for execution; the caller owns the result. Backends that do not use engine plans
     * run the bundle's {@code model.onnx}, which is what this default does; the TensorRT backend loads a plan
     * built for this machine instead.
     *
     * @throws dev.javelin.runtime.ModelException              if the bundle cannot be used here (the message says why)
     * @throws dev.javelin.runtime.BackendUnavailableException if the backend cannot run here
     */
    default CompiledModel compile(Bundle bundle, SessionOptions options) {
        return compile(bundle.modelFile(), options);
    }
}

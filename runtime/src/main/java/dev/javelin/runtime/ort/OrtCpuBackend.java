package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.spi.Backend;
import dev.javelin.runtime.spi.CompiledModel;
import java.nio.file.Path;

/**
 * ONNX Runtime on the CPU: usable wherever the ONNX Runtime natives load. Registered with
 * {@link java.util.ServiceLoader}; ranked last, after TensorRT and ONNX Runtime CUDA.
 */
public final class OrtCpuBackend implements Backend {
    /** Constructs the backend; touches no native library. */
    public OrtCpuBackend() {
    }

    @Override
    public BackendKind kind() {
        return BackendKind.CPU;
    }

    @Override
    public Availability availability(SessionOptions options) {
        Availability a = OrtBackendSupport.runtimeAvailability();
        return a.usable() ? Availability.usable(a.detail() + " CPU") : a;
    }

    @Override
    public CompiledModel compile(Path model, SessionOptions options) {
        Availability a = availability(options);
        if (!a.usable()) {
            throw new BackendUnavailableException(BackendKind.CPU.label(), a.detail());
        }
        try (SessionConfig config = OrtBackendSupport.config(options)) {
            InferenceSession session = OrtBackendSupport.open(model, config);
            String threads = options.intraOpThreads() > 0 ? options.intraOpThreads() + " intra-op threads" : "default threads";
            return OrtCompiledModel.create(model, session, a.detail() + " (" + threads + ")");
        }
    }

    @Override
    public String toString() {
        return "ONNX Runtime CPU backend";
    }
}

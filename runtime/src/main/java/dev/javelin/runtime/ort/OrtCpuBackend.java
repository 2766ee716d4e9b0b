package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.PrepackedWeights;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.spi.Backend;
import dev.javelin.runtime.spi.CompiledModel;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime on the CPU: usable wherever the ONNX Runtime natives load. Registered with
 * {@link java.util.ServiceLoader}; ranked last, after TensorRT and ONNX Runtime CUDA.
 */
public final class OrtCpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(OrtCpuBackend.class);

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
        OrtBackendSupport.checkFile(model);
        int cores = Runtime.getRuntime().availableProcessors();
        // -Djavelin.ort.instances=N stands in for "automatic" (for comparisons, e.g. 1 = the one-session behaviour).
        int requested = options.instances() > 0 ? options.instances() : Math.max(0, Integer.getInteger("javelin.ort.instances", 0));
        InstancePolicy.Plan plan = InstancePolicy.plan(requested, true, cores, options.intraOpThreads(),
                requested == 0 ? InstancePolicy.modelBytes(model, InstancePolicy.AUTO_MAX_MODEL_BYTES) : 0);
        LOG.info("{}: {}", model.getFileName(), plan.reason());
        String threads = options.intraOpThreads() > 0 ? options.intraOpThreads() + " intra-op threads" : "default threads";
        String description = a.detail() + " (" + threads + (plan.maxInstances() > 1
                ? ", up to " + plan.maxInstances() + " instances" : "") + ")";
        if (plan.maxInstances() == 1) {
            try (SessionConfig config = OrtBackendSupport.config(options)) {
                return OrtCompiledModel.create(model, OrtBackendSupport.open(model, config), description);
            }
        }
        // Further instances are opened later with the same container and these options, so both stay open until
        // close; the first allocates from the shared arena, further ones each from their own (see config()).
        SessionConfig config = OrtBackendSupport.config(options, false);
        PrepackedWeights shared = null;
        try {
            shared = PrepackedWeights.create();
            InferenceSession first;
            try (SessionConfig firstConfig = OrtBackendSupport.config(options)) {
                first = OrtBackendSupport.open(model, firstConfig, shared);
            }
            return OrtCompiledModel.create(model,
                    new ModelInstances(model, first, config, shared, plan.maxInstances()), description);
        } catch (RuntimeException e) {
            // create() closes the instances (and with them config and shared) itself; closing twice is harmless.
            if (shared != null) {
                shared.close();
            }
            config.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return "ONNX Runtime CPU backend";
    }
}

package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.ExecutionProviderUnavailableException;
import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.Ort;
import dev.javelin.bindings.ort.OrtEnvironment;
import dev.javelin.bindings.ort.OrtException;
import dev.javelin.bindings.ort.ProbeModel;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.spi.Backend;
import dev.javelin.runtime.spi.CompiledModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ONNX Runtime with the CUDA execution provider. Usable only when the natives on the class path were
 * built with it (the {@code -Pgpu} profile adds {@code org.bytedeco:onnxruntime:linux-x86_64-gpu}),
 * its CUDA libraries load and the device exists. Nodes the CUDA provider does not take run on the CPU
 * provider. Inputs and outputs stay in host memory; ONNX Runtime copies them to and from the device.
 */
public final class OrtCudaBackend implements Backend {
    // Probing loads the CUDA provider library and creates a session: do it once per device.
    private static final Map<Integer, Availability> PROBES = new ConcurrentHashMap<>();

    /** Constructs the backend; touches no native library. */
    public OrtCudaBackend() {
    }

    @Override
    public BackendKind kind() {
        return BackendKind.CUDA;
    }

    /**
     * Checks, cheapest first: ONNX Runtime loads; its natives list the CUDA provider (no library is
     * touched); the provider library loads for the device; a one-node model gets a session on it.
     */
    @Override
    public Availability availability(SessionOptions options) {
        Availability base = OrtBackendSupport.runtimeAvailability();
        if (!base.usable()) {
            return base;
        }
        if (!Ort.hasProvider(Ort.CUDA_PROVIDER)) {
            return Availability.unusable("ONNX Runtime " + Ort.version() + " natives on the class path have no CUDA "
                    + "execution provider (they provide " + Ort.availableProviders() + "); build with -Pgpu");
        }
        return PROBES.computeIfAbsent(options.deviceId(), OrtCudaBackend::probe);
    }

    private static Availability probe(int device) {
        return OrtEnvironment.quietly(() -> {
            try (SessionConfig config = new SessionConfig()) {
                config.appendCuda(device);
                InferenceSession probe = InferenceSession.fromBytes(ProbeModel.identity(), "cuda-probe", config);
                probe.close();
                return Availability.usable("ONNX Runtime " + Ort.version() + " CUDA device " + device);
            } catch (ExecutionProviderUnavailableException e) {
                return Availability.unusable(e.reason() + " [" + e.ortMessage() + "]");
            } catch (OrtException e) {
                return Availability.unusable("the CUDA execution provider cannot run on device " + device + ": "
                        + e.ortMessage() + " (" + e.errorCode().cName() + ")");
            } catch (RuntimeException | LinkageError e) {
                return Availability.unusable("the CUDA execution provider failed on device " + device + ": " + e);
            }
        });
    }

    @Override
    public CompiledModel compile(Path model, SessionOptions options) {
        Availability a = availability(options);
        if (!a.usable()) {
            throw new BackendUnavailableException(BackendKind.CUDA.label(), a.detail());
        }
        // Its own host arena: the shared one was measured for CPU sessions, where activations live in it; here
        // they live on the device.
        try (SessionConfig config = OrtBackendSupport.config(options, false)) {
            try {
                config.appendCuda(options.deviceId());
            } catch (ExecutionProviderUnavailableException e) {
                throw OrtBackendSupport.unavailable(BackendKind.CUDA.label(), e);
            }
            InferenceSession session = OrtBackendSupport.open(model, config);
            return OrtCompiledModel.create(model, session, a.detail());
        }
    }

    @Override
    public String toString() {
        return "ONNX Runtime CUDA backend";
    }
}

package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.cuda.CudaDriver;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.spi.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Builds the TensorRT engine of an ONNX file without opening a session, for {@code javelin build}: the same
 * build (and {@link EngineCache}) the TensorRT backend uses, so a plan built here is found in the cache by a
 * later {@code Session} on the same model and options, and the other way round. Blocks while TensorRT builds.
 */
public final class TensorRtEngineBuilder {
    private TensorRtEngineBuilder() {
    }

    /**
     * Builds (or takes from {@code cache}) the engine of {@code onnx} on CUDA device {@code deviceId}.
     *
     * @throws BackendUnavailableException if TensorRT cannot run here (no driver, no device, library missing,
     *                                     compute capability too old), with the reason
     * @throws ModelException              if the file cannot be read or TensorRT's parser rejects it (every
     *                                     parser error, with node names, in the message)
     * @throws dev.javelin.runtime.InvalidInputException if a given input shape does not fit the model
     * @throws NativeFailureException      if the build itself fails
     */
    public static BuiltEngine build(Path onnx, TensorRtOptions options, int deviceId, EngineCache cache) {
        Objects.requireNonNull(onnx, "onnx");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(cache, "cache");
        Availability a = TensorRtAvailability.evaluate(GpuFacts.collect(), deviceId);
        if (!a.usable()) {
            NativeLoader.Probe trt = NativeLoader.probe(NativeLoader.Stack.TENSORRT);
            throw new BackendUnavailableException("tensorrt", a.detail(), trt.available() ? null : trt.failure());
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(onnx);
        } catch (IOException e) {
            throw new ModelException("cannot read model file " + onnx + ": " + e.getMessage(), e);
        }
        try {
            CudaDeviceInfo device = CudaDriver.get().device(deviceId);
            try (CudaContext ctx = CudaContext.primary(deviceId)) {
                ctx.makeCurrent(); // TensorRT's builder uses the thread's current (primary) context
                return EngineBuilds.obtain(onnx, bytes, options, device, cache, false);
            }
        } catch (NativeCallException e) {
            throw new NativeFailureException(e.getMessage(), e);
        } catch (NativeLibraryUnavailableException e) {
            throw new BackendUnavailableException("tensorrt", e.getMessage(), e);
        }
    }
}

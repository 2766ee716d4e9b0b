package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.trt.OnnxParseException;
import dev.javelin.bindings.trt.TensorRt;
import dev.javelin.bindings.trt.TrtBuilder;
import dev.javelin.bindings.trt.TrtNetwork;
import dev.javelin.bindings.trt.TrtTensorInfo;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.bundle.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the engine of an ONNX model for the current device: from the {@link EngineCache} when it holds one for
 * the same model bytes, options, TensorRT version and compute capability, else by parsing and building it
 * (the timing cache file, if any, is read before and written after), then storing it in the cache. The
 * caller has made the device's CUDA context current.
 */
final class EngineBuilds {
    private static final Logger LOG = LoggerFactory.getLogger(EngineBuilds.class);

    private EngineBuilds() {
    }

    /**
     * The engine of {@code onnx}.
     *
     * @param force build even if the cache has an entry (it did not deserialize)
     */
    static BuiltEngine obtain(Path model, byte[] onnx, TensorRtOptions options, CudaDeviceInfo device, EngineCache cache,
                              boolean force) {
        String version = TensorRt.loadedVersion();
        NativeLoader.Probe cudart = NativeLoader.probe(NativeLoader.Stack.CUDA_RUNTIME);
        String cuda = cudart.available() ? cudart.version() : null;
        String cc = device.computeCapabilityString();
        EngineCacheKey key = new EngineCacheKey(EngineCacheKey.sha256(onnx), version, cc, options.fingerprint());
        if (!force) {
            Optional<EngineCache.Entry> hit = cache.load(key);
            if (hit.isPresent()) {
                EngineCache.Entry e = hit.get();
                LOG.info("TensorRT engine for {} found in the engine cache: {}", model.getFileName(), e.file());
                return new BuiltEngine(e.plan(), e.signature(), e.profile(), version, cuda, cc, device.name(), true, e.file(),
                        0, new EngineBuildPlan(e.profile(), options).builderCalls(), null);
            }
        }
        long start = System.nanoTime();
        try (TrtBuilder builder = TrtBuilder.create(); TrtNetwork network = builder.parseOnnx(onnx, model.toString())) {
            List<TrtTensorInfo> inputs = network.inputs();
            for (TrtTensorInfo in : inputs) {
                if (in.onHost()) {
                    throw new ModelException("input '" + in.name() + "' of " + model + " is a shape tensor (its values "
                            + "set output shapes); the TensorRT backend does not take shape tensors yet");
                }
            }
            ModelSignature signature = TrtTypes.signature(inputs, network.outputs());
            EngineBuildPlan plan = EngineBuildPlan.of(signature, options);
            byte[] timingCache = readTimingCache(options.timingCache());
            LOG.info("building a TensorRT engine for {} on {} (compute {}): {}", model.getFileName(), device.name(), cc,
                    plan.builderCalls());
            TrtBuilder.Result built = builder.build(network, plan.config(timingCache));
            String timingReport = saveTimingCache(options.timingCache(), timingCache, built);
            long nanos = System.nanoTime() - start;
            LOG.info(String.format(Locale.ROOT, "TensorRT engine for %s built in %.1f s (%d bytes)", model.getFileName(),
                    nanos / 1e9, built.plan().length));
            Path file;
            try {
                file = cache.store(key, built.plan(), signature, plan.profile());
            } catch (IOException e) {
                LOG.warn("cannot write the TensorRT engine cache in {} ({}); the engine is used uncached", cache.dir(), e.toString());
                file = cache.planFile(key);
            }
            return new BuiltEngine(built.plan(), signature, plan.profile(), version, cuda, cc, device.name(), false, file,
                    nanos, plan.builderCalls(), timingReport);
        } catch (OnnxParseException e) {
            throw new ModelException(e.getMessage(), e);
        }
    }

    /** The timing cache to start from: the file's bytes, empty for a new cache, {@code null} without a file. */
    static byte[] readTimingCache(Path file) {
        if (file == null) {
            return null;
        }
        if (!Files.exists(file)) {
            return new byte[0];
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelException("cannot read the TensorRT timing cache " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the timing cache after a build (atomically: a concurrent build sees the old or the new file). */
    private static String saveTimingCache(Path file, byte[] before, TrtBuilder.Result built) {
        if (file == null || built.timingCache() == null) {
            return null;
        }
        String start = built.timingCacheRefused()
                ? "the " + before.length + "-byte cache was made on another GPU or TensorRT version, started a new one"
                : before.length == 0 ? "new cache" : "reused " + before.length + " bytes";
        if (built.timingCacheRefused()) {
            LOG.warn("TensorRT timing cache {}: {}", file, start);
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            AtomicFiles.write(file, built.timingCache());
        } catch (IOException e) {
            LOG.warn("cannot save the TensorRT timing cache {}: {}", file, e.toString());
            return start + "; not saved: " + e.getMessage();
        }
        return start + "; saved " + built.timingCache().length + " bytes to " + file;
    }
}

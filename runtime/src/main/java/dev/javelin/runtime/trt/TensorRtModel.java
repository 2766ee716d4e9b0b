package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.Bytes;
import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.trt.OnnxParseException;
import dev.javelin.bindings.trt.TensorRt;
import dev.javelin.bindings.trt.TrtBuildConfig;
import dev.javelin.bindings.trt.TrtBuilder;
import dev.javelin.bindings.trt.TrtEngine;
import dev.javelin.bindings.trt.TrtNetwork;
import dev.javelin.bindings.trt.TrtRuntime;
import dev.javelin.bindings.trt.TrtTensorInfo;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.spi.CompiledModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model compiled to a TensorRT engine. {@link #run} may be called from many threads: each call takes
 * an {@link ExecutionSlot} (context + stream + buffers) from a pool bounded by
 * {@link TensorRtOptions#contexts()}, so at most that many runs execute at once and the others wait.
 *
 * <p>Close order (TensorRT requires it): slots and lanes (their contexts), then the engine, then the
 * runtime, then the primary-context reference.
 */
final class TensorRtModel implements CompiledModel {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtModel.class);

    private final CudaContext context;
    private final TrtRuntime runtime;
    private final TrtEngine engine;
    private final ModelSignature signature;
    private final OptimizationProfile profile;
    private final String description;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<ExecutionSlot> idle = new ConcurrentLinkedDeque<>();
    private final List<ExecutionSlot> slots = new ArrayList<>();

    private TensorRtModel(CudaContext context, TrtRuntime runtime, TrtEngine engine, ModelSignature signature,
                          OptimizationProfile profile, String description, int contexts) {
        this.context = context;
        this.runtime = runtime;
        this.engine = engine;
        this.signature = signature;
        this.profile = profile;
        this.description = description;
        this.permits = new Semaphore(contexts);
    }

    /** Builds (or loads from the cache) and deserialises the engine of {@code model} on {@code device}. */
    static TensorRtModel compile(Path model, int deviceId, CudaDeviceInfo device, TensorRtOptions options, EngineCache cache) {
        byte[] onnx;
        try {
            onnx = Files.readAllBytes(model);
        } catch (IOException e) {
            throw new ModelException("cannot read model file " + model + ": " + e.getMessage(), e);
        }
        String version = TensorRt.loadedVersion();
        EngineCacheKey key = new EngineCacheKey(EngineCacheKey.sha256(onnx), version, device.computeCapabilityString(),
                options.fingerprint());
        CudaContext ctx = CudaContext.primary(deviceId);
        TrtRuntime runtime = null;
        TrtEngine engine = null;
        try {
            ctx.makeCurrent(); // TensorRT and the CUDA runtime use the thread's current (primary) context
            Optional<EngineCache.Entry> hit = cache.load(key);
            runtime = TrtRuntime.create();
            EngineCache.Entry entry;
            String origin;
            if (hit.isPresent()) {
                entry = hit.get();
                origin = "cached engine " + entry.file();
                try {
                    engine = runtime.deserialize(entry.plan());
                } catch (NativeCallException stale) {
                    // e.g. a plan from another GPU of the same compute capability: rebuild over it.
                    LOG.warn("cached TensorRT engine {} did not deserialize ({}); rebuilding", entry.file(), stale.getMessage());
                    entry = build(onnx, model, options, key, cache);
                    origin = "engine rebuilt into " + entry.file();
                    engine = runtime.deserialize(entry.plan());
                }
            } else {
                long start = System.nanoTime();
                entry = build(onnx, model, options, key, cache);
                origin = String.format(java.util.Locale.ROOT, "engine built in %.1f s, cached as %s",
                        (System.nanoTime() - start) / 1e9, entry.file());
                engine = runtime.deserialize(entry.plan());
            }
            checkEngineMatches(engine, entry.signature());
            String description = "TensorRT " + version + " on cuda:" + deviceId + " " + device.name() + " (compute "
                    + device.computeCapabilityString() + "), " + origin + " (" + Bytes.format(entry.plan().length) + ")";
            return new TensorRtModel(ctx, runtime, engine, entry.signature(), entry.profile(), description, options.contexts());
        } catch (NativeCallException e) {
            closeQuietly(engine, runtime, ctx);
            throw new NativeFailureException(e.getMessage(), e);
        } catch (NativeLibraryUnavailableException e) {
            closeQuietly(engine, runtime, ctx);
            throw new BackendUnavailableException("tensorrt", e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(engine, runtime, ctx);
            throw e;
        }
    }

    /** Parses, derives the profile, builds, and stores the plan in the cache. */
    private static EngineCache.Entry build(byte[] onnx, Path model, TensorRtOptions options, EngineCacheKey key, EngineCache cache) {
        try (TrtBuilder builder = TrtBuilder.create(); TrtNetwork network = builder.parseOnnx(onnx, model.toString())) {
            List<TrtTensorInfo> inputs = network.inputs();
            for (TrtTensorInfo in : inputs) {
                if (in.onHost()) {
                    throw new ModelException("input '" + in.name() + "' of " + model + " is a shape tensor (its values "
                            + "set output shapes); the TensorRT backend does not take shape tensors yet");
                }
            }
            ModelSignature signature = TrtTypes.signature(inputs, network.outputs());
            OptimizationProfile profile = ProfileDerivation.derive(signature.inputs(), options.profile());
            Map<String, TrtBuildConfig.ShapeRange> ranges = new LinkedHashMap<>();
            profile.inputs().forEach((name, r) -> ranges.put(name, new TrtBuildConfig.ShapeRange(r.min(), r.opt(), r.max())));
            LOG.info("building a TensorRT engine for {} (profile {}); this takes a while once, then the cache serves it",
                    model.getFileName(), profile.inputs());
            byte[] plan = builder.buildSerialized(network, new TrtBuildConfig(options.workspaceBytes(), ranges,
                    options.optimizationLevel()));
            Path file;
            try {
                file = cache.store(key, plan, signature, profile);
            } catch (IOException e) {
                LOG.warn("cannot write the TensorRT engine cache in {} ({}); the engine is used uncached", cache.dir(), e.toString());
                file = cache.planFile(key);
            }
            return new EngineCache.Entry(plan, signature, profile, file);
        } catch (OnnxParseException e) {
            throw new ModelException(e.getMessage(), e);
        }
    }

    /** The engine must expose the tensors (names, types) the signature promises. */
    private static void checkEngineMatches(TrtEngine engine, ModelSignature signature) {
        Map<String, TrtTensorInfo> io = new LinkedHashMap<>();
        engine.ioTensors().forEach(t -> io.put(t.name(), t));
        List<TensorInfo> all = new ArrayList<>(signature.inputs());
        all.addAll(signature.outputs());
        for (TensorInfo t : all) {
            TrtTensorInfo e = io.get(t.name());
            if (e == null || TrtTypes.toDType(e.dtype(), t.name()) != t.dtype()) {
                throw new ModelException("the TensorRT engine does not match the model signature at '" + t.name()
                        + "' (engine has " + (e == null ? "no such tensor" : e.toString()) + ")");
            }
        }
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public String description() {
        return description;
    }

    /** The deserialised engine (owned by this model); partition plans create their own execution contexts from it. */
    TrtEngine engine() {
        return engine;
    }

    /** The optimisation profile the engine was built with. */
    OptimizationProfile profile() {
        return profile;
    }

    @Override
    public Result run(Map<String, Tensor> inputs) {
        permits.acquireUninterruptibly();
        ExecutionSlot slot = null;
        try {
            slot = idle.poll();
            if (slot == null) {
                slot = newSlot();
            }
            return slot.run(signature.inputs(), signature.outputs(), profile, inputs);
        } catch (NativeCallException e) {
            throw new NativeFailureException(e.getMessage(), e);
        } finally {
            if (slot != null) {
                idle.push(slot);
            }
            permits.release();
        }
    }

    private ExecutionSlot newSlot() {
        ExecutionSlot s = new ExecutionSlot(context, engine);
        synchronized (slots) {
            slots.add(s);
        }
        return s;
    }

    @Override
    public Lane newLane(Map<String, Shape> inputShapes) {
        return new TensorRtLane(context, engine, signature.inputs(), signature.outputs(), profile, inputShapes);
    }

    @Override
    public void close() {
        try {
            context.makeCurrent();
        } catch (RuntimeException e) {
            LOG.warn("cannot make the CUDA context current to close {}: {}", description, e.toString());
        }
        synchronized (slots) {
            for (int i = slots.size() - 1; i >= 0; i--) {
                try {
                    slots.get(i).close();
                } catch (RuntimeException e) {
                    LOG.warn("closing a TensorRT execution slot failed: {}", e.toString());
                }
            }
            slots.clear();
        }
        idle.clear();
        closeQuietly(engine, runtime, context);
    }

    private static void closeQuietly(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", r, e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return description;
    }
}

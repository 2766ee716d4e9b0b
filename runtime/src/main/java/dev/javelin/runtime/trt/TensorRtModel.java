package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.Bytes;
import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.trt.TensorRt;
import dev.javelin.bindings.trt.TrtEngine;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model compiled to a TensorRT engine. {@link #run} may be called from many threads: each call takes
 * an {@link ExecutionSlot} (context + stream + buffers) from a pool bounded by
 * {@link TensorRtOptions#contexts()}, so at most that many runs execute at once and the others wait.
 *
 * <p>Close order (TensorRT requires it): slots and lanes (their contexts), then their scratch arena, then the
 * engine, then the runtime, then the primary-context reference.
 */
final class TensorRtModel implements CompiledModel {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtModel.class);

    private final CudaContext context;
    private final TrtRuntime runtime;
    private final TrtEngine engine;
    private final ModelSignature signature;
    private final OptimizationProfile profile;
    private final String description;
    private final ScratchArena scratch;
    private final boolean zeroCopy;
    private final SlotPool<ExecutionSlot> slots;

    private TensorRtModel(CudaContext context, TrtRuntime runtime, TrtEngine engine, ModelSignature signature,
                          OptimizationProfile profile, String description, int contexts, boolean zeroCopy) {
        this.context = context;
        this.runtime = runtime;
        this.engine = engine;
        this.signature = signature;
        this.profile = profile;
        this.description = description;
        this.zeroCopy = zeroCopy;
        this.scratch = new ScratchArena(context, description,
                ScratchArena.chunkBytesFor(engine.deviceMemorySize(), contexts));
        this.slots = new SlotPool<>(contexts, () -> new ExecutionSlot(context, engine, scratch), "TensorRT execution slot");
    }

    /** Builds (or loads from the cache) and deserialises the engine of {@code model} on {@code device}. */
    static TensorRtModel compile(Path model, int deviceId, CudaDeviceInfo device, TensorRtOptions options, EngineCache cache) {
        byte[] onnx;
        try {
            onnx = Files.readAllBytes(model);
        } catch (IOException e) {
            throw new ModelException("cannot read model file " + model + ": " + e.getMessage(), e);
        }
        return open(deviceId, device, options, runtime -> {
            BuiltEngine built = EngineBuilds.obtain(model, onnx, options, device, cache, false);
            try {
                return new Loaded(runtime.deserialize(built.plan()), built, origin(built));
            } catch (NativeCallException stale) {
                if (!built.fromCache()) {
                    throw stale;
                }
                // e.g. a plan from another GPU of the same compute capability: rebuild over it.
                LOG.warn("cached TensorRT engine {} did not deserialize ({}); rebuilding", built.cacheFile(), stale.getMessage());
                BuiltEngine rebuilt = EngineBuilds.obtain(model, onnx, options, device, cache, true);
                return new Loaded(runtime.deserialize(rebuilt.plan()), rebuilt, "engine rebuilt into " + rebuilt.cacheFile());
            }
        });
    }

    /**
     * Deserialises a plan read from an engine bundle; the caller has checked that it was built for this TensorRT
     * version and compute capability.
     */
    static TensorRtModel fromPlan(byte[] plan, ModelSignature signature, OptimizationProfile profile, String origin,
                                  int deviceId, CudaDeviceInfo device, TensorRtOptions options) {
        return open(deviceId, device, options, runtime -> new Loaded(runtime.deserialize(plan),
                new BuiltEngine(plan, signature, profile, TensorRt.loadedVersion(), null, device.computeCapabilityString(),
                        device.name(), false, null, 0, List.of(), null), origin));
    }

    private static String origin(BuiltEngine b) {
        return b.fromCache() ? "cached engine " + b.cacheFile()
                : String.format(java.util.Locale.ROOT, "engine built in %.1f s, cached as %s", b.buildNanos() / 1e9, b.cacheFile());
    }

    /** A deserialised engine, what it was built from, and where it came from (for the description). */
    private record Loaded(TrtEngine engine, BuiltEngine built, String origin) {
    }

    /** Produces the engine once the context is current and the runtime exists. */
    private interface EngineSource {
        Loaded load(TrtRuntime runtime);
    }

    private static TensorRtModel open(int deviceId, CudaDeviceInfo device, TensorRtOptions options, EngineSource source) {
        String version = TensorRt.loadedVersion();
        CudaContext ctx = CudaContext.primary(deviceId);
        TrtRuntime runtime = null;
        TrtEngine engine = null;
        try {
            ctx.makeCurrent(); // TensorRT and the CUDA runtime use the thread's current (primary) context
            runtime = TrtRuntime.create();
            Loaded loaded = source.load(runtime);
            engine = loaded.engine();
            BuiltEngine entry = loaded.built();
            checkEngineMatches(engine, entry.signature());
            String description = "TensorRT " + version + " on cuda:" + deviceId + " " + device.name() + " (compute "
                    + device.computeCapabilityString() + "), " + loaded.origin() + " (" + Bytes.format(entry.plan().length) + ")";
            // Jetson: lanes bind mapped pinned memory instead of copying to and from device buffers.
            boolean zeroCopy = device.integrated() && device.canMapHostMemory();
            return new TensorRtModel(ctx, runtime, engine, entry.signature(), entry.profile(), description, options.contexts(),
                    zeroCopy);
        } catch (NativeCallException e) {
            Closing.quietly(LOG, engine, runtime, ctx);
            throw new NativeFailureException(e.getMessage(), e);
        } catch (NativeLibraryUnavailableException e) {
            Closing.quietly(LOG, engine, runtime, ctx);
            throw new BackendUnavailableException("tensorrt", e.getMessage(), e);
        } catch (RuntimeException e) {
            Closing.quietly(LOG, engine, runtime, ctx);
            throw e;
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
        return slots.run(slot -> slot.run(signature.inputs(), signature.outputs(), profile, inputs));
    }

    @Override
    public Lane newLane(Map<String, Shape> inputShapes) {
        return new TensorRtLane(context, engine, scratch, zeroCopy, signature.inputs(), signature.outputs(), profile, inputShapes);
    }

    @Override
    public void close() {
        try {
            context.makeCurrent();
        } catch (RuntimeException e) {
            LOG.warn("cannot make the CUDA context current to close {}: {}", description, e.toString());
        }
        slots.close(LOG);
        Closing.quietly(LOG, scratch, engine, runtime, context);
    }

    @Override
    public String toString() {
        return description;
    }
}

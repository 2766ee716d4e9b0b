package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.Bytes;
import dev.javelin.bindings.core.NativeHandle;
import dev.javelin.bindings.core.NativeLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;

/**
 * Builds TensorRT plans from ONNX: parse into a strongly typed network (precision is decided in the
 * graph, as TensorRT 11 requires), then apply a {@link TrtBuildConfig} (workspace limit, optimisation level,
 * one optimisation profile, timing cache) and serialise the engine.
 */
public final class TrtBuilder extends NativeHandle {
    /** {@code 1 << NetworkDefinitionCreationFlag::kSTRONGLY_TYPED}. */
    private static final int STRONGLY_TYPED = 1 << 1;

    private final TrtObject<IBuilder> builder;

    private TrtBuilder(TrtObject<IBuilder> builder) {
        super("TensorRT builder");
        this.builder = builder;
    }

    /** Creates a builder; the caller owns it. */
    public static TrtBuilder create() {
        NativeLoader.require(NativeLoader.Stack.TENSORRT);
        TrtLogger logger = TensorRt.sharedLogger();
        logger.clearLastError();
        // Owned: deleted through its deleting destructor when closed.
        IBuilder b = nvinfer.createInferBuilder(logger);
        if (b == null || b.isNull()) {
            throw TrtErrors.failure("createInferBuilder");
        }
        return new TrtBuilder(new TrtObject<>(b, "TensorRT IBuilder", TrtAbi.INOCOPY_DELETING_DESTRUCTOR));
    }

    /**
     * Parses an ONNX model into a new strongly typed network; the caller owns it.
     *
     * @param onnx      the model bytes
     * @param modelPath the model's file, so the parser finds external data next to it
     * @throws OnnxParseException with every parser error if the model is rejected
     */
    public TrtNetwork parseOnnx(byte[] onnx, String modelPath) {
        checkOpen();
        TrtLogger logger = TensorRt.sharedLogger();
        logger.clearLastError();
        INetworkDefinition net = builder.get().createNetworkV2(STRONGLY_TYPED);
        if (net == null || net.isNull()) {
            throw TrtErrors.failure("IBuilder.createNetworkV2(kSTRONGLY_TYPED)");
        }
        TrtObject<INetworkDefinition> network = new TrtObject<>(net, "TensorRT INetworkDefinition",
                TrtAbi.INOCOPY_DELETING_DESTRUCTOR);
        int parserSlot = TrtAbi.parserDeletingDestructor(majorLoaded());
        IParser parser = nvonnxparser.createParser(net, logger);
        if (parser == null || parser.isNull()) {
            network.close();
            throw TrtErrors.failure("nvonnxparser::createParser");
        }
        BytePointer model = new BytePointer(onnx);
        TrtNetwork result = new TrtNetwork(network, parser, parserSlot, model);
        boolean ok = false;
        try {
            if (!parser.parse(model, onnx.length, modelPath)) {
                throw new OnnxParseException(modelPath, parserErrors(parser));
            }
            ok = true;
            return result;
        } finally {
            if (!ok) {
                result.close();
            }
        }
    }

    private static List<String> parserErrors(IParser parser) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < parser.getNbErrors(); i++) {
            IParserError e = parser.getError(i); // borrowed from the parser
            out.add(OnnxParseException.describe(e.node(), e.nodeName(), e.nodeOperator(), e.desc(), String.valueOf(e.code())));
        }
        return out;
    }

    /** Builds and serialises an engine for {@code network}; the returned plan bytes are the caller's. */
    public byte[] buildSerialized(TrtNetwork network, TrtBuildConfig config) {
        return build(network, config).plan();
    }

    /**
     * What {@link #build} produced.
     *
     * @param plan               the serialized engine
     * @param timingCache        the timing cache after the build (to save for the next build), or {@code null}
     *                           when the configuration had none
     * @param timingCacheRefused whether TensorRT refused the given timing cache (made on another device or
     *                           TensorRT version) so the build started from a new one
     */
    public record Result(byte[] plan, byte[] timingCache, boolean timingCacheRefused) {
    }

    /**
     * Builds and serialises an engine for {@code network}, making exactly the {@link TrtBuildConfig#calls()} on
     * a new builder configuration. Blocks for as long as TensorRT builds (seconds to minutes).
     */
    public Result build(TrtNetwork network, TrtBuildConfig config) {
        checkOpen();
        network.checkUsable();
        IBuilder b = builder.get();
        TensorRt.sharedLogger().clearLastError();
        IBuilderConfig c = b.createBuilderConfig();
        if (c == null || c.isNull()) {
            throw TrtErrors.failure("IBuilder.createBuilderConfig");
        }
        TrtObject<ITimingCache> cache = null;
        BytePointer cacheBlob = null;
        boolean refused = false;
        try (TrtObject<IBuilderConfig> cfg = new TrtObject<>(c, "TensorRT IBuilderConfig", TrtAbi.INOCOPY_DELETING_DESTRUCTOR)) {
            for (TrtBuildConfig.Call call : config.calls()) {
                if (call instanceof TrtBuildConfig.WorkspaceLimit w) {
                    c.setMemoryPoolLimit(nvinfer.MemoryPoolType.kWORKSPACE, w.bytes());
                } else if (call instanceof TrtBuildConfig.OptimizationLevel l) {
                    c.setBuilderOptimizationLevel(l.level());
                } else if (call instanceof TrtBuildConfig.AddProfile p) {
                    addProfile(b, cfg.get(), p.inputs());
                } else if (call instanceof TrtBuildConfig.AttachTimingCache) {
                    byte[] blob = config.timingCache();
                    // TensorRT copies the blob into the cache; the pointer only has to live through the call.
                    cacheBlob = blob.length == 0 ? null : new BytePointer(blob);
                    cache = createTimingCache(c, cacheBlob, blob.length);
                    if (!c.setTimingCache(cache.get(), false)) {
                        // A cache from another device or TensorRT version: TensorRT refuses it (ignoreMismatch is
                        // false because a foreign cache can pick slow tactics); start a new one instead.
                        refused = true;
                        cache.close();
                        cache = createTimingCache(c, null, 0);
                        if (!c.setTimingCache(cache.get(), false)) {
                            throw TrtErrors.failure("IBuilderConfig.setTimingCache(new cache)");
                        }
                    }
                } else {
                    throw new IllegalStateException("unhandled builder call " + call);
                }
            }
            IHostMemory plan = b.buildSerializedNetwork(network.definition(), c);
            if (plan == null || plan.isNull()) {
                throw TrtErrors.failure("IBuilder.buildSerializedNetwork(workspace "
                        + (config.workspaceBytes() > 0 ? Bytes.format(config.workspaceBytes()) : "default") + ")");
            }
            byte[] planBytes;
            try (TrtObject<IHostMemory> owned = new TrtObject<>(plan, "TensorRT IHostMemory", TrtAbi.INOCOPY_DELETING_DESTRUCTOR)) {
                planBytes = TrtEngine.copy(owned.get());
            }
            byte[] cacheBytes = null;
            if (cache != null) {
                // The builder added what it timed to the attached cache; serialize it for the next build.
                IHostMemory serialized = cache.get().serialize();
                if (serialized == null || serialized.isNull()) {
                    throw TrtErrors.failure("ITimingCache.serialize");
                }
                try (TrtObject<IHostMemory> owned = new TrtObject<>(serialized, "TensorRT IHostMemory (timing cache)",
                        TrtAbi.INOCOPY_DELETING_DESTRUCTOR)) {
                    cacheBytes = TrtEngine.copy(owned.get());
                }
            }
            return new Result(planBytes, cacheBytes, refused);
        } finally {
            // TensorRT: the timing cache must outlive the build; it is deleted after the config that uses it.
            if (cache != null) {
                cache.close();
            }
            if (cacheBlob != null) {
                cacheBlob.close();
            }
        }
    }

    private static TrtObject<ITimingCache> createTimingCache(IBuilderConfig c, BytePointer blob, long size) {
        // Owned by the caller (deleted through its deleting destructor, like every INoCopy object).
        ITimingCache cache = c.createTimingCache(blob, size);
        if (cache == null || cache.isNull()) {
            throw TrtErrors.failure("IBuilderConfig.createTimingCache(" + size + " bytes)");
        }
        return new TrtObject<>(cache, "TensorRT ITimingCache", TrtAbi.INOCOPY_DELETING_DESTRUCTOR);
    }

    private static void addProfile(IBuilder b, IBuilderConfig c, Map<String, TrtBuildConfig.ShapeRange> inputs) {
        // Owned by the builder (freed with it), so not wrapped.
        IOptimizationProfile profile = b.createOptimizationProfile();
        if (profile == null || profile.isNull()) {
            throw TrtErrors.failure("IBuilder.createOptimizationProfile");
        }
        for (Map.Entry<String, TrtBuildConfig.ShapeRange> e : inputs.entrySet()) {
            setDimensions(profile, e.getKey(), nvinfer.OptProfileSelector.kMIN, e.getValue().min());
            setDimensions(profile, e.getKey(), nvinfer.OptProfileSelector.kOPT, e.getValue().opt());
            setDimensions(profile, e.getKey(), nvinfer.OptProfileSelector.kMAX, e.getValue().max());
        }
        if (!profile.isValid() || c.addOptimizationProfile(profile) < 0) {
            throw TrtErrors.failure("IBuilderConfig.addOptimizationProfile(" + inputs.keySet() + ")");
        }
    }

    private static void setDimensions(IOptimizationProfile profile, String input, nvinfer.OptProfileSelector which,
                                      long[] shape) {
        try (Dims64 d = new Dims64()) {
            d.nbDims(shape.length);
            for (int i = 0; i < shape.length; i++) {
                d.d(i, shape[i]);
            }
            if (!profile.setDimensions(input, which, d)) {
                throw TrtErrors.failure("IOptimizationProfile.setDimensions(" + input + ", " + which + ", "
                        + java.util.Arrays.toString(shape) + ")");
            }
        }
    }

    private static int majorLoaded() {
        String v = TensorRt.loadedVersion();
        return v == null ? -1 : Integer.parseInt(v.substring(0, v.indexOf('.')));
    }

    @Override
    protected void release() {
        builder.close();
    }
}

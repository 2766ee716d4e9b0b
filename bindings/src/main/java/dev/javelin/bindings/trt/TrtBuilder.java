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
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;

/**
 * Builds TensorRT plans from ONNX: parse into a strongly typed network (precision is decided in the
 * graph, as TensorRT 11 requires), one optimisation profile, a workspace limit, serialise. Minimal on
 * purpose; the builder issue extends {@link TrtBuildConfig}.
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
            String node = e.nodeName() == null || e.nodeName().isEmpty() ? "" : " '" + e.nodeName() + "'";
            String op = e.nodeOperator() == null || e.nodeOperator().isEmpty() ? "" : " (" + e.nodeOperator() + ")";
            out.add("node " + e.node() + node + op + ": " + e.desc() + " [" + e.code() + "]");
        }
        return out;
    }

    /** Builds and serialises an engine for {@code network}; the returned plan bytes are the caller's. */
    public byte[] buildSerialized(TrtNetwork network, TrtBuildConfig config) {
        checkOpen();
        network.checkUsable();
        IBuilder b = builder.get();
        TensorRt.sharedLogger().clearLastError();
        IBuilderConfig c = b.createBuilderConfig();
        if (c == null || c.isNull()) {
            throw TrtErrors.failure("IBuilder.createBuilderConfig");
        }
        try (TrtObject<IBuilderConfig> cfg = new TrtObject<>(c, "TensorRT IBuilderConfig", TrtAbi.INOCOPY_DELETING_DESTRUCTOR)) {
            if (config.workspaceBytes() > 0) {
                c.setMemoryPoolLimit(nvinfer.MemoryPoolType.kWORKSPACE, config.workspaceBytes());
            }
            if (config.optimizationLevel() >= 0) {
                c.setBuilderOptimizationLevel(config.optimizationLevel());
            }
            if (!config.profile().isEmpty()) {
                // Owned by the builder (freed with it), so not wrapped.
                IOptimizationProfile profile = b.createOptimizationProfile();
                for (Map.Entry<String, TrtBuildConfig.ShapeRange> e : config.profile().entrySet()) {
                    setDimensions(profile, e.getKey(), nvinfer.OptProfileSelector.kMIN, e.getValue().min());
                    setDimensions(profile, e.getKey(), nvinfer.OptProfileSelector.kOPT, e.getValue().opt());
                    setDimensions(profile, e.getKey(), nvinfer.OptProfileSelector.kMAX, e.getValue().max());
                }
                if (!profile.isValid() || cfg.get().addOptimizationProfile(profile) < 0) {
                    throw TrtErrors.failure("IBuilderConfig.addOptimizationProfile(" + config.profile().keySet() + ")");
                }
            }
            IHostMemory plan = b.buildSerializedNetwork(network.definition(), c);
            if (plan == null || plan.isNull()) {
                throw TrtErrors.failure("IBuilder.buildSerializedNetwork(workspace "
                        + (config.workspaceBytes() > 0 ? Bytes.format(config.workspaceBytes()) : "default") + ")");
            }
            try (TrtObject<IHostMemory> owned = new TrtObject<>(plan, "TensorRT IHostMemory", TrtAbi.INOCOPY_DELETING_DESTRUCTOR)) {
                return TrtEngine.copy(owned.get());
            }
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

package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.NativeHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A strongly typed TensorRT network filled by the ONNX parser. It owns the parser too: the parser owns
 * the weight memory the network points into, so it must live until the engine is built. Closing deletes
 * the parser, then the network (the reverse of creation, as TensorRT's samples do).
 */
public final class TrtNetwork extends NativeHandle {
    private static final Logger LOG = LoggerFactory.getLogger(TrtNetwork.class);

    private final TrtObject<INetworkDefinition> network;
    private final IParser parser;
    private final int parserSlot;
    private final BytePointer model;

    TrtNetwork(TrtObject<INetworkDefinition> network, IParser parser, int parserSlot, BytePointer model) {
        super("TensorRT network");
        this.network = network;
        this.parser = parser;
        this.parserSlot = parserSlot;
        this.model = model;
    }

    void checkUsable() {
        checkOpen();
    }

    INetworkDefinition definition() {
        return network.get();
    }

    /** Network inputs with the symbolic dimension names the ONNX model gave them. */
    public List<TrtTensorInfo> inputs() {
        checkOpen();
        INetworkDefinition n = network.get();
        List<TrtTensorInfo> out = new ArrayList<>();
        for (int i = 0; i < n.getNbInputs(); i++) {
            out.add(info(n.getInput(i), true));
        }
        return out;
    }

    /** Network outputs; their shapes are as far as TensorRT can infer them before building. */
    public List<TrtTensorInfo> outputs() {
        checkOpen();
        INetworkDefinition n = network.get();
        List<TrtTensorInfo> out = new ArrayList<>();
        for (int i = 0; i < n.getNbOutputs(); i++) {
            out.add(info(n.getOutput(i), false));
        }
        return out;
    }

    private static TrtTensorInfo info(ITensor t, boolean input) {
        long[] dims = TrtEngine.dims(t.getDimensions());
        List<String> names = new ArrayList<>();
        for (int d = 0; d < dims.length; d++) {
            String s = dims[d] < 0 ? t.getDimensionName(d) : null;
            names.add(s == null || s.isEmpty() ? null : s);
        }
        return new TrtTensorInfo(t.getName(), input, TrtDataType.fromValue(t.getType().value), dims,
                Collections.unmodifiableList(names), t.isShapeTensor());
    }

    @Override
    protected void release() {
        try {
            if (parserSlot >= 0) {
                CppObjects.delete(parser, parserSlot);
            } else {
                LOG.warn("TensorRT ONNX parser not freed: its destructor's vtable slot is unknown for this TensorRT "
                        + "version (known for 10.x and 11.x)");
            }
        } finally {
            network.close();
            model.close();
        }
    }
}

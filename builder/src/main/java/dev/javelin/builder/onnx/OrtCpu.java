package dev.javelin.builder.onnx;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.bindings.ort.SessionRunner;
import dev.javelin.bindings.ort.TensorValue;
import dev.javelin.bindings.ort.ValueInfo;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.ModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a model on ONNX Runtime CPU for the toolkit's own use (constant folding, type and shape discovery),
 * with graph optimizations off so ONNX Runtime evaluates the graph as written: it neither fuses nor folds
 * away the intermediate tensors a pass exposes as outputs.
 *
 * <p>Why not the runtime's {@code Session}: that API carries the seven element types Javelin runs models
 * with, while folding and discovery must see every fixed-width ONNX type (float64, int16, uint16, ...) a
 * graph computes on the way. So this goes one level down, to the bindings' ONNX Runtime session, which
 * passes element types through as numbers. Graph outputs may be declared without a type: ONNX Runtime
 * infers it when it loads the model.
 *
 * <p>Data crosses as dense little-endian bytes ({@code raw_data} layout); Javelin's platforms (x86_64,
 * arm64) are little-endian, which ONNX Runtime's CPU memory then is too.
 */
public final class OrtCpu {
    private OrtCpu() {
    }

    /** Receives one output of a run; {@code data} is a read-only view valid only during the call. */
    @FunctionalInterface
    public interface OutputVisitor {
        void visit(String name, ElementType type, long[] shape, ByteBuffer data);
    }

    /**
     * Runs {@code model} once and hands every output it declares to {@code visit}, in model order. An
     * output that is not a dense tensor (a sequence, a map, strings) is skipped.
     *
     * @param feeds a value for every graph input that has no initializer, by name (dense, any fixed-width type)
     * @throws ModelException naming the model if ONNX Runtime cannot load or run it, or an input is missing
     */
    public static void run(OnnxModel model, Map<String, TensorProto> feeds, OutputVisitor visit) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("ONNX Runtime evaluation needs a little-endian machine");
        }
        byte[] bytes = selfContained(model).toByteArray();
        String name = model.displayName();
        List<ByteBuffer> inputMemory = new ArrayList<>();
        try (SessionConfig config = new SessionConfig()
                .intraOpThreads(1).interOpThreads(1).optimization(SessionConfig.Optimization.NONE).logSeverity(3);
             InferenceSession session = InferenceSession.fromBytes(bytes, name, config);
             SessionRunner runner = session.newRunner().pinOutputs(false)) {
            List<ValueInfo> inputs = session.inputs();
            for (int i = 0; i < inputs.size(); i++) {
                String in = inputs.get(i).name();
                TensorProto t = feeds.get(in);
                if (t == null) {
                    throw new ModelException(name + ": no value given for input '" + in + "' (given: " + feeds.keySet() + ")");
                }
                byte[] raw = Tensors.rawBytes(t, null);
                ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(raw.length, 1)).order(ByteOrder.LITTLE_ENDIAN);
                buf.put(raw).flip();
                inputMemory.add(buf);
                runner.setInput(i, buf, t.getDataType(), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
            }
            try {
                runner.run(null);
                List<ValueInfo> outputs = session.outputs();
                for (int j = 0; j < outputs.size(); j++) {
                    ValueInfo o = outputs.get(j);
                    if (!o.isTensor() || ElementType.fromOnnxOrNull(o.elementType()) == null
                            || !ElementType.fromOnnx(o.elementType()).isFixedWidth()) {
                        continue;
                    }
                    try (TensorValue v = runner.takeOutput(j)) {
                        ByteBuffer data = v.data().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
                        visit.visit(o.name(), ElementType.fromOnnx(v.elementType()), v.shape(), data);
                    }
                }
            } finally {
                runner.clear();
            }
        } catch (NativeCallException e) {
            throw new ModelException("ONNX Runtime (CPU) cannot evaluate " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code model} once and returns every dense output as a tensor ({@code raw_data}), by name.
     *
     * @throws ModelException as {@link #run(OnnxModel, Map, OutputVisitor)}
     */
    public static Map<String, TensorProto> evaluate(OnnxModel model, Map<String, TensorProto> feeds) {
        Map<String, TensorProto> out = new LinkedHashMap<>();
        run(model, feeds, (n, type, shape, data) -> {
            byte[] raw = new byte[data.remaining()];
            data.get(raw);
            out.put(n, Tensors.raw(n, type, shape, raw));
        });
        return out;
    }

    /** A zero-filled tensor of {@code type} and {@code shape}, e.g. to feed a discovery run. */
    public static TensorProto zeros(String name, ElementType type, long[] shape) {
        Objects.requireNonNull(type, "type");
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return Tensors.raw(name, type, shape, new byte[Math.toIntExact(type.byteSize(n))]);
    }

    /** The model with every external tensor read into {@code raw_data}, so ONNX Runtime can load it from bytes. */
    private static ModelProto selfContained(OnnxModel model) {
        return ModelWalk.mapTensors(model.proto(), (t, site) -> Tensors.isExternal(t)
                ? Tensors.withRawData(t, model.tensorBytes(t)) : t);
    }
}

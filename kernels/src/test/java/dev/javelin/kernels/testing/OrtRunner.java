package dev.javelin.kernels.testing;

import dev.javelin.kernels.ScalarType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.onnxruntime.Env;
import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.RunOptions;
import org.bytedeco.onnxruntime.Session;
import org.bytedeco.onnxruntime.SessionOptions;
import org.bytedeco.onnxruntime.TensorTypeAndShapeInfo;
import org.bytedeco.onnxruntime.Value;
import org.bytedeco.onnxruntime.ValueVector;
import org.bytedeco.onnxruntime.global.onnxruntime;

/**
 * The oracle: runs a model on ONNX Runtime's CPU execution provider through the bytedeco C++ API and returns
 * its outputs. Test code only (the layering rule keeps vendor types out of production code outside bindings);
 * it shares nothing with the kernels it checks.
 */
public final class OrtRunner {
    private static Env env;

    private OrtRunner() {
    }

    private static synchronized Env env() {
        if (env == null) {
            env = new Env(onnxruntime.ORT_LOGGING_LEVEL_FATAL, "javelin-kernels-test");
        }
        return env;
    }

    /** Thrown when ONNX Runtime rejects the model or the inputs (its message kept). */
    public static final class OrtFailure extends RuntimeException {
        OrtFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Runs {@code model} on {@code inputs} (in graph-input order) and returns the named outputs. */
    @SuppressWarnings("try")
    public static synchronized Map<String, HostTensor> run(byte[] model, Map<String, HostTensor> inputs, List<String> outputs) {
        Env e = env();
        try (PointerScope scope = new PointerScope()) {
            SessionOptions so = new SessionOptions();
            so.SetIntraOpNumThreads(1);
            so.SetInterOpNumThreads(1);
            Session s;
            try {
                s = new Session(e, new BytePointer(model), model.length, so);
            } catch (RuntimeException x) {
                throw new OrtFailure("ONNX Runtime rejected the model: " + x.getMessage(), x);
            }
            MemoryInfo mem = MemoryInfo.CreateCpu(onnxruntime.OrtDeviceAllocator, onnxruntime.OrtMemTypeDefault);
            Value values = new Value(inputs.size());
            List<String> names = new ArrayList<>();
            int i = 0;
            for (Map.Entry<String, HostTensor> in : inputs.entrySet()) {
                HostTensor t = in.getValue();
                ByteBuffer data = t.data();
                Value v = Value.CreateTensor(mem.asOrtMemoryInfo(), new BytePointer(data), t.bytes(), t.shape(), t.shape().length,
                        t.type().onnxCode());
                values.getPointer(i++).put(v);
                names.add(in.getKey());
            }
            ValueVector outs;
            try {
                outs = s.Run(new RunOptions(), new PointerPointer<>(names.toArray(String[]::new)), values, names.size(),
                        new PointerPointer<>(outputs.toArray(String[]::new)), outputs.size());
            } catch (RuntimeException x) {
                throw new OrtFailure("ONNX Runtime failed: " + x.getMessage(), x);
            }
            Map<String, HostTensor> result = new LinkedHashMap<>();
            for (int j = 0; j < outputs.size(); j++) {
                Value o = outs.get(j);
                TensorTypeAndShapeInfo info = o.GetTensorTypeAndShapeInfo();
                long[] shape = new long[(int) info.GetDimensionsCount()];
                info.GetDimensions(shape, shape.length);
                ScalarType type = typeOf(info.GetElementType());
                HostTensor h = HostTensor.allocate(type, shape);
                long bytes = h.bytes();
                if (bytes > 0) {
                    Pointer raw = o.GetTensorRawData();
                    ByteBuffer src = new BytePointer(raw).capacity(bytes).asByteBuffer();
                    h.data().put(0, src, 0, (int) bytes);
                }
                result.put(outputs.get(j), h);
            }
            return result;
        }
    }

    private static ScalarType typeOf(int code) {
        for (ScalarType t : ScalarType.values()) {
            if (t.onnxCode() == code) {
                return t;
            }
        }
        throw new IllegalStateException("ONNX element type " + code + " is not used by the kernels' tests");
    }
}

package dev.javelin.builder.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.onnxruntime.ConstTensorTypeAndShapeInfo;
import org.bytedeco.onnxruntime.Env;
import org.bytedeco.onnxruntime.LongVector;
import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.OrtAllocator;
import org.bytedeco.onnxruntime.OrtStatus;
import org.bytedeco.onnxruntime.RunOptions;
import org.bytedeco.onnxruntime.Session;
import org.bytedeco.onnxruntime.SessionOptions;
import org.bytedeco.onnxruntime.TypeInfo;
import org.bytedeco.onnxruntime.Value;
import org.bytedeco.onnxruntime.ValueVector;
import org.bytedeco.onnxruntime.global.onnxruntime;

/**
 * Test-only oracle: what ONNX Runtime itself reads from a model file, through the bytedeco C++ API,
 * independent of Javelin's protobuf classes. Used to check {@code inspect}'s signature and the files
 * {@link OnnxModel#write} produces (external data included).
 *
 * <p>This is the one place in builder that touches org.bytedeco, and it is test code: the layering rule
 * (only bindings imports vendor types) is about production code, and the point here is an oracle that
 * shares no code with what it checks.
 */
final class OrtReference {
    /** One input or output as ONNX Runtime reports it; dims are Long sizes, String symbols, or null. */
    record Io(String name, int elementType, List<Object> shape) {
    }

    /** Inputs and outputs in model order. */
    record Signature(List<Io> inputs, List<Io> outputs) {
    }

    private static Env env;

    private OrtReference() {
    }

    /** One environment for the test JVM, created outside any PointerScope so no scope frees it. */
    private static synchronized Env env() {
        if (env == null) {
            env = new Env(onnxruntime.ORT_LOGGING_LEVEL_ERROR, "javelin-builder-test");
        }
        return env;
    }

    private static Session open(Path model) {
        SessionOptions options = new SessionOptions();
        options.SetIntraOpNumThreads(1);
        options.SetInterOpNumThreads(1);
        return new Session(env(), new BytePointer(model.toAbsolutePath().toString()), options);
    }

    /** Opens the model in ONNX Runtime (which reads any external data) and reads its signature. */
    @SuppressWarnings("try") // the scope frees every native object created inside it
    static Signature signature(Path model) {
        env();
        try (PointerScope scope = new PointerScope()) {
            Session s = open(model);
            List<Io> in = new ArrayList<>();
            // GetInputNameAllocated exists in both native lines' presets (ONNX Runtime 1.20 and 1.24);
            // GetInputNames() only in 1.24.
            OrtAllocator allocator = defaultAllocator();
            for (long i = 0; i < s.GetInputCount(); i++) {
                in.add(io(s.GetInputNameAllocated(i, allocator).getString(), s.GetInputTypeInfo(i)));
            }
            List<Io> out = new ArrayList<>();
            for (long i = 0; i < s.GetOutputCount(); i++) {
                out.add(io(s.GetOutputNameAllocated(i, allocator).getString(), s.GetOutputTypeInfo(i)));
            }
            return new Signature(in, out);
        }
    }

    /** ONNX Runtime's process-wide default allocator (owned by ONNX Runtime, never freed). */
    private static OrtAllocator defaultAllocator() {
        PointerPointer<OrtAllocator> out = new PointerPointer<>(1);
        OrtStatus status = onnxruntime.OrtGetApiBase().GetApi().call(onnxruntime.ORT_API_VERSION)
                .GetAllocatorWithDefaultOptions(out);
        if (status != null && !status.isNull()) {
            throw new IllegalStateException("GetAllocatorWithDefaultOptions failed");
        }
        return new OrtAllocator(out.get(0));
    }

    private static Io io(String name, TypeInfo type) {
        ConstTensorTypeAndShapeInfo info = type.GetTensorTypeAndShapeInfo();
        int rank = (int) info.GetDimensionsCount();
        long[] dims = new long[rank];
        LongVector shape0 = info.GetShape();
        for (int d = 0; d < rank; d++) {
            dims[d] = shape0.get(d);
        }
        PointerPointer<BytePointer> symbols = new PointerPointer<>(Math.max(rank, 1));
        info.GetSymbolicDimensions(symbols, rank);
        List<Object> shape = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            BytePointer sym = symbols.get(BytePointer.class, d);
            String symbol = sym == null || sym.isNull() ? "" : sym.getString();
            if (dims[d] >= 0) {
                shape.add(dims[d]);
            } else {
                shape.add(symbol.isEmpty() ? null : symbol);
            }
        }
        return new Io(name, info.GetElementType(), shape);
    }

    /** Runs a model with one float input and returns one float output. */
    @SuppressWarnings("try")
    static float[] runFloat(Path model, String input, float[] data, long[] shape, String output) {
        env();
        try (PointerScope scope = new PointerScope()) {
            Session s = open(model);
            MemoryInfo mem = MemoryInfo.CreateCpu(onnxruntime.OrtDeviceAllocator, onnxruntime.OrtMemTypeDefault);
            FloatPointer buf = new FloatPointer(data);
            Value in = Value.CreateTensorFloat(mem.asOrtMemoryInfo(), buf, data.length, new LongPointer(shape), shape.length);
            ValueVector outs = s.Run(new RunOptions(), new PointerPointer<>(input), in, 1, new PointerPointer<>(output), 1);
            Value out = outs.get(0);
            long n = out.GetTensorTypeAndShapeInfo().GetElementCount();
            float[] result = new float[(int) n];
            out.GetTensorMutableDataFloat().capacity(n).get(result);
            return result;
        }
    }
}

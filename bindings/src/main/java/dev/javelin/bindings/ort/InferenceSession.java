package dev.javelin.bindings.ort;

import dev.javelin.bindings.core.NativeHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.onnxruntime.OrtAllocator;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtSession;
import org.bytedeco.onnxruntime.OrtTensorTypeAndShapeInfo;
import org.bytedeco.onnxruntime.OrtTypeInfo;

/**
 * Owner of an {@code OrtSession}: a model loaded by ONNX Runtime, with its input/output metadata read
 * once at creation. ONNX Runtime allows concurrent {@code Run} calls on one session; run through one
 * {@link SessionRunner} per concurrent caller, or through {@link IoBinding}s.
 *
 * <p>Closing releases the session; the owner must make sure no run is in flight (the runtime's
 * {@code Session} counts runs in flight and closes only when there are none).
 */
public final class InferenceSession extends NativeHandle {
    private final OrtApi api;
    private final OrtSession session;
    private final boolean trimArenaAfterFirstRun;
    private final List<ValueInfo> inputs;
    private final List<ValueInfo> outputs;
    // Native arrays of the names, built once and read (never written) by concurrent Run calls.
    final PointerPointer<BytePointer> inputNames;
    final PointerPointer<BytePointer> outputNames;

    private InferenceSession(String description, OrtApi api, OrtSession session, boolean trimArenaAfterFirstRun) {
        super(description);
        this.api = api;
        this.session = session;
        this.trimArenaAfterFirstRun = trimArenaAfterFirstRun;
        try {
            this.inputs = readInfo(true);
            this.outputs = readInfo(false);
        } catch (RuntimeException e) {
            api.ReleaseSession(session);
            throw e;
        }
        this.inputNames = new PointerPointer<>(inputs.stream().map(ValueInfo::name).toArray(String[]::new));
        this.outputNames = new PointerPointer<>(outputs.stream().map(ValueInfo::name).toArray(String[]::new));
    }

    /**
     * Loads a model file; the caller owns the result.
     *
     * @throws OrtException naming the file, with ONNX Runtime's code (e.g. {@code ORT_NO_SUCHFILE},
     *                      {@code ORT_INVALID_PROTOBUF}, {@code ORT_INVALID_GRAPH}) and message
     */
    public static InferenceSession open(Path model, SessionConfig config) {
        OrtApi api = Ort.api();
        OrtEnvironment env = OrtEnvironment.get();
        String call = "CreateSession(" + model + ")";
        OrtSession s = new OrtSession();
        try (BytePointer path = new BytePointer(model.toString())) {
            // CreateSession: the session is owned by the result and released in release().
            Ort.check(api.CreateSession(env.handle(), path, config.handle(), s), call);
        } catch (RuntimeException e) {
            throw Ort.wrap(call, e);
        }
        return new InferenceSession("ORT session " + model.getFileName(), api, s, config.trimsArenaAfterFirstRun());
    }

    /**
     * Loads a model file whose pre-packed weights go into (or are taken from) {@code shared}, so that
     * several sessions of one model keep one copy of them; the caller owns the result and must close it
     * before {@code shared}.
     *
     * @throws OrtException as {@link #open(Path, SessionConfig)}
     */
    public static InferenceSession open(Path model, SessionConfig config, PrepackedWeights shared) {
        OrtApi api = Ort.api();
        OrtEnvironment env = OrtEnvironment.get();
        String call = "CreateSessionWithPrepackedWeightsContainer(" + model + ")";
        OrtSession s = new OrtSession();
        try (BytePointer path = new BytePointer(model.toString())) {
            // CreateSessionWithPrepackedWeightsContainer: the session is owned by the result; the container is borrowed.
            Ort.check(api.CreateSessionWithPrepackedWeightsContainer(env.handle(), path, config.handle(), shared.handle(), s),
                    call);
        } catch (RuntimeException e) {
            throw Ort.wrap(call, e);
        }
        return new InferenceSession("ORT session " + model.getFileName(), api, s, config.trimsArenaAfterFirstRun());
    }

    /** Loads a model from bytes (used for small probe models); the caller owns the result. */
    public static InferenceSession fromBytes(byte[] model, String name, SessionConfig config) {
        OrtApi api = Ort.api();
        OrtEnvironment env = OrtEnvironment.get();
        String call = "CreateSessionFromArray(" + name + ", " + model.length + " bytes)";
        OrtSession s = new OrtSession();
        try (BytePointer bytes = new BytePointer(model)) {
            // CreateSessionFromArray: ONNX Runtime copies what it needs; the session is owned by the result.
            Ort.check(api.CreateSessionFromArray(env.handle(), bytes, model.length, config.handle(), s), call);
        } catch (RuntimeException e) {
            throw Ort.wrap(call, e);
        }
        return new InferenceSession("ORT session " + name, api, s, config.trimsArenaAfterFirstRun());
    }

    private List<ValueInfo> readInfo(boolean input) {
        String kind = input ? "Input" : "Output";
        List<ValueInfo> out = new ArrayList<>();
        // GetAllocatorWithDefaultOptions: a process-wide allocator owned by ONNX Runtime; never released.
        OrtAllocator allocator = new OrtAllocator();
        Ort.check(api.GetAllocatorWithDefaultOptions(allocator), "GetAllocatorWithDefaultOptions");
        try (SizeTPointer count = new SizeTPointer(1L)) {
            Ort.check(input ? api.SessionGetInputCount(session, count) : api.SessionGetOutputCount(session, count),
                    "SessionGet" + kind + "Count");
            for (long i = 0; i < count.get(); i++) {
                // SessionGet{Input,Output}Name: allocated with the default allocator; freed here.
                BytePointer name = new BytePointer();
                Ort.check(input ? api.SessionGetInputName(session, i, allocator, name)
                        : api.SessionGetOutputName(session, i, allocator, name), "SessionGet" + kind + "Name(" + i + ")");
                String n;
                try {
                    n = name.getString();
                } finally {
                    Ort.check(api.AllocatorFree(allocator, name), "AllocatorFree");
                }
                out.add(readType(input, i, n));
            }
        }
        return List.copyOf(out);
    }

    private ValueInfo readType(boolean input, long index, String name) {
        String call = "SessionGet" + (input ? "Input" : "Output") + "TypeInfo(" + name + ")";
        // SessionGet{Input,Output}TypeInfo: owned here, released below; the tensor info cast from it is borrowed.
        OrtTypeInfo type = new OrtTypeInfo();
        Ort.check(input ? api.SessionGetInputTypeInfo(session, index, type)
                : api.SessionGetOutputTypeInfo(session, index, type), call);
        try {
            int[] onnxType = new int[1];
            Ort.check(api.GetOnnxTypeFromTypeInfo(type, onnxType), "GetOnnxTypeFromTypeInfo(" + name + ")");
            if (onnxType[0] != ValueInfo.TENSOR) {
                return new ValueInfo(name, onnxType[0], 0, new long[0], List.of());
            }
            OrtTensorTypeAndShapeInfo info = new OrtTensorTypeAndShapeInfo();
            Ort.check(api.CastTypeInfoToTensorInfo(type, info), "CastTypeInfoToTensorInfo(" + name + ")");
            int[] elem = new int[1];
            Ort.check(api.GetTensorElementType(info, elem), "GetTensorElementType(" + name + ")");
            long rank;
            try (SizeTPointer n = new SizeTPointer(1L)) {
                Ort.check(api.GetDimensionsCount(info, n), "GetDimensionsCount(" + name + ")");
                rank = n.get();
            }
            long[] dims = new long[(int) rank];
            List<String> params = new ArrayList<>();
            if (rank > 0) {
                Ort.check(api.GetDimensions(info, dims, rank), "GetDimensions(" + name + ")");
                // GetSymbolicDimensions: fills our array with strings owned by the type info.
                try (PointerPointer<BytePointer> sym = new PointerPointer<>(rank)) {
                    sym.fill(0); // entries ONNX Runtime leaves untouched read as ""
                    Ort.check(api.GetSymbolicDimensions(info, sym, rank), "GetSymbolicDimensions(" + name + ")");
                    for (int i = 0; i < rank; i++) {
                        BytePointer p = sym.get(BytePointer.class, i);
                        params.add(p == null || p.isNull() || dims[i] >= 0 ? "" : p.getString());
                    }
                }
            }
            return new ValueInfo(name, onnxType[0], elem[0], dims, params);
        } finally {
            api.ReleaseTypeInfo(type);
        }
    }

    /** Inputs in model order. */
    public List<ValueInfo> inputs() {
        return inputs;
    }

    /** Outputs in model order. */
    public List<ValueInfo> outputs() {
        return outputs;
    }

    /** A runner for {@code Run} calls by one thread at a time; the caller owns it. */
    public SessionRunner newRunner() {
        checkOpen();
        return new SessionRunner(this).trimArenaAfterFirstRun(trimArenaAfterFirstRun);
    }

    /**
     * Whether first runs of a new input shape should use {@link RunConfig#shrinkingCpuArena()} (arena and
     * memory pattern both on); runners do it themselves, other callers (bindings) may ask here.
     */
    public boolean trimsArenaAfterFirstRun() {
        return trimArenaAfterFirstRun;
    }

    /** A new IoBinding on this session; the caller owns it and must close it before the session. */
    public IoBinding newIoBinding() {
        checkOpen();
        return new IoBinding(this);
    }

    OrtApi api() {
        return api;
    }

    OrtSession handle() {
        checkOpen();
        return session;
    }

    @Override
    protected void release() {
        // ReleaseSession: frees the session created in open()/fromBytes().
        api.ReleaseSession(session);
        inputNames.close();
        outputNames.close();
    }
}

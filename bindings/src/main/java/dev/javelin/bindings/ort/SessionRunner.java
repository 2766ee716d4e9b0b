package dev.javelin.bindings.ort;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtMemoryInfo;
import org.bytedeco.onnxruntime.OrtRunOptions;
import org.bytedeco.onnxruntime.OrtStatus;
import org.bytedeco.onnxruntime.OrtValue;

/**
 * Calls {@code Run} on a session with every invariant prepared once: native arrays of input and
 * output names (shared, read-only), arrays for the input and output value pointers, and out-parameter
 * slots. A steady-state call creates one {@code OrtValue} per input over the caller's memory (no
 * copy), runs, and hands each ONNX Runtime-allocated output over as a {@link TensorValue}; it
 * allocates no JavaCPP native memory and registers no deallocators, so concurrent runners on one
 * session do not contend on JavaCPP's global deallocator list.
 *
 * <p>Input values are cached per slot: when a caller passes the same memory with the same type and
 * shape again (a reused input tensor), the value made last time is reused instead of being created and
 * released again. That is always correct, because such a value only records address, type and shape
 * and owns nothing; a cached value is used only when the caller passes that same live memory again.
 *
 * <p>One thread at a time; pool runners to serve many threads. Use:
 * {@code setInput} for every input, {@code run}, {@code takeOutput} for each output you want, then
 * {@code clear} (always, also after a failure).
 */
public final class SessionRunner implements AutoCloseable {
    private final InferenceSession session;
    private final OrtApi api;
    private final OrtMemoryInfo cpu;
    private final int inputCount;
    private final int outputCount;
    private final PointerPointer<OrtValue> inputValues;
    private final LongPointer inputSlots;
    private final PointerPointer<OrtValue> outputValues;
    private final LongPointer outputSlots;
    private final long[] inputAddr;
    private final long[] outputAddr;
    // What each cached input value describes: data address, byte length, element type, shape.
    private final long[] cachedData;
    private final long[] cachedLength;
    private final int[] cachedType;
    private final long[][] cachedShape;
    // The caller's buffers native code reads during run(): held until clear().
    private final Object[] keepAlive;
    private final Scratch scratch = new Scratch();
    private final Scratch.ValueRef outSlot = new Scratch.ValueRef();
    private boolean closed;

    SessionRunner(InferenceSession session) {
        this.session = session;
        this.api = session.api();
        this.cpu = Ort.cpuMemoryInfo();
        this.inputCount = session.inputs().size();
        this.outputCount = session.outputs().size();
        this.inputValues = new PointerPointer<>(Math.max(1, inputCount));
        this.inputValues.fill(0);
        this.inputSlots = new LongPointer(inputValues);
        this.outputValues = new PointerPointer<>(Math.max(1, outputCount));
        this.outputValues.fill(0);
        this.outputSlots = new LongPointer(outputValues);
        this.inputAddr = new long[inputCount];
        this.outputAddr = new long[outputCount];
        this.keepAlive = new Object[inputCount];
        this.cachedData = new long[inputCount];
        this.cachedLength = new long[inputCount];
        this.cachedType = new int[inputCount];
        this.cachedShape = new long[inputCount][];
    }

    /**
     * Sets input {@code index} (model order) to a tensor over {@code data} from its position to its
     * limit, without copying. The buffer must stay valid and unchanged until {@link #clear()}.
     *
     * @throws OrtException if ONNX Runtime rejects the tensor (e.g. size does not match shape and type)
     */
    public void setInput(int index, ByteBuffer data, int elementType, long[] shape) {
        if (closed) {
            throw new IllegalStateException("session runner is closed");
        }
        long len = data.remaining();
        long addr = Scratch.Bytes.addressOf(data) + data.position();
        keepAlive[index] = data;
        if (inputAddr[index] != 0) {
            if (cachedData[index] == addr && cachedLength[index] == len && cachedType[index] == elementType
                    && Arrays.equals(cachedShape[index], shape)) {
                return;
            }
            releaseInput(index);
        }
        OrtStatus s;
        try {
            // CreateTensorWithDataAsOrtValue: the value is owned by this runner until clear(); the data stays the caller's.
            s = api.CreateTensorWithDataAsOrtValue(cpu, scratch.bytes.at(addr, len), len, shape, shape.length,
                    elementType, outSlot.at(0));
        } catch (RuntimeException e) {
            throw Ort.wrap("CreateTensorWithDataAsOrtValue(" + session.inputs().get(index).name() + ")", e);
        }
        if (s != null && !s.isNull()) {
            throw Ort.toException(s, "CreateTensorWithDataAsOrtValue(" + session.inputs().get(index).name() + ", "
                    + Ort.elementTypeName(elementType) + Arrays.toString(shape) + ", " + len + " bytes)");
        }
        long v = outSlot.address();
        inputAddr[index] = v;
        inputSlots.put(index, v);
        cachedData[index] = addr;
        cachedLength[index] = len;
        cachedType[index] = elementType;
        cachedShape[index] = shape.clone();
    }

    /**
     * Runs the session on the inputs set; ONNX Runtime allocates every output.
     *
     * @param options run options, or {@code null} for defaults
     * @throws OrtException with ONNX Runtime's code and message if the run fails
     */
    public void run(RunConfig options) {
        if (closed) {
            throw new IllegalStateException("session runner is closed");
        }
        for (int i = 0; i < inputCount; i++) {
            if (keepAlive[i] == null || inputAddr[i] == 0) {
                throw new IllegalStateException("input " + session.inputs().get(i).name() + " was not set");
            }
        }
        releaseOutputs();
        OrtRunOptions ro = options == null ? null : options.handle();
        OrtStatus s;
        try {
            // Run: outputs are allocated by ONNX Runtime and owned by this runner until taken or cleared.
            s = api.Run(session.handle(), ro, session.inputNames, inputValues, inputCount, session.outputNames,
                    outputCount, outputValues);
        } catch (RuntimeException e) {
            throw Ort.wrap("Run(" + session.description() + ")", e);
        }
        if (s != null && !s.isNull()) {
            throw Ort.toException(s, "Run(" + session.description() + ")");
        }
        for (int j = 0; j < outputCount; j++) {
            outputAddr[j] = outputSlots.get(j);
        }
    }

    /**
     * Hands output {@code index} (model order) of the last run to the caller, who owns the result.
     *
     * @throws IllegalStateException if there is no such output (not run, or already taken)
     */
    public TensorValue takeOutput(int index) {
        long v = outputAddr[index];
        if (v == 0) {
            throw new IllegalStateException("output " + session.outputs().get(index).name() + " was not produced or already taken");
        }
        outputAddr[index] = 0;
        outputSlots.put(index, 0L);
        return TensorValue.adopt(api, v, scratch, session.outputs().get(index).name());
    }

    /**
     * Releases every output not taken and drops the references to the caller's buffers. Input values
     * stay cached (they own nothing) until {@link #close()} or until another input replaces them.
     */
    public void clear() {
        Arrays.fill(keepAlive, null);
        releaseOutputs();
    }

    private void releaseInput(int i) {
        // ReleaseValue: the input value created in setInput(); the caller's memory is untouched.
        api.ReleaseValue(scratch.value.at(inputAddr[i]));
        inputAddr[i] = 0;
        inputSlots.put(i, 0L);
        cachedShape[i] = null;
    }

    private void releaseOutputs() {
        for (int j = 0; j < outputCount; j++) {
            if (outputAddr[j] != 0) {
                // ReleaseValue: an output ONNX Runtime allocated that nobody took.
                api.ReleaseValue(scratch.value.at(outputAddr[j]));
                outputAddr[j] = 0;
                outputSlots.put(j, 0L);
            }
        }
    }

    /** Clears and frees the runner's native slots. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        clear();
        for (int i = 0; i < inputCount; i++) {
            if (inputAddr[i] != 0) {
                releaseInput(i);
            }
        }
        closed = true;
        inputValues.close();
        outputValues.close();
        scratch.close();
    }
}

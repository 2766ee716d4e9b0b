package dev.javelin.bindings.ort;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.onnxruntime.OrtAllocator;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtMemoryInfo;
import org.bytedeco.onnxruntime.OrtRunOptions;
import org.bytedeco.onnxruntime.OrtStatus;
import org.bytedeco.onnxruntime.OrtValue;

/**
 * Calls {@code Run} on a session with every invariant prepared once: native arrays of input and
 * output names (shared, read-only), arrays for the input and output value pointers, and out-parameter
 * slots. A steady-state call passes the caller's input memory to ONNX Runtime without a copy and hands
 * each output over as a {@link TensorValue}; it allocates no JavaCPP native memory and registers no
 * deallocators, so concurrent runners on one session do not contend on JavaCPP's global deallocator list.
 *
 * <p>Three caches make repeated calls cheap:
 * <ul>
 *   <li>Input values: when a caller passes the same memory with the same type and shape again (a
 *       reused input tensor), the value made last time is reused instead of being created and released
 *       again. Always correct: such a value records only address, type and shape and owns nothing.</li>
 *   <li>Pinned outputs: once a run has shown the output shapes for the current input shapes, the next
 *       run with the same input shapes gets its outputs preallocated from ONNX Runtime's default
 *       (non-arena) allocator and passed to {@code Run}, so the session's arena allocator, whose mutex
 *       concurrent runs would otherwise contend on, is not touched for outputs. If a run with pinned
 *       outputs fails (an output whose shape depends on the data, e.g. NonZero), it is rerun without
 *       them and pinning is switched off for this runner.</li>
 *   <li>Recycled outputs: an output handed to a caller comes back to this runner when the caller closes
 *       it (from any thread), and is pinned again as that output of a later run with the same shape. A
 *       steady-state call then creates, describes and releases no value: its only native call is
 *       {@code Run} (the official Java API gets the same by letting callers pin output tensors by hand).
 *       Each output keeps up to {@link #RESIDENTS} such values, so a caller that holds one result while
 *       running the next also reuses values.</li>
 * </ul>
 *
 * <p>No object reference is stored into the runner per call: recycled values are described once and then
 * only flagged home or out with an int, and {@link #setBorrowedInput} lets a caller that keeps its buffers
 * reachable skip the reference the runner would keep. Why: under the card-marking collectors (Parallel,
 * Serial) every reference store also writes the card-table byte of the object stored into, and runners
 * (and pools) of concurrent callers sit close together in the old generation, so their card bytes share
 * cache lines and two callers' stores ping-pong those lines between cores: with five such stores per call,
 * two callers on the Add model reached 1.70x one caller's calls/s under {@code -XX:+UseParallelGC}, against
 * 1.84-1.88x with {@code -XX:+UseCondCardMark}, which checks the byte before writing it.
 *
 * <p>The native arrays of value pointers are read and written through direct byte buffers over the
 * same memory (plain memory accesses, where JavaCPP's {@code LongPointer.get/put} are JNI calls).
 *
 * <p>One thread at a time; pool runners to serve many threads. Use: {@code setInput} for every input,
 * {@code run}, {@code takeOutput} for each output you want, then {@code clear} (always, also after a failure).
 */
public final class SessionRunner implements AutoCloseable {
    private final InferenceSession session;
    private final OrtApi api;
    private final OrtMemoryInfo cpu;
    private final OrtAllocator defaultAllocator;
    private final int inputCount;
    private final int outputCount;
    private final PointerPointer<OrtValue> inputValues;
    private final ByteBuffer inputSlots;
    private final PointerPointer<OrtValue> outputValues;
    private final ByteBuffer outputSlots;
    private final String[] outputDescriptions;
    /** Longs (or pointer slots) kept free on either side of state written per call: 128 bytes, two cache lines. */
    private static final int PAD = 16;
    private static final int PAD_INTS = 2 * PAD;
    /** Recycled values kept per output (see the class comment). */
    static final int RESIDENTS = 2;
    private static final int EMPTY = 0;
    private static final int HOME = 1;
    private static final int OUT = 2;
    /**
     * Output values this runner reuses, {@link #RESIDENTS} entries per output (entry {@code j * RESIDENTS + k}):
     * the native value, its element type and shape, and the buffer over its data (made when the value is
     * first handed out). The fields of an entry are written only while it is EMPTY, by this runner's thread,
     * before the state leaves EMPTY; they are stable while the entry is HOME (idle here) or OUT (pinned in a
     * run, or held by a caller, who hands it back with {@link #recycle}).
     */
    private final AtomicIntegerArray residentState; // entry e at PAD_INTS + e
    private final long[] residentValue;
    private final int[] residentType;
    private final long[][] residentShape;
    private final ByteBuffer[] residentData;
    /**
     * Outputs that are also graph inputs. ONNX Runtime answers such a fetch with the feed itself and leaves a
     * pre-allocated value for it unwritten, so pinning one would hand back stale memory from the second run on;
     * these outputs are always left for ONNX Runtime to fill in.
     */
    private final boolean[] passthrough;
    private final long[] inputAddr;
    // What each cached input value describes: data address, byte length, element type, shape.
    private final long[] cachedData;
    private final long[] cachedLength;
    private final int[] cachedType;
    private final long[][] cachedShape;
    // The caller's buffers native code reads during run(), held until clear() (unless the caller holds
    // them, see setBorrowedInput), and which inputs were set since the last clear().
    private final Object[] keepAlive;
    /**
     * The state every call writes, in one array with {@link #PAD} longs (128 bytes) free on either side:
     * whether each input was set since the last clear (1/0), each output's value from the last run, and the
     * resident entry pinned as each output (or -1). Two runners of concurrent callers are objects of the same
     * age and size and may sit side by side in the heap; kept in separate small arrays, one runner's per-call
     * stores shared cache lines with the other's.
     */
    private final long[] hot;
    private final int outAt;
    private final int pinAt;
    private boolean keptInputs;
    // Output shapes and types seen for the current input shapes (null until a run showed them).
    private long[][] learnedShapes;
    private int[] learnedTypes;
    private boolean inputShapesChanged = true;
    private boolean pinning = true;
    private boolean trimAfterFirstRun;
    private static final int MAX_SHAPES_TRACKED = 256;
    // Hashes of the input shapes this runner has run (a collision only skips one shrink).
    private final Set<Long> seenShapes = new HashSet<>();
    private final Scratch scratch = new Scratch();
    private final Scratch.ValueRef outSlot = new Scratch.ValueRef();
    private volatile boolean closed;

    SessionRunner(InferenceSession session) {
        this.session = session;
        this.api = session.api();
        this.cpu = Ort.cpuMemoryInfo();
        this.inputCount = session.inputs().size();
        this.outputCount = session.outputs().size();
        // GetAllocatorWithDefaultOptions: process-wide, owned by ONNX Runtime; never released.
        OrtAllocator a = new OrtAllocator();
        Ort.check(api.GetAllocatorWithDefaultOptions(a), "GetAllocatorWithDefaultOptions");
        this.defaultAllocator = a;
        // The value pointer arrays ONNX Runtime reads and writes on every run, padded like `hot` (malloc puts them
        // next to whatever the creating thread allocated before and after); passed from position PAD.
        this.inputValues = new PointerPointer<>(inputCount + 2L * PAD);
        this.inputValues.fill(0);
        this.inputValues.position(PAD);
        this.inputSlots = slotView(inputValues, inputCount);
        this.outputValues = new PointerPointer<>(outputCount + 2L * PAD);
        this.outputValues.fill(0);
        this.outputValues.position(PAD);
        this.outputSlots = slotView(outputValues, outputCount);
        this.outputDescriptions = session.outputs().stream().map(o -> "ORT output " + o.name()).toArray(String[]::new);
        int entries = outputCount * RESIDENTS;
        this.residentState = new AtomicIntegerArray(entries + 2 * PAD_INTS);
        this.residentValue = new long[entries];
        this.residentType = new int[entries];
        this.residentShape = new long[entries][];
        this.residentData = new ByteBuffer[entries];
        this.outAt = PAD + inputCount;
        this.pinAt = outAt + outputCount;
        this.hot = new long[pinAt + outputCount + PAD];
        Arrays.fill(hot, pinAt, pinAt + outputCount, -1);
        this.passthrough = new boolean[outputCount];
        java.util.Set<String> inputNames = new java.util.HashSet<>();
        session.inputs().forEach(in -> inputNames.add(in.name()));
        for (int j = 0; j < outputCount; j++) {
            passthrough[j] = inputNames.contains(session.outputs().get(j).name());
        }
        this.inputAddr = new long[inputCount];
        this.keepAlive = new Object[inputCount];
        this.cachedData = new long[inputCount];
        this.cachedLength = new long[inputCount];
        this.cachedType = new int[inputCount];
        this.cachedShape = new long[inputCount][];
    }

    /** A native-order buffer over {@code n} pointer slots of {@code array} from its position (the array keeps owning the memory). */
    private static ByteBuffer slotView(PointerPointer<?> array, int n) {
        return new Scratch.Bytes().at(array.address() + 8L * array.position(), 8L * Math.max(1, n)).asByteBuffer()
                .order(ByteOrder.nativeOrder());
    }

    /**
     * Whether the first run with new input shapes (when no options are given) releases the CPU arena's
     * free regions at its end ({@link RunConfig#shrinkingCpuArena()}); for sessions with ONNX Runtime's
     * memory pattern on. Off by default.
     */
    public SessionRunner trimArenaAfterFirstRun(boolean enabled) {
        this.trimAfterFirstRun = enabled;
        return this;
    }

    /** Turns output pinning on (default) or off. */
    public SessionRunner pinOutputs(boolean enabled) {
        this.pinning = enabled;
        return this;
    }

    /**
     * Sets input {@code index} (model order) to a tensor over {@code data} from its position to its
     * limit, without copying. The buffer must stay valid and unchanged until {@link #clear()}.
     *
     * @throws OrtException if ONNX Runtime rejects the tensor (e.g. size does not match shape and type)
     */
    public void setInput(int index, ByteBuffer data, int elementType, long[] shape) {
        setInput(index, data, elementType, shape, true);
    }

    /**
     * As {@link #setInput}, but the runner keeps no reference to {@code data}: the caller keeps it reachable
     * until {@link #clear()} (a local variable used after the run, or {@link java.lang.ref.Reference#reachabilityFence}),
     * or a garbage-collected buffer could be freed while native code reads it. Saves a reference store into
     * the runner per input per call (see the class comment).
     */
    public void setBorrowedInput(int index, ByteBuffer data, int elementType, long[] shape) {
        setInput(index, data, elementType, shape, false);
    }

    private void setInput(int index, ByteBuffer data, int elementType, long[] shape, boolean keep) {
        if (closed) {
            throw new IllegalStateException("session runner is closed");
        }
        long len = data.remaining();
        long addr = Scratch.Bytes.addressOf(data) + data.position();
        if (keep) {
            keepAlive[index] = data;
            keptInputs = true;
        }
        hot[PAD + index] = 1;
        long[] previous = cachedShape[index];
        if (previous == null || !Arrays.equals(previous, shape)) {
            inputShapesChanged = true;
        }
        if (inputAddr[index] != 0) {
            if (cachedData[index] == addr && cachedLength[index] == len && cachedType[index] == elementType
                    && Arrays.equals(previous, shape)) {
                return;
            }
            releaseInput(index);
        }
        OrtStatus s;
        try {
            // CreateTensorWithDataAsOrtValue: the value is owned by this runner (cached); the data stays the caller's.
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
        inputSlots.putLong(8 * index, v);
        cachedData[index] = addr;
        cachedLength[index] = len;
        cachedType[index] = elementType;
        cachedShape[index] = shape.clone();
    }

    /**
     * Runs the session on the inputs set.
     *
     * @param options run options, or {@code null} for defaults
     * @throws OrtException with ONNX Runtime's code and message if the run fails
     */
    public void run(RunConfig options) {
        if (closed) {
            throw new IllegalStateException("session runner is closed");
        }
        for (int i = 0; i < inputCount; i++) {
            if (hot[PAD + i] == 0 || inputAddr[i] == 0) {
                throw new IllegalStateException("input " + session.inputs().get(i).name() + " was not set");
            }
        }
        releaseOutputs();
        if (inputShapesChanged) {
            learnedShapes = null;
        }
        if (options == null && inputShapesChanged && trimAfterFirstRun && firstRunOfTheseShapes()) {
            options = RunConfig.shrinkingCpuArena();
        }
        OrtRunOptions ro = options == null ? null : options.handle();
        boolean pinned = pinning && learnedShapes != null && pinOutputs();
        OrtStatus s;
        if (pinned) {
            // A pinned run may fail on expected grounds (an output shape that depends on the data): keep ONNX Runtime's error log quiet.
            boolean before = OrtEnvironment.setQuiet(true);
            try {
                s = callRun(ro);
            } finally {
                OrtEnvironment.setQuiet(before);
            }
        } else {
            s = callRun(ro);
        }
        if (s != null && !s.isNull() && pinned) {
            // Maybe an output's shape depends on the data: retry with ONNX Runtime allocating outputs.
            api.ReleaseStatus(s);
            releaseOutputs();
            s = callRun(ro);
            if (s == null || s.isNull()) {
                stopPinning();
            }
        }
        if (s != null && !s.isNull()) {
            throw Ort.toException(s, "Run(" + session.description() + ")");
        }
        for (int j = 0; j < outputCount; j++) {
            hot[outAt + j] = outputSlots.getLong(8 * j);
        }
        if (inputShapesChanged) {
            inputShapesChanged = false; // written only on change: this object is as close to other runners as `hot` is
        }
        if (pinning && !pinned) {
            learnOutputShapes();
        }
    }

    /**
     * Whether no earlier run of this runner had the current input shapes. Only the first run of a shape
     * shrinks the arena: shapes that alternate (dynamic batches of 7, 8, 7 ...) would otherwise release and
     * regrow arena regions on every run. After {@link #MAX_SHAPES_TRACKED} distinct shapes nothing is
     * recorded or shrunk any more.
     */
    private boolean firstRunOfTheseShapes() {
        if (seenShapes.size() >= MAX_SHAPES_TRACKED) {
            return false;
        }
        long h = 1;
        for (long[] dims : cachedShape) {
            h = 31 * h + Arrays.hashCode(dims);
        }
        return seenShapes.add(h);
    }

    private OrtStatus callRun(OrtRunOptions ro) {
        try {
            // Run: outputs are the pinned values (if set) or allocated by ONNX Runtime; this runner owns them until taken.
            return api.Run(session.handle(), ro, session.inputNames, inputValues, inputCount, session.outputNames,
                    outputCount, outputValues);
        } catch (RuntimeException e) {
            throw Ort.wrap("Run(" + session.description() + ")", e);
        }
    }

    /**
     * Pins every output: a recycled value of the learned type and shape if one is home, else a new one from
     * the default allocator (kept as a resident if an entry is free). Returns false (nothing set) if
     * allocating fails.
     */
    private boolean pinOutputs() {
        // Every output slot is clear here: run() released the last run's outputs before pinning.
        for (int j = 0; j < outputCount; j++) {
            if (passthrough[j]) {
                continue;
            }
            int pinned = -1;
            int free = -1;
            for (int e = j * RESIDENTS; e < (j + 1) * RESIDENTS; e++) {
                int state = residentState.get(PAD_INTS + e);
                if (state == HOME && residentState.compareAndSet(PAD_INTS + e, HOME, OUT)) {
                    if (residentType[e] == learnedTypes[j] && Arrays.equals(residentShape[e], learnedShapes[j])) {
                        pinned = e;
                        break;
                    }
                    retire(e); // an older shape
                    state = EMPTY;
                }
                if (state == EMPTY && free < 0) {
                    free = e;
                }
            }
            long v;
            if (pinned >= 0) {
                v = residentValue[pinned];
            } else {
                OrtStatus s;
                try {
                    // CreateTensorAsOrtValue: memory from ONNX Runtime's default allocator, owned by the value, which
                    // this runner owns until it is taken.
                    s = api.CreateTensorAsOrtValue(defaultAllocator, learnedShapes[j], learnedShapes[j].length,
                            learnedTypes[j], outSlot.at(0));
                } catch (RuntimeException e) {
                    s = null;
                    outSlot.at(0);
                }
                v = outSlot.address();
                if ((s != null && !s.isNull()) || v == 0) {
                    if (s != null && !s.isNull()) {
                        api.ReleaseStatus(s);
                    }
                    releaseOutputs();
                    stopPinning();
                    return false;
                }
                if (free >= 0) {
                    // A new resident: its fields are written while the entry is EMPTY, then published by the state.
                    residentValue[free] = v;
                    residentType[free] = learnedTypes[j];
                    residentShape[free] = learnedShapes[j];
                    residentData[free] = null;
                    residentState.set(PAD_INTS + free, OUT);
                    pinned = free;
                }
            }
            hot[outAt + j] = v;
            hot[pinAt + j] = pinned;
            outputSlots.putLong(8 * j, v);
        }
        return true;
    }

    /** Releases the value of entry {@code e}, which this thread has just taken from HOME to OUT, and frees the entry. */
    private void retire(int e) {
        releaseValue(residentValue[e]);
        residentValue[e] = 0;
        residentShape[e] = null;
        residentData[e] = null;
        residentState.set(PAD_INTS + e, EMPTY);
    }

    /** Turns pinning off for good and releases the values waiting at home; values out are released by their holders. */
    private void stopPinning() {
        pinning = false;
        for (int e = 0; e < outputCount * RESIDENTS; e++) {
            if (residentState.compareAndSet(PAD_INTS + e, HOME, OUT)) {
                retire(e);
            }
        }
    }

    /**
     * Called by a {@link TensorValue} this runner handed out as entry {@code entry}, when its owner closes it
     * (any thread): the value goes home to be pinned again by a later run instead of being released. Returns
     * false if the runner does not take it back (closed, or pinning stopped); the caller then releases it.
     */
    boolean recycle(int entry, TensorValue spent) {
        if (closed || !pinning || residentValue[entry] != spent.rawValue()
                || !residentState.compareAndSet(PAD_INTS + entry, OUT, HOME)) {
            return false;
        }
        if (closed || !pinning) {
            // close() or stopPinning() may have swept the entries before this value came home: whoever takes
            // it from HOME releases it.
            if (residentState.compareAndSet(PAD_INTS + entry, HOME, OUT)) {
                retire(entry);
            }
        }
        return true;
    }

    private void learnOutputShapes() {
        long[][] shapes = new long[outputCount][];
        int[] types = new int[outputCount];
        for (int j = 0; j < outputCount; j++) {
            Scratch.Meta m = scratch.describe(api, hot[outAt + j], session.outputs().get(j).name());
            if (Ort.elementSize(m.elementType()) <= 0) {
                stopPinning();
                return;
            }
            shapes[j] = m.shape();
            types[j] = m.elementType();
        }
        learnedShapes = shapes;
        learnedTypes = types;
    }

    /**
     * Hands output {@code index} (model order) of the last run to the caller, who owns the result.
     *
     * @throws IllegalStateException if there is no such output (not run, or already taken)
     */
    public TensorValue takeOutput(int index) {
        long v = hot[outAt + index];
        if (v == 0) {
            throw new IllegalStateException("output " + session.outputs().get(index).name() + " was not produced or already taken");
        }
        hot[outAt + index] = 0;
        outputSlots.putLong(8 * index, 0L);
        int e = (int) hot[pinAt + index];
        hot[pinAt + index] = -1;
        if (e < 0) {
            // ONNX Runtime's own output, or a pinned value no resident entry had room for: released on close.
            return TensorValue.adopt(api, v, scratch, session.outputs().get(index).name());
        }
        ByteBuffer data = residentData[e];
        TensorValue t;
        if (data == null) {
            t = TensorValue.adopt(api, v, scratch, session.outputs().get(index).name());
            residentData[e] = t.rawData(); // described once; later hand-outs of this value reuse the buffer
        } else {
            t = TensorValue.known(outputDescriptions[index], api, v, data, residentType[e], residentShape[e]);
        }
        return t.recycleTo(this, e);
    }

    /**
     * Releases every output not taken and drops the references to the caller's buffers. Input values
     * stay cached (they own nothing) until {@link #close()} or until another input replaces them.
     */
    public void clear() {
        if (keptInputs) {
            Arrays.fill(keepAlive, null);
            keptInputs = false;
        }
        Arrays.fill(hot, PAD, PAD + inputCount, 0);
        releaseOutputs();
    }

    private void releaseValue(long v) {
        // ReleaseValue: an output value this runner owns (a resident it no longer keeps).
        api.ReleaseValue(new Scratch.ValueRef().at(v));
    }

    private void releaseInput(int i) {
        // ReleaseValue: the input value created in setInput(); the caller's memory is untouched.
        api.ReleaseValue(scratch.value.at(inputAddr[i]));
        inputAddr[i] = 0;
        inputSlots.putLong(8 * i, 0L);
        cachedShape[i] = null;
    }

    private void releaseOutputs() {
        for (int j = 0; j < outputCount; j++) {
            long v = outputSlots.getLong(8 * j);
            int e = (int) hot[pinAt + j];
            if (e >= 0) {
                // A resident nobody took goes home (or is released if the runner stopped keeping values).
                hot[pinAt + j] = -1;
                residentState.set(PAD_INTS + e, HOME);
                if ((closed || !pinning) && residentState.compareAndSet(PAD_INTS + e, HOME, OUT)) {
                    retire(e);
                }
            } else if (v != 0) {
                // ReleaseValue: an output (pinned or allocated by ONNX Runtime) that nobody took.
                api.ReleaseValue(scratch.value.at(v));
            }
            if (v != 0) {
                outputSlots.putLong(8 * j, 0L);
            }
            hot[outAt + j] = 0;
        }
    }

    /** Clears and frees the runner's values and native slots. Idempotent. */
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
        for (int e = 0; e < outputCount * RESIDENTS; e++) {
            if (residentState.compareAndSet(PAD_INTS + e, HOME, OUT)) {
                retire(e);
            }
        }
        inputValues.close();
        outputValues.close();
        scratch.close();
    }
}

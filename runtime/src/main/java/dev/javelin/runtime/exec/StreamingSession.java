package dev.javelin.runtime.exec;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionClosedException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.spi.ModelSpecializer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream through a stateful model (a recurrent or streaming network): each {@link #step} feeds a frame,
 * runs, and carries the state outputs into the next step's state inputs. Open as many streams over one
 * {@link Session} as there are independent callers; each has its own state and lanes. Not thread-safe:
 * one stream serves one caller at a time.
 *
 * <pre>{@code
 * try (StreamingSession vad = StreamingSession.builder(session)
 *         .frame("input", Shape.of(1, 512))
 *         .constant("sr", srTensor)            // bound once
 *         .state("hn", "h").state("cn", "c")   // or .inferStates()
 *         .open()) {
 *     float p = vad.step(frame).get("output").toFloatArray()[0];
 * }
 * }</pre>
 *
 * <h2>State without copies</h2>
 * The stream keeps two state buffer sets and two lanes: lane A reads set 0 and writes set 1, lane B reads
 * set 1 and writes set 0, and steps alternate between them. State never moves: the output a step writes is
 * the memory the next step reads. Constants are written into both lanes once. When the backend's lanes cannot
 * bind caller memory, the stream falls back to one lane and a native-to-native copy of each state output
 * into its input after every step (never through the Java heap).
 *
 * <h2>State pairs</h2>
 * Declared with {@link Builder#state}, or inferred by {@link Builder#inferStates()}: an output pairs with the
 * one remaining input of the same dtype and shape whose name it extends with a state suffix ({@code hn -> h},
 * {@code stateN -> state}, {@code state_out -> state_in}, {@code present.0 -> past.0}, ...) or, failing
 * names, the only remaining input of that dtype and shape. {@link #report()} lists what was inferred and why.
 *
 * <h2>Specialization</h2>
 * A stream's constants and input shapes never change, so by default it runs on a copy of the model rewritten for
 * them when the builder module is on the class path (see {@link Builder#specialize}); {@link #report()} says
 * whether it does and why not otherwise.
 */
public final class StreamingSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingSession.class);
    /** Largest model file the stream specializes into a second session of its own (that session's memory). */
    static final long SPECIALIZE_MAX_MODEL_BYTES = 64L << 20;

    /** The session the caller opened; must stay open while the stream is used. */
    private final Session callerSession;
    /** The session the lanes run on: the caller's, or one on the specialized copy, owned by this stream. */
    private final Session session;
    private final Session ownSession;
    private final String frameInput;
    private final Map<String, String> pairs; // output -> input
    private final List<String> stateInputs;
    private final List<String> stateOutputs;
    private final Map<String, Tensor[]> buffers = new LinkedHashMap<>(); // input -> {set0, set1}
    private final Map<String, Tensor> initial;
    private final Lane laneA;
    private final Lane laneB;
    private final boolean pingPong;
    private final List<String> plainOutputs;
    private final Map<String, Tensor> stepOutputs = new LinkedHashMap<>();
    private final Map<String, Tensor> stepView = Collections.unmodifiableMap(stepOutputs);
    private final List<String> report;
    private long steps;
    private boolean closed;

    private StreamingSession(Builder b, Map<String, String> pairs, List<String> report, Map<String, Shape> allShapes,
                             Specialization spec) {
        this.callerSession = b.session;
        this.ownSession = spec.session;
        this.session = spec.session == null ? b.session : spec.session;
        // Constants folded into a specialized graph are no longer inputs: bind what the running graph has.
        Map<String, Shape> shapes = new LinkedHashMap<>();
        allShapes.forEach((name, shape) -> {
            if (session.signature().input(name).isPresent()) {
                shapes.put(name, shape);
            }
        });
        this.frameInput = b.frameInput;
        this.pairs = Collections.unmodifiableMap(pairs);
        this.stateOutputs = List.copyOf(pairs.keySet());
        this.stateInputs = List.copyOf(pairs.values());
        this.initial = b.initial;
        ModelSignature sig = session.signature();
        List<String> plain = new ArrayList<>();
        for (TensorInfo o : sig.outputs()) {
            if (!pairs.containsKey(o.name())) {
                plain.add(o.name());
            }
        }
        this.plainOutputs = plain;
        Lane a = null;
        Lane bLane = null;
        boolean pp;
        try {
            for (String in : stateInputs) {
                DType dt = sig.input(in).orElseThrow().dtype();
                buffers.put(in, new Tensor[] {Tensor.allocate(dt, shapes.get(in)), Tensor.allocate(dt, shapes.get(in))});
            }
            a = session.newLane(shapes);
            pp = true;
            try {
                bindState(a, 0);
            } catch (UnsupportedOperationException e) {
                pp = false;
            }
            if (pp) {
                bLane = session.newLaneBeside(a, shapes);
                bindState(bLane, 1);
            }
            for (Map.Entry<String, Tensor> c : b.constants.entrySet()) {
                if (!shapes.containsKey(c.getKey())) {
                    continue; // folded into the specialized graph
                }
                copy(c.getValue(), a.input(c.getKey()));
                if (bLane != null) {
                    copy(c.getValue(), bLane.input(c.getKey()));
                }
            }
        } catch (RuntimeException e) {
            if (a != null) {
                a.close();
            }
            if (bLane != null) {
                bLane.close();
            }
            buffers.values().forEach(t -> {
                t[0].close();
                t[1].close();
            });
            if (ownSession != null) {
                ownSession.close();
            }
            throw e;
        }
        this.laneA = a;
        this.laneB = bLane;
        this.pingPong = pp;
        List<String> full = new ArrayList<>(report);
        full.add(pp ? "state carried by ping-pong between two bound buffer sets (no copy)"
                : "state copied output -> input natively after each step (backend lanes cannot bind memory)");
        full.addAll(spec.report);
        this.report = List.copyOf(full);
        reset();
    }

    /** Lane {@code k} (0 = A, 1 = B) reads set k and writes set 1-k. */
    private void bindState(Lane lane, int k) {
        for (Map.Entry<String, String> p : pairs.entrySet()) {
            Tensor[] sets = buffers.get(p.getValue());
            lane.bind(p.getValue(), sets[k]);
            lane.bind(p.getKey(), sets[1 - k]);
        }
    }

    private static void copy(Tensor src, Tensor dst) {
        if (src.byteSize() != dst.byteSize()) {
            throw new InvalidInputException(null, "tensor " + src + " does not fit " + dst);
        }
        dst.unsafeBuffer().put(0, src.unsafeBuffer(), 0, Math.toIntExact(src.byteSize()));
    }

    /** Starts a stream description over {@code session}. */
    public static Builder builder(Session session) {
        return new Builder(session);
    }

    /** State pairs in use, output -> input. */
    public Map<String, String> statePairs() {
        return pairs;
    }

    /** How the state pairs were found (one line per pair) and how state is carried. */
    public List<String> report() {
        return report;
    }

    /** Whether state ping-pongs between two bound buffer sets (true) or is copied natively after each step. */
    public boolean pingPong() {
        return pingPong;
    }

    /** Steps run since the last {@link #reset()}. */
    public long steps() {
        return steps;
    }

    /**
     * Feeds one frame, runs, and carries the state. Returns the non-state outputs as views owned by the stream,
     * valid until the next step (copy what you keep).
     *
     * @throws InvalidInputException  if the frame's dtype or shape is not the declared frame's
     * @throws SessionClosedException if the stream is closed
     */
    public Map<String, Tensor> step(Tensor frame) {
        checkOpen();
        Lane lane = active();
        Tensor dst = lane.input(frameInput);
        if (frame.dtype() != dst.dtype() || !frame.shape().equals(dst.shape())) {
            throw new InvalidInputException(frameInput, "frame for '" + frameInput + "' must be " + dst.dtype()
                    + dst.shape() + ", was " + frame.dtype() + frame.shape());
        }
        dst.unsafeBuffer().put(0, frame.unsafeBuffer(), 0, Math.toIntExact(frame.byteSize()));
        lane.run();
        if (!pingPong) {
            for (Map.Entry<String, String> p : pairs.entrySet()) {
                copy(lane.output(p.getKey()), lane.input(p.getValue()));
            }
        }
        steps++;
        stepOutputs.clear();
        for (String o : plainOutputs) {
            stepOutputs.put(o, lane.output(o));
        }
        return stepView;
    }

    /** Like {@link #step(Tensor)} for a float32 frame given as an array (copied into the bound input). */
    public Map<String, Tensor> step(float[] frame) {
        checkOpen();
        Tensor dst = active().input(frameInput);
        if (dst.dtype() != DType.FLOAT32 || dst.elementCount() != frame.length) {
            throw new InvalidInputException(frameInput, "frame for '" + frameInput + "' must be " + dst.dtype()
                    + dst.shape() + ", was float32[" + frame.length + "]");
        }
        try (Tensor t = Tensor.wrap(dst.unsafeBuffer(), dst.dtype(), dst.shape())) {
            t.unsafeBuffer().asFloatBuffer().put(0, frame);
            return step(t);
        }
    }

    private Lane active() {
        return pingPong && (steps & 1) == 1 ? laneB : laneA;
    }

    /** The current value of state input {@code input} (what the next step reads); a view owned by the stream. */
    public Tensor state(String input) {
        checkOpen();
        if (!buffers.containsKey(input)) {
            throw new InvalidInputException(input, "'" + input + "' is not a state input; states are " + stateInputs);
        }
        return active().input(input);
    }

    /** Sets every state back to its initial value (given, or zeros) and the step count to 0. */
    public void reset() {
        checkOpen();
        steps = 0;
        for (String in : stateInputs) {
            Tensor init = initial.get(in);
            Tensor dst = laneA.input(in);
            if (init != null) {
                copy(init, dst);
            } else {
                ByteBuffer bb = dst.unsafeBuffer();
                for (int i = 0; i < bb.capacity(); i++) {
                    bb.put(i, (byte) 0);
                }
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new SessionClosedException("streaming session is closed");
        }
        if (callerSession.isClosed()) {
            throw new SessionClosedException("the session of this stream is closed");
        }
    }

    /**
     * Closes the lanes, the state buffers and the session on the specialized copy if the stream opened one; the
     * caller's session stays open. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (laneB != null) {
            laneB.close();
        }
        laneA.close();
        for (Tensor[] t : buffers.values()) {
            t[0].close();
            t[1].close();
        }
        if (ownSession != null) {
            ownSession.close();
        }
    }

    /**
     * The outcome of {@link Builder#specialize}: a session on the specialized copy of the model (null when the
     * stream runs on the caller's session) and the report lines saying which way it went and why.
     */
    private record Specialization(Session session, List<String> report) {
        static Specialization none(String why) {
            return new Specialization(null, List.of("not specialized: " + why));
        }
    }

    /** Describes a stream: the frame input, constants, state pairs and initial state. */
    public static final class Builder {
        private final Session session;
        private String frameInput;
        private Shape frameShape;
        private final Map<String, String> declared = new LinkedHashMap<>();
        private final Map<String, Tensor> constants = new LinkedHashMap<>();
        private final Map<String, Tensor> initial = new HashMap<>();
        private boolean infer;
        private boolean specialize = true;

        private Builder(Session session) {
            this.session = Objects.requireNonNull(session, "session");
        }

        /** The input fed on every step, with the shape of one frame. */
        public Builder frame(String input, Shape shape) {
            this.frameInput = input;
            this.frameShape = shape;
            return this;
        }

        /** An input that stays the same on every step; copied in once (the tensor may be closed after open()). */
        public Builder constant(String input, Tensor value) {
            constants.put(input, value);
            return this;
        }

        /** Declares that {@code output} of one step is {@code input} of the next. */
        public Builder state(String output, String input) {
            declared.put(output, input);
            return this;
        }

        /** Initial value of a state input (default zeros); copied at open() and on every reset(). */
        public Builder initialState(String input, Tensor value) {
            initial.put(input, value);
            return this;
        }

        /**
         * Whether {@link #open()} may run the stream on a copy of the model specialized for it (default on): the
         * constants (up to 64 numbers each, float32/int32/int64) become graph constants and every fed input gets
         * its fixed shape, so the {@code If}s and {@code Shape}s they decide fold away (Silero VAD: the sample rate's
         * {@code If} and four shape checks, about 16 % per frame). Needs the builder module on the class path (it
         * provides the rewrite as a {@link ModelSpecializer} service), a CPU session opened from an .onnx file of at
         * most 64 MiB (the copy gets a session of its own), and a rewrite that changes something; otherwise, or
         * if the rewrite fails, the stream runs on the caller's session. Outputs are the same; {@link #report()}
         * says which way it went.
         */
        public Builder specialize(boolean enabled) {
            this.specialize = enabled;
            return this;
        }

        /** Pairs the remaining inputs with outputs by name and shape (see the class comment). */
        public Builder inferStates() {
            this.infer = true;
            return this;
        }

        /**
         * Opens the stream.
         *
         * @throws InvalidInputException naming the tensor, if an input is left unexplained, a pair does not
         *                               match in dtype/shape, or a state shape cannot be resolved
         */
        public StreamingSession open() {
            ModelSignature sig = session.signature();
            if (frameInput == null) {
                throw new IllegalStateException("no frame input declared; call frame(name, shape)");
            }
            TensorInfo frameInfo = sig.input(frameInput).orElseThrow(() -> new InvalidInputException(frameInput,
                    "no input '" + frameInput + "'; inputs are " + sig.inputNames()));
            Map<String, Long> symbols = new HashMap<>();
            bindSymbols(frameInfo, frameShape, symbols);
            Map<String, Shape> shapes = new LinkedHashMap<>();
            shapes.put(frameInput, frameShape);
            for (Map.Entry<String, Tensor> c : constants.entrySet()) {
                TensorInfo info = sig.input(c.getKey()).orElseThrow(() -> new InvalidInputException(c.getKey(),
                        "constant '" + c.getKey() + "' is not an input; inputs are " + sig.inputNames()));
                shapes.put(c.getKey(), c.getValue().shape());
                bindSymbols(info, c.getValue().shape(), symbols);
            }
            for (Map.Entry<String, Tensor> i : initial.entrySet()) {
                TensorInfo info = sig.input(i.getKey()).orElseThrow(() -> new InvalidInputException(i.getKey(),
                        "initial state '" + i.getKey() + "' is not an input; inputs are " + sig.inputNames()));
                shapes.put(i.getKey(), i.getValue().shape());
                bindSymbols(info, i.getValue().shape(), symbols);
            }
            Map<String, String> pairs = new LinkedHashMap<>();
            List<String> report = new ArrayList<>();
            for (Map.Entry<String, String> d : declared.entrySet()) {
                TensorInfo out = sig.output(d.getKey()).orElseThrow(() -> new InvalidInputException(d.getKey(),
                        "state output '" + d.getKey() + "' is not an output; outputs are " + sig.outputNames()));
                TensorInfo in = sig.input(d.getValue()).orElseThrow(() -> new InvalidInputException(d.getValue(),
                        "state input '" + d.getValue() + "' is not an input; inputs are " + sig.inputNames()));
                if (out.dtype() != in.dtype() || out.rank() != in.rank()) {
                    throw new InvalidInputException(in.name(), "state pair " + out.name() + " -> " + in.name()
                            + " does not match: " + out + " vs " + in);
                }
                pairs.put(out.name(), in.name());
                report.add(out.name() + " -> " + in.name() + " (declared)");
            }
            List<TensorInfo> open = new ArrayList<>();
            for (TensorInfo in : sig.inputs()) {
                if (!shapes.containsKey(in.name()) || initial.containsKey(in.name())) {
                    if (!pairs.containsValue(in.name()) && !in.name().equals(frameInput) && !constants.containsKey(in.name())) {
                        open.add(in);
                    }
                }
            }
            if (infer) {
                List<TensorInfo> outs = new ArrayList<>();
                for (TensorInfo o : sig.outputs()) {
                    if (!pairs.containsKey(o.name())) {
                        outs.add(o);
                    }
                }
                for (TensorInfo o : outs) {
                    TensorInfo best = null;
                    String why = null;
                    List<TensorInfo> sameType = new ArrayList<>();
                    for (TensorInfo in : open) {
                        if (in.dtype() == o.dtype() && sameDims(in, o)) {
                            sameType.add(in);
                            if (best == null && nameMatch(o.name(), in.name())) {
                                best = in;
                                why = "name '" + o.name() + "' extends '" + in.name() + "', same dtype and shape "
                                        + in.shapeString();
                            }
                        }
                    }
                    if (best == null && sameType.size() == 1 && outs.stream().filter(x -> x.dtype() == o.dtype()
                            && sameDims(sameType.get(0), x)).count() == 1) {
                        best = sameType.get(0);
                        why = "the only input and output of dtype " + o.dtype() + " and shape " + best.shapeString();
                    }
                    if (best != null) {
                        pairs.put(o.name(), best.name());
                        open.remove(best);
                        report.add(o.name() + " -> " + best.name() + " (inferred: " + why + ")");
                    }
                }
            }
            for (TensorInfo in : open) {
                if (!pairs.containsValue(in.name())) {
                    throw new InvalidInputException(in.name(), "input '" + in.name() + "' " + in.shapeString()
                            + " is neither the frame, a constant nor a state input; declare it with constant(..) or"
                            + " state(output, '" + in.name() + "')");
                }
            }
            for (String in : pairs.values()) {
                if (!shapes.containsKey(in)) {
                    TensorInfo info = sig.input(in).orElseThrow();
                    long[] dims = new long[info.rank()];
                    for (int i = 0; i < dims.length; i++) {
                        TensorInfo.Dim d = info.dims().get(i);
                        Long v = d.isFixed() ? Long.valueOf(d.size()) : symbols.get(d.symbol());
                        if (v == null) {
                            throw new InvalidInputException(in, "cannot resolve dimension " + i + " ('" + d.symbol()
                                    + "') of state '" + in + "' " + info.shapeString()
                                    + " from the frame or constants; give an initial state");
                        }
                        dims[i] = v;
                    }
                    shapes.put(in, Shape.of(dims));
                }
            }
            for (String in : sig.inputNames()) {
                if (!shapes.containsKey(in)) {
                    throw new InvalidInputException(in, "no shape for input '" + in + "'");
                }
            }
            return new StreamingSession(this, pairs, report, shapes, specialized(shapes));
        }

        /** The session on the copy of the model specialized for this stream, if any (see {@link #specialize}). */
        private Specialization specialized(Map<String, Shape> shapes) {
            if (!specialize) {
                return Specialization.none("switched off");
            }
            Path model = session.model();
            String why = null;
            long bytes = -1;
            try {
                bytes = Files.isRegularFile(model) ? Files.size(model) : -1;
            } catch (java.io.IOException e) {
                why = "cannot read " + model + " (" + e.getMessage() + ")";
            }
            Optional<ModelSpecializer> specializer = ServiceLoader.load(ModelSpecializer.class,
                    StreamingSession.class.getClassLoader()).findFirst();
            if (why != null) {
                // reported below
            } else if (session.backend() != BackendKind.CPU) {
                why = "the session runs on " + session.backend().label() + " (specialization opens ONNX Runtime CPU sessions)";
            } else if (bytes < 0 || !model.getFileName().toString().endsWith(".onnx")) {
                why = "the session was not opened from an .onnx file";
            } else if (bytes > SPECIALIZE_MAX_MODEL_BYTES) {
                why = "the model is " + bytes / (1 << 20) + " MiB, over the " + (SPECIALIZE_MAX_MODEL_BYTES >> 20)
                        + " MiB a second session may cost";
            } else if (specializer.isEmpty()) {
                why = "no graph rewriter on the class path (the builder module provides it)";
            }
            if (why != null) {
                return Specialization.none(why);
            }
            Map<String, String> values = new LinkedHashMap<>();
            Map<String, long[]> fixed = new LinkedHashMap<>();
            for (Map.Entry<String, Shape> e : shapes.entrySet()) {
                Tensor c = constants.get(e.getKey());
                String text = c == null ? null : valueText(c);
                if (text != null) {
                    values.put(e.getKey(), text);
                } else {
                    fixed.put(e.getKey(), e.getValue().dims());
                }
            }
            try {
                Optional<ModelSpecializer.Specialized> sp = specializer.get().specialize(model, values, fixed);
                if (sp.isEmpty()) {
                    return Specialization.none("the constants and fixed shapes fold nothing in " + model.getFileName());
                }
                Session own = Session.open(sp.get().model(), session.options());
                List<String> lines = new ArrayList<>();
                lines.add("running on a copy specialized for this stream (constants " + values.keySet()
                        + ", fixed shapes " + fixed.keySet() + "):");
                sp.get().report().forEach(l -> lines.add("  " + l));
                return new Specialization(own, List.copyOf(lines));
            } catch (RuntimeException e) {
                LOG.warn("{}: stream runs unspecialized, the rewrite failed: {}", model.getFileName(), e.toString());
                return Specialization.none("the rewrite failed (" + e.getMessage() + ")");
            }
        }

        /** A small numeric constant as the rewrite's value text (comma-separated), or null to keep it an input. */
        private static String valueText(Tensor c) {
            if (c.elementCount() > 64) {
                return null;
            }
            StringBuilder sb = new StringBuilder();
            switch (c.dtype()) {
                case FLOAT32 -> {
                    for (float v : c.toFloatArray()) {
                        sb.append(sb.length() == 0 ? "" : ",").append(Float.toString(v));
                    }
                }
                case INT64, INT32 -> {
                    for (long v : c.toLongArray()) {
                        sb.append(sb.length() == 0 ? "" : ",").append(v);
                    }
                }
                default -> {
                    return null;
                }
            }
            return sb.toString();
        }

        private static boolean sameDims(TensorInfo a, TensorInfo b) {
            if (a.rank() != b.rank()) {
                return false;
            }
            for (int i = 0; i < a.rank(); i++) {
                TensorInfo.Dim x = a.dims().get(i);
                TensorInfo.Dim y = b.dims().get(i);
                if (x.isFixed() && y.isFixed() && x.size() != y.size()) {
                    return false;
                }
            }
            return true;
        }

        private static void bindSymbols(TensorInfo info, Shape shape, Map<String, Long> symbols) {
            if (info.rank() != shape.rank()) {
                throw new InvalidInputException(info.name(), "'" + info.name() + "' has rank " + info.rank() + " "
                        + info.shapeString() + ", given " + shape);
            }
            for (int i = 0; i < info.rank(); i++) {
                TensorInfo.Dim d = info.dims().get(i);
                if (!d.isFixed() && d.symbol() != null) {
                    symbols.putIfAbsent(d.symbol(), shape.dim(i));
                }
            }
        }
    }

    /** Whether output name {@code out} reads as the next value of input {@code in}. */
    static boolean nameMatch(String out, String in) {
        String o = out.toLowerCase(Locale.ROOT);
        String i = in.toLowerCase(Locale.ROOT);
        if (o.equals(i)) {
            return false;
        }
        for (String[] sfx : new String[][] {{"_out", "_in"}, {"out", "in"}, {"_new", ""}, {"_next", ""}, {"n", ""},
                {"_n", ""}, {"new", ""}, {"_1", "_0"}, {"", ""}}) {
            if (o.endsWith(sfx[0]) && i.endsWith(sfx[1])
                    && o.substring(0, o.length() - sfx[0].length()).equals(i.substring(0, i.length() - sfx[1].length()))) {
                return true;
            }
        }
        if (o.startsWith("present") && i.startsWith("past") && o.substring(7).equals(i.substring(4))) {
            return true;
        }
        return o.startsWith("next_") && o.substring(5).equals(i);
    }
}

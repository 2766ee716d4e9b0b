package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observes intermediate float32 tensors of a model on ONNX Runtime CPU, one sample at a time, so statistics
 * (ranges, histograms) can be gathered while holding one sample's activations at most.
 *
 * <p>{@link #open} writes a copy of the model in which each requested tensor is also a graph output (the
 * original outputs stay, first and in order) and opens it through {@link Session} on the CPU backend. The
 * tensors' types need not be declared anywhere: a tensor without a type in {@code value_info} is exposed
 * untyped and ONNX Runtime infers it when it loads the copy; the session's signature is then the discovery,
 * and a requested tensor that turns out not to be float32 is refused with its name and type. Tensors computed
 * from constants alone are refused up front: they are weights, not activations, and ONNX Runtime may fold
 * them into initializers (an initializer that is a graph output fails to load).
 *
 * <p>{@link #run} feeds one sample and hands each requested tensor's values to a {@link Visitor} as a
 * read-only view of the output memory, valid only during the call: nothing is copied to the Java heap. Closing
 * the probe closes its session and deletes the temporary model file; each run's outputs are closed before
 * {@code run} returns.
 *
 * <p>Not thread-safe: one caller at a time (the session underneath is, but the visitor order is per run).
 *
 * <p>Why not {@link OrtCpu}, the other ONNX Runtime evaluator here: it loads a new session from in-memory bytes for
 * each one-shot run and passes every element type through, while calibration runs hundreds of samples through one
 * session of a model that may need external data and reads float32 only, which the runtime's {@link Session} carries.
 */
public final class ActivationProbe implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActivationProbe.class);
    private static final String DATA_FILE = "weights.bin";
    private static final long EXTERNAL_THRESHOLD = 1 << 16;

    /** Receives the values of one probed tensor for one sample. */
    @FunctionalInterface
    public interface Visitor {
        /**
         * @param tensor the tensor's name in the model
         * @param values its float32 values in row-major order; a read-only view valid only during this call
         */
        void visit(String tensor, FloatBuffer values);
    }

    private final Session session;
    private final List<String> tensors;
    /** Probed tensors that are graph inputs: read from the caller's feeds, not exposed as outputs. */
    private final Set<String> fromInputs;
    private final Path file;
    private final Path dir;
    private boolean closed;

    private ActivationProbe(Session session, List<String> tensors, Set<String> fromInputs, Path file, Path dir) {
        this.session = session;
        this.tensors = tensors;
        this.fromInputs = fromInputs;
        this.file = file;
        this.dir = dir;
    }

    /**
     * Opens a probe on ONNX Runtime CPU with all graph optimizations (the values are those the model computes;
     * fused kernels may round differently in the last bits, as in deployment).
     *
     * @param tensors names of float32 activations to observe (node outputs or graph inputs)
     * @throws ModelException naming the tensor if it is not in the graph, is computed from constants only, or is
     *                        not float32
     */
    public static ActivationProbe open(OnnxModel model, Collection<String> tensors) {
        return open(model, tensors, SessionOptions.builder().backend(BackendKind.CPU).build());
    }

    /**
     * As {@link #open(OnnxModel, Collection)} with the given session options (threads, optimization level);
     * the backend is always {@link BackendKind#CPU}.
     */
    public static ActivationProbe open(OnnxModel model, Collection<String> tensors, SessionOptions options) {
        List<String> names = List.copyOf(new LinkedHashSet<>(tensors));
        GraphProto g = model.proto().getGraph();
        Set<String> available = new HashSet<>();
        g.getInputList().forEach(v -> available.add(v.getName()));
        g.getNodeList().forEach(n -> n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(available::add));
        Set<String> constant = constantTensors(g);
        for (String t : names) {
            if (!available.contains(t)) {
                boolean init = g.getInitializerList().stream().anyMatch(i -> i.getName().equals(t));
                throw new ModelException("cannot probe tensor '" + t + "' of " + model.displayName() + ": "
                        + (init ? "it is an initializer (a weight), not an activation"
                        : "no node output or graph input has that name"));
            }
            if (constant.contains(t)) {
                throw new ModelException("cannot probe tensor '" + t + "' of " + model.displayName()
                        + ": it is computed from constants only (a folded weight, not an activation)");
            }
        }
        GraphProto.Builder gb = g.toBuilder();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        Map<String, ValueInfoProto> typed = new LinkedHashMap<>();
        g.getValueInfoList().forEach(v -> typed.put(v.getName(), v));
        // A graph input is observed in the caller's feeds: exposing it as an output too would make an output that
        // aliases an input, which the session does not copy into its pinned output buffers.
        Set<String> fromInputs = new HashSet<>();
        for (ValueInfoProto in : g.getInputList()) {
            if (names.contains(in.getName())) {
                if (in.getType().getTensorType().getElemType() != ElementType.FLOAT.onnx()) {
                    throw new ModelException("cannot probe tensor '" + in.getName() + "' of " + model.displayName()
                            + ": it is an input of type " + ElementType.fromOnnx(in.getType().getTensorType().getElemType())
                            + ", only float32 activations can be observed");
                }
                fromInputs.add(in.getName());
            }
        }
        for (String t : names) {
            if (!outputs.contains(t) && !fromInputs.contains(t)) {
                // Declared types are copied; an undeclared one is left for ONNX Runtime to infer at load.
                ValueInfoProto declared = typed.get(t);
                gb.addOutput(declared != null && declared.getType().hasTensorType() ? declared
                        : ValueInfoProto.newBuilder().setName(t).build());
            }
        }
        Path dir = null;
        Path file = null;
        Session session = null;
        try {
            dir = Files.createTempDirectory("javelin-probe");
            file = dir.resolve("probe.onnx");
            // Weights go to a side file: the copy must load whatever the model's size (a protobuf stops at 2 GiB).
            model.withProto(model.proto().toBuilder().setGraph(gb).build())
                    .write(file, OnnxModel.WriteOptions.externalData(DATA_FILE, EXTERNAL_THRESHOLD));
            session = Session.open(file, options.toBuilder().backend(BackendKind.CPU).build());
            for (String t : names) {
                if (fromInputs.contains(t)) {
                    continue;
                }
                TensorInfo info = session.signature().output(t).orElseThrow(() -> new ModelException(
                        "ONNX Runtime dropped probed tensor '" + t + "' of " + model.displayName()));
                if (info.dtype() != DType.FLOAT32) {
                    throw new ModelException("cannot probe tensor '" + t + "' of " + model.displayName()
                            + ": it is " + info.dtype() + ", only float32 activations can be observed");
                }
            }
            LOG.debug("probe on {}: {} tensors exposed", model.displayName(), names.size());
            return new ActivationProbe(session, names, Set.copyOf(fromInputs), file, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the probe model for " + model.displayName() + ": " + e, e);
        } catch (RuntimeException e) {
            if (session != null) {
                session.close();
            }
            deleteQuietly(file, dir);
            throw e;
        }
    }

    /**
     * Names of every float32 activation of the model's main graph that a probe can observe (node outputs not
     * computed from constants alone, and float32 graph inputs), in node order. Found by opening the model once
     * with every candidate exposed, so undeclared types are inferred by ONNX Runtime.
     */
    public static List<String> floatActivations(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        Set<String> constant = constantTensors(g);
        List<String> candidates = new ArrayList<>();
        g.getInputList().forEach(v -> candidates.add(v.getName()));
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && !constant.contains(o)) {
                    candidates.add(o);
                }
            }
        }
        Set<String> inits = new HashSet<>();
        g.getInitializerList().forEach(t -> inits.add(t.getName()));
        candidates.removeIf(inits::contains);
        GraphProto.Builder gb = g.toBuilder();
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        Set<String> inputs = new HashSet<>();
        g.getInputList().forEach(v -> inputs.add(v.getName()));
        for (String c : candidates) {
            if (!outputs.contains(c) && !inputs.contains(c)) {
                gb.addOutput(ValueInfoProto.newBuilder().setName(c));
            }
        }
        Path dir = null;
        Path file = null;
        try {
            dir = Files.createTempDirectory("javelin-probe");
            file = dir.resolve("discover.onnx");
            model.withProto(model.proto().toBuilder().setGraph(gb).build())
                    .write(file, OnnxModel.WriteOptions.externalData(DATA_FILE, EXTERNAL_THRESHOLD));
            try (Session s = Session.open(file, SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1)
                    .optimization(SessionOptions.Optimization.NONE).build())) {
                List<String> out = new ArrayList<>();
                for (String c : candidates) {
                    var info = inputs.contains(c) ? s.signature().input(c) : s.signature().output(c);
                    if (info.isPresent() && info.get().dtype() == DType.FLOAT32) {
                        out.add(c);
                    }
                }
                return out;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the discovery model for " + model.displayName() + ": " + e, e);
        } finally {
            deleteQuietly(file, dir);
        }
    }

    /**
     * Names computed from constants alone: initializers that are not graph inputs, {@code Constant} outputs,
     * and outputs of deterministic nodes without subgraphs whose inputs are all constant.
     */
    public static Set<String> constantTensors(GraphProto g) {
        Set<String> inputs = new HashSet<>();
        g.getInputList().forEach(v -> inputs.add(v.getName()));
        Set<String> c = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            if (!inputs.contains(t.getName())) {
                c.add(t.getName());
            }
        }
        OnnxGraph view = OnnxGraph.of(g);
        for (int i : view.topologicalOrder()) {
            NodeProto n = g.getNode(i);
            boolean subgraph = n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
            boolean random = n.getOpType().startsWith("Random") || n.getOpType().equals("Multinomial")
                    || n.getOpType().equals("Bernoulli");
            boolean allConstant = n.getInputList().stream().allMatch(in -> in.isEmpty() || c.contains(in));
            if (!subgraph && !random && allConstant) {
                n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(c::add);
            }
        }
        return Collections.unmodifiableSet(c);
    }

    /** The observed tensors, in the order the visitor sees them on each run. */
    public List<String> tensors() {
        return tensors;
    }

    /** The session running the probe model (signature, backend description). */
    public Session session() {
        return session;
    }

    /**
     * Runs one sample and calls {@code visitor} once per observed tensor, in {@link #tensors()} order.
     *
     * @param inputs the model inputs, borrowed
     * @throws dev.javelin.runtime.InvalidInputException if the inputs do not match the model's signature
     * @throws IllegalStateException                     if the probe is closed
     */
    public void run(Map<String, Tensor> inputs, Visitor visitor) {
        if (closed) {
            throw new IllegalStateException("ActivationProbe is closed");
        }
        try (Result r = session.run(inputs)) {
            for (String t : tensors) {
                Tensor source = fromInputs.contains(t) ? inputs.get(t) : r.get(t);
                FloatBuffer values = source.buffer().order(ByteOrder.nativeOrder()).asFloatBuffer().asReadOnlyBuffer();
                visitor.visit(t, values);
            }
        }
    }

    /**
     * The largest absolute value of each observed tensor over all samples (NaN values are ignored; a tensor
     * that was empty in every sample maps to 0).
     *
     * @param samples each sample's inputs, borrowed
     */
    public Map<String, Float> maxAbs(Iterable<Map<String, Tensor>> samples) {
        Map<String, Float> max = new LinkedHashMap<>();
        tensors.forEach(t -> max.put(t, 0f));
        for (Map<String, Tensor> sample : samples) {
            run(sample, (t, v) -> max.merge(t, maxAbs(v), Math::max));
        }
        return max;
    }

    /** The largest absolute value in a buffer (from its position to its limit); NaNs are skipped. */
    public static float maxAbs(FloatBuffer v) {
        float m = 0;
        for (int i = v.position(); i < v.limit(); i++) {
            float a = Math.abs(v.get(i));
            if (a > m) { // false for NaN
                m = a;
            }
        }
        return m;
    }

    /** Closes the session and deletes the temporary model. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } finally {
            deleteQuietly(file, dir);
        }
    }

    private static void deleteQuietly(Path file, Path dir) {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.resolveSibling(DATA_FILE));
            }
            if (dir != null) {
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            LOG.debug("could not delete probe file {}: {}", file, e.toString());
        }
    }
}

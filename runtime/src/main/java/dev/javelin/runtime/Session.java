package dev.javelin.runtime;

import dev.javelin.runtime.bundle.Bundle;
import dev.javelin.runtime.plan.PlanExecutors;
import dev.javelin.runtime.spi.Backend;
import dev.javelin.runtime.spi.CompiledModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * A model loaded on one backend. Thread-safe: any number of threads may call {@link #run} at once.
 *
 * <pre>{@code
 * try (Session s = Session.open(Path.of("model.onnx"));
 *      Tensor x = Tensor.of(new float[] {1, 2, 3}, Shape.of(1, 3));
 *      Result r = s.run(Map.of("x", x))) {
 *     float[] y = r.get("y").toFloatArray();
 * }
 * }</pre>
 *
 * <p>{@link #close()} waits for runs in flight, then frees the model and every lane opened from it;
 * calls after that throw {@link SessionClosedException}.
 */
public final class Session implements AutoCloseable {
    private final Path model;
    private final CompiledModel compiled;
    private final BackendKind backend;
    private final SessionOptions options;
    private final InFlightGate inFlight = new InFlightGate();
    private final List<Lane> lanes = new ArrayList<>();

    private Session(Path model, CompiledModel compiled, BackendKind backend, SessionOptions options) {
        this.model = model;
        this.compiled = compiled;
        this.backend = backend;
        this.options = options;
    }

    /** Opens an ONNX model or an engine bundle folder with {@link SessionOptions#defaults()}. */
    public static Session open(Path model) {
        return open(model, SessionOptions.defaults());
    }

    /**
     * Opens an ONNX model, or an engine bundle folder written by {@code javelin build} (a folder holding
     * {@code manifest.json}; see {@link #open(Bundle, SessionOptions)}), on the backend the options ask for.
     *
     * @throws ModelException              if the file is missing, not a regular file, empty or not a valid model,
     *                                     or the folder is not a valid bundle
     * @throws BackendUnavailableException if the requested backend cannot run here
     */
    public static Session open(Path model, SessionOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        if (Files.isDirectory(model)) {
            return open(Bundle.open(model), options);
        }
        checkModelFile(model);
        Backend backend = BackendSelector.select(options);
        CompiledModel compiled = backend.compile(model, options);
        return new Session(model, compiled, backend.kind(), options);
    }

    /**
     * Opens an engine bundle: on TensorRT the plan built for this TensorRT version and GPU (a bundle whose plans
     * were all built elsewhere is refused with both sides named, or rebuilt from its {@code model.onnx} when
     * {@link SessionOptions#rebuildEngines()} is set); on ONNX Runtime the bundle's {@code model.onnx}.
     * {@link #model()} is then the bundle folder.
     *
     * @throws ModelException              if the bundle cannot be used here
     * @throws BackendUnavailableException if the requested backend cannot run here
     */
    public static Session open(Bundle bundle, SessionOptions options) {
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(options, "options");
        Backend backend = BackendSelector.select(options);
        CompiledModel compiled = backend.compile(bundle, options);
        return new Session(bundle.dir(), compiled, backend.kind(), options);
    }

    /**
     * Opens a partition plan — {@code plan.json} or a folder holding one, as the builder's partitioner writes it: engine
     * segments (ONNX sub-models) and Javelin kernel nodes for the ops TensorRT cannot build, run in order on one
     * stream. On {@link BackendKind#TENSORRT} segments become engines and kernel nodes CUDA kernels; on
     * {@link BackendKind#CPU} the same plan is emulated (segments on ONNX Runtime CPU, kernel nodes on the kernels' host
     * build, intermediates at their planned arena offsets), which is how a GPU plan is checked without a GPU;
     * {@link BackendKind#AUTO} takes TensorRT when usable, else the emulation. {@link #model()} is then the plan file.
     *
     * @throws ModelException              if the plan or a file it names cannot be read
     * @throws BackendUnavailableException if the requested backend cannot run the plan here (the reason says why)
     */
    public static Session openPlan(Path plan, SessionOptions options) {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(options, "options");
        PlanExecutors.Opened opened = PlanExecutors.open(plan, options);
        return new Session(opened.planFile(), opened.model(), opened.backend(), options);
    }

    static void checkModelFile(Path model) {
        if (!Files.exists(model)) {
            throw new ModelException("model file " + model + " does not exist");
        }
        if (Files.isDirectory(model)) {
            throw new ModelException("model path " + model + " is a directory; expected an .onnx file or an engine bundle"
                    + " folder (with " + dev.javelin.runtime.bundle.BundleManifest.FILE_NAME + ")");
        }
        if (!Files.isRegularFile(model) || !Files.isReadable(model)) {
            throw new ModelException("model path " + model + " is not a readable regular file");
        }
        try {
            if (Files.size(model) == 0) {
                throw new ModelException("model file " + model + " is empty; expected an ONNX protobuf");
            }
        } catch (java.io.IOException e) {
            throw new ModelException("cannot read model file " + model + ": " + e.getMessage(), e);
        }
    }

    /** The model's inputs and outputs. */
    public ModelSignature signature() {
        return compiled.signature();
    }

    /** The backend running this session. */
    public BackendKind backend() {
        return backend;
    }

    /** What runs the model, e.g. {@code "ONNX Runtime 1.24.1 CPU (2 intra-op threads)"}. */
    public String description() {
        return compiled.description();
    }

    /** The options the session was opened with (the executor derives its default lane count from them). */
    public SessionOptions options() {
        return options;
    }

    /**
     * Checks inputs against the signature as {@link #run} does, without running; for callers that queue
     * requests (the executor) so a bad request fails at submission, naming the tensor.
     *
     * @throws InvalidInputException naming the tensor, if an input does not match the signature
     */
    public void validate(Map<String, Tensor> inputs) {
        InputValidator.validate(compiled.signature(), inputs);
    }

    /** The model file, or the bundle folder for a session opened from an engine bundle. */
    public Path model() {
        return model;
    }

    /**
     * Runs the model once. Inputs are validated in Java first; the result is the caller's to close.
     *
     * @throws InvalidInputException  naming the tensor, if an input does not match the signature
     * @throws SessionClosedException if the session is closed
     * @throws NativeFailureException if the backend fails
     */
    public Result run(Map<String, Tensor> inputs) {
        enter();
        try {
            InputValidator.validate(compiled.signature(), inputs);
            return compiled.run(inputs);
        } finally {
            exit();
        }
    }

    /** Runs on the common fork-join pool; see {@link #runAsync(Map, Executor)}. */
    public CompletableFuture<Result> runAsync(Map<String, Tensor> inputs) {
        return runAsync(inputs, ForkJoinPool.commonPool());
    }

    /**
     * Runs on {@code executor}; the future completes with the result or with the same exceptions
     * {@link #run} throws. The input tensors must stay open until the future completes.
     */
    public CompletableFuture<Result> runAsync(Map<String, Tensor> inputs, Executor executor) {
        return CompletableFuture.supplyAsync(() -> run(inputs), executor);
    }

    /**
     * Opens a lane with input tensors of fixed shapes allocated and bound once. Symbolic dimensions must be
     * given concretely; every input needs a shape.
     *
     * @throws InvalidInputException if a shape is missing or does not fit the signature
     */
    public Lane newLane(Map<String, Shape> inputShapes) {
        return openLane(null, inputShapes);
    }

    /**
     * Opens a lane that the caller runs in turns with {@code sibling} (a lane of this session), never at
     * the same time, as the two lanes of a state ping-pong are. On ONNX Runtime it is placed on the same
     * model instance as {@code sibling}: lanes are otherwise spread over instances for concurrent callers,
     * and a ping-pong pair alternating between two ONNX Runtime sessions ran each frame with colder caches
     * (Silero VAD: 4-8 us more per frame than one lane).
     *
     * @throws IllegalArgumentException if {@code sibling} is not an open lane of this session
     */
    public Lane newLaneBeside(Lane sibling, Map<String, Shape> inputShapes) {
        if (!(sibling instanceof GuardedLane g) || g.session() != this) {
            throw new IllegalArgumentException("sibling must be a lane opened by this session");
        }
        return openLane(g, inputShapes);
    }

    private Lane openLane(GuardedLane sibling, Map<String, Shape> inputShapes) {
        enter();
        try {
            for (String name : inputShapes.keySet()) {
                if (signature().input(name).isEmpty()) {
                    throw new InvalidInputException(name, "unknown input '" + name + "'; the model's inputs are "
                            + signature().inputNames());
                }
            }
            for (TensorInfo info : signature().inputs()) {
                Shape s = inputShapes.get(info.name());
                if (s == null) {
                    throw new InvalidInputException(info.name(), "no shape given for input '" + info.name() + "' "
                            + info.shapeString());
                }
                InputValidator.checkShape(info, s);
            }
            Lane lane = new GuardedLane(sibling == null ? compiled.newLane(inputShapes)
                    : compiled.newLaneBeside(sibling.inner(), inputShapes));
            synchronized (lanes) {
                lanes.add(lane);
            }
            return lane;
        } finally {
            exit();
        }
    }

    /** Counts a call in, unless the session is closing. */
    private void enter() {
        if (!inFlight.enter()) {
            throw new SessionClosedException("session for " + model.getFileName() + " is closed");
        }
    }

    private void exit() {
        inFlight.exit();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return inFlight.isClosing();
    }

    /**
     * Closes lanes, then the model, after runs in flight finish. Idempotent. Runs that start after
     * close began throw {@link SessionClosedException}.
     */
    @Override
    public void close() {
        if (!inFlight.closeAndDrain()) {
            return;
        }
        synchronized (lanes) {
            for (int i = lanes.size() - 1; i >= 0; i--) {
                lanes.get(i).close();
            }
            lanes.clear();
        }
        compiled.close();
    }

    /** A lane that refuses to run once its session is closing, so close never frees memory under a run. */
    private final class GuardedLane implements Lane {
        private final Lane inner;
        private volatile boolean closed;

        GuardedLane(Lane inner) {
            this.inner = inner;
        }

        Session session() {
            return Session.this;
        }

        Lane inner() {
            checkLane();
            return inner;
        }

        @Override
        public Tensor input(String name) {
            checkLane();
            return inner.input(name);
        }

        @Override
        public Tensor output(String name) {
            checkLane();
            return inner.output(name);
        }

        @Override
        public void bind(String name, Tensor tensor) {
            checkLane();
            inner.bind(name, tensor);
        }

        @Override
        public void run() {
            enter();
            try {
                checkLane();
                inner.run();
            } finally {
                exit();
            }
        }

        private void checkLane() {
            if (closed) {
                throw new SessionClosedException("lane of " + model.getFileName() + " is closed");
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            inner.close();
            synchronized (lanes) {
                lanes.remove(this);
            }
        }
    }

    @Override
    public String toString() {
        return "Session[" + model.getFileName() + " on " + backend + "]";
    }
}

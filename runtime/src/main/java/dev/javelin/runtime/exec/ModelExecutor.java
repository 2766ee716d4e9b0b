package dev.javelin.runtime.exec;

import dev.javelin.bindings.core.HostBuffer;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.RejectedException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionClosedException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.memory.BufferPool;
import dev.javelin.runtime.memory.Pools;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs requests for one model on N lanes behind a bounded queue, optionally merging them into batches
 * (Triton's dynamic batcher). Thread-safe; any number of threads may submit.
 *
 * <pre>{@code
 * try (ModelExecutor ex = ModelExecutor.open(Path.of("model.onnx"), SessionOptions.defaults(),
 *         ExecutorOptions.builder().batching(16, Duration.ofMillis(2)).build())) {
 *     CompletableFuture<Result> f = ex.submit(Map.of("x", x));
 *     try (Result r = f.join()) { ... }
 * }
 * }</pre>
 *
 * <h2>Requests</h2>
 * A submission is validated against the signature (bad inputs throw {@link InvalidInputException} naming the
 * tensor), and its inputs are copied into pooled staging buffers, so the caller may reuse or close its input
 * tensors as soon as {@code submit} returns. Each worker thread owns lanes (bound inputs/outputs, one per
 * distinct input shape set, least recently used closed beyond {@link ExecutorOptions#lanesPerWorker()}); a
 * request's rows are copied into the lane's bound inputs and its outputs copied out into pooled buffers that
 * the {@link Result} returns to the pool when closed. In steady state a request allocates no native memory.
 *
 * <h2>Back-pressure, deadlines, cancellation, ordering</h2>
 * <ul>
 *   <li>A submission finding {@link ExecutorOptions#queueCapacity()} requests waiting throws
 *       {@link RejectedException} {@code QUEUE_FULL} at once; nothing is dropped silently.
 *   <li>A request whose deadline passes before its result is delivered completes with
 *       {@link RejectedException} {@code TIMEOUT} at the deadline (a running execution is not interrupted;
 *       its result is discarded and its buffers returned).
 *   <li>{@code future.cancel(..)} completes the future with {@link RejectedException} {@code CANCELLED}
 *       (so {@code get()} throws {@code ExecutionException} with that cause) and removes a queued request.
 *   <li>With {@link ExecutorOptions#ordered()}, each submitting thread sees its futures complete in the order
 *       it submitted them (a later result waits for earlier ones; rejections complete at once).
 * </ul>
 *
 * <h2>Dynamic batching</h2>
 * When {@link ExecutorOptions#maxBatch()} is above 1 and every input and output of the model has a symbolic
 * dimension 0 (the batch dimension), consecutive queued requests whose inputs agree in dtype and in every
 * dimension but the first are concatenated along dimension 0, up to {@code maxBatch} rows, waiting at most
 * {@link ExecutorOptions#maxQueueDelay()} after the first request of the batch was submitted; outputs are
 * split back by rows. Models without a batch dimension are never batched ({@link #batchingReport()} says
 * why). A request with more rows than {@code maxBatch} is rejected with {@link InvalidInputException}.
 *
 * <h2>Close</h2>
 * {@link #close()} stops accepting requests (later submissions throw {@link SessionClosedException}), lets
 * every queued and running request finish, then closes the lanes, the pools and, when the executor opened
 * it, the session.
 */
public final class ModelExecutor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelExecutor.class);

    private final Session session;
    private final boolean ownsSession;
    private final ExecutorOptions options;
    private final int laneCount;
    private final boolean batching;
    private final String batchingReport;
    private final long delayNanos;
    private final long timeoutNanos;
    private final List<TensorInfo> inputs;
    private final List<TensorInfo> outputs;
    private final BufferPool<HostBuffer> pool;
    private final ExecutorMetrics metrics;
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final ReentrantLock gather = new ReentrantLock();
    private final Thread[] workers;
    private final ScheduledThreadPoolExecutor timer;
    private final ThreadLocal<Sequencer> sequencers = ThreadLocal.withInitial(Sequencer::new);
    private volatile boolean closing;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ModelExecutor(Session session, boolean ownsSession, ExecutorOptions options) {
        this.session = Objects.requireNonNull(session, "session");
        this.ownsSession = ownsSession;
        this.options = Objects.requireNonNull(options, "options");
        ModelSignature sig = session.signature();
        this.inputs = sig.inputs();
        this.outputs = sig.outputs();
        this.laneCount = options.lanes() > 0 ? options.lanes() : defaultLanes(session.backend(), session.options());
        String problem = batchDimensionProblem(sig);
        this.batching = options.batching() && problem == null;
        this.batchingReport = !options.batching() ? "off (maxBatch 1)"
                : problem == null ? "on: up to " + options.maxBatch() + " rows, max queue delay "
                + options.maxQueueDelay().toNanos() / 1000 + " us"
                : "off: " + problem;
        if (options.batching() && problem != null) {
            LOG.info("Dynamic batching disabled for {}: {}", session.model().getFileName(), problem);
        }
        this.delayNanos = options.maxQueueDelay().toNanos();
        this.timeoutNanos = options.timeout().toNanos();
        this.pool = Pools.host(256L << 20);
        this.metrics = new ExecutorMetrics(batching ? options.maxBatch() : 1);
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "javelin-executor-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.workers = new Thread[laneCount];
        String model = String.valueOf(session.model().getFileName());
        for (int i = 0; i < laneCount; i++) {
            Thread t = new Thread(this::workerLoop, "javelin-lane-" + i + "-" + model);
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** Opens the model and an executor that owns (and closes) the session. */
    public static ModelExecutor open(Path model, SessionOptions sessionOptions, ExecutorOptions options) {
        Session s = Session.open(model, sessionOptions);
        try {
            return new ModelExecutor(s, true, options);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** An executor over a session the caller keeps owning (close the executor before the session). */
    public static ModelExecutor over(Session session, ExecutorOptions options) {
        return new ModelExecutor(session, false, options);
    }

    /**
     * Default lane count: on the CPU, cores divided by intra-op threads (ONNX Runtime's default uses every
     * core, so one lane; with 1 intra-op thread, one lane per core); on a GPU two lanes, so one lane's copies
     * overlap the other's compute.
     */
    public static int defaultLanes(BackendKind backend, SessionOptions options) {
        if (backend == BackendKind.CPU) {
            int cores = Runtime.getRuntime().availableProcessors();
            int intra = options.intraOpThreads() == 0 ? cores : options.intraOpThreads();
            return Math.max(1, cores / intra);
        }
        return 2;
    }

    /** Why the model cannot be batched, or {@code null} if dimension 0 is a symbolic batch dimension everywhere. */
    static String batchDimensionProblem(ModelSignature sig) {
        Set<String> symbols = new HashSet<>();
        List<TensorInfo> all = new ArrayList<>(sig.inputs());
        all.addAll(sig.outputs());
        for (TensorInfo t : all) {
            String kind = sig.inputs().contains(t) ? "input" : "output";
            if (t.rank() == 0 || t.dims().get(0).isFixed()) {
                return kind + " '" + t.name() + "' " + t.shapeString() + " has no symbolic dimension 0 (batch)";
            }
            String sym = t.dims().get(0).symbol();
            if (sym != null && !sym.isEmpty()) {
                symbols.add(sym);
            }
        }
        if (symbols.size() > 1) {
            return "dimension 0 has different symbols " + symbols + " across inputs and outputs";
        }
        return null;
    }

    /** The session the executor runs. */
    public Session session() {
        return session;
    }

    /** Number of lanes (worker threads). */
    public int lanes() {
        return laneCount;
    }

    /** Whether requests are merged into batches. */
    public boolean batching() {
        return batching;
    }

    /** Whether batching is on, with its limits, or why it is off. */
    public String batchingReport() {
        return batchingReport;
    }

    /** The executor's options. */
    public ExecutorOptions options() {
        return options;
    }

    /** Requests waiting in the queue now. */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Counters and histograms as of now. */
    public MetricsSnapshot metrics() {
        return metrics.snapshot(session.backend() != BackendKind.CPU);
    }

    /** Statistics of the staging/output buffer pool (allocations stay flat in steady state). */
    public BufferPool.Stats poolStats() {
        return pool.stats();
    }

    /** Submits with the default timeout; see {@link #submit(Map, Duration)}. */
    public CompletableFuture<Result> submit(Map<String, Tensor> request) {
        return submit(request, null);
    }

    /**
     * Queues a request. The inputs are copied before this returns. The future completes with a result the
     * caller owns, or exceptionally with {@link RejectedException} (TIMEOUT, CANCELLED) or the backend's
     * failure.
     *
     * @param timeout deadline from now; {@code null} for the executor's default, {@link Duration#ZERO} for none
     * @throws InvalidInputException  naming the tensor, if an input does not fit the model or exceeds maxBatch
     * @throws RejectedException      QUEUE_FULL if the queue is full
     * @throws SessionClosedException if the executor is closing
     */
    public CompletableFuture<Result> submit(Map<String, Tensor> request, Duration timeout) {
        if (closing) {
            throw closedError();
        }
        session.validate(request);
        int n = inputs.size();
        Shape[] shapes = new Shape[n];
        long rows = -1;
        for (int i = 0; i < n; i++) {
            shapes[i] = request.get(inputs.get(i).name()).shape();
        }
        if (batching) {
            rows = shapes[0].dim(0);
            for (int i = 1; i < n; i++) {
                if (shapes[i].dim(0) != rows) {
                    throw new InvalidInputException(inputs.get(i).name(), "input '" + inputs.get(i).name()
                            + "' has " + shapes[i].dim(0) + " rows (dimension 0) but '" + inputs.get(0).name()
                            + "' has " + rows + "; a batched request needs the same batch size on every input");
                }
            }
            if (rows > options.maxBatch()) {
                throw new InvalidInputException(inputs.get(0).name(), "request of " + rows + " rows exceeds the "
                        + "executor's maxBatch " + options.maxBatch() + "; split it or raise maxBatch");
            }
        }
        Tensor[] staged = new Tensor[n];
        try {
            for (int i = 0; i < n; i++) {
                Tensor src = request.get(inputs.get(i).name());
                staged[i] = Pools.hostTensor(pool, src.dtype(), src.shape());
                staged[i].unsafeBuffer().put(0, src.unsafeBuffer(), 0, Math.toIntExact(src.byteSize()));
            }
        } catch (RuntimeException e) {
            release(staged);
            if (closing) {
                // close() ran between the check above and the staging: its workers drained and it closed the
                // host pool, whose lease then refused. To the caller that is a submission after close.
                SessionClosedException closedNow = closedError();
                closedNow.addSuppressed(e);
                throw closedNow;
            }
            throw e;
        }
        long t = timeout == null ? timeoutNanos : timeout.toNanos();
        long now = System.nanoTime();
        Request r = new Request(staged, shapes, rows, now, t > 0 ? now + t : 0);
        Sequencer seq = options.ordered() ? sequencers.get() : null;
        lock.lock();
        try {
            if (closing) {
                release(staged);
                throw closedError();
            }
            if (queue.size() >= options.queueCapacity()) {
                release(staged);
                metrics.queueFull.increment();
                throw new RejectedException(RejectedException.Reason.QUEUE_FULL, "request queue of "
                        + session.model().getFileName() + " is full (" + options.queueCapacity() + " waiting)");
            }
            if (seq != null) {
                r.sequencer = seq;
                r.seqNo = seq.nextSubmit++;
            }
            queue.addLast(r);
            if (r.deadline != 0) {
                // Scheduled under the lock: close() cannot have shut the timer down yet (it sets 'closing' under
                // this lock first), and a timer that fires at once waits for the lock until r is queued.
                r.timeoutTask = timer.schedule(() -> reject(r, RejectedException.Reason.TIMEOUT), t, TimeUnit.NANOSECONDS);
            }
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
        return r.future;
    }

    /**
     * Submits and waits. Exceptions are those of {@link #submit(Map, Duration)} and of the execution, unwrapped.
     * If the calling thread is interrupted while waiting, the request is cancelled and this throws
     * {@link RejectedException} CANCELLED with the interrupt flag set.
     */
    public Result run(Map<String, Tensor> request) {
        CompletableFuture<Result> f = submit(request);
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new RejectedException(RejectedException.Reason.CANCELLED, "interrupted while waiting for a result");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new NativeFailureException("request failed: " + c, c);
        }
    }

    private SessionClosedException closedError() {
        return new SessionClosedException("executor for " + session.model().getFileName() + " is closed");
    }

    /** Completes a request with a rejection if nothing else completed it first; timer and cancel() call this. */
    private boolean reject(Request r, RejectedException.Reason reason) {
        if (!r.done.compareAndSet(false, true)) {
            return false;
        }
        boolean removed;
        lock.lock();
        try {
            removed = queue.remove(r);
        } finally {
            lock.unlock();
        }
        if (removed) {
            release(r.inputs); // still queued: no worker holds it
        }
        if (reason == RejectedException.Reason.TIMEOUT) {
            metrics.timedOut.increment();
        } else {
            metrics.cancelled.increment();
        }
        ScheduledFuture<?> task = r.timeoutTask;
        if (task != null && reason != RejectedException.Reason.TIMEOUT) {
            task.cancel(false);
        }
        String what = reason == RejectedException.Reason.TIMEOUT
                ? "request to " + session.model().getFileName() + " timed out after "
                + Duration.ofNanos(System.nanoTime() - r.submitted).toMillis() + " ms"
                : "request to " + session.model().getFileName() + " was cancelled";
        r.future.fail(new RejectedException(reason, what));
        deliver(r, null);
        return true;
    }

    private void deliver(Request r, Runnable action) {
        if (r.sequencer == null) {
            if (action != null) {
                action.run();
            }
        } else {
            r.sequencer.done(r.seqNo, action);
        }
    }

    private static void release(Tensor[] tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }

    private void workerLoop() {
        Map<List<Shape>, Lane> lanes = new LinkedHashMap<>(16, 0.75f, true);
        List<Request> batch = new ArrayList<>();
        try {
            while (nextBatch(batch)) {
                try {
                    execute(batch, lanes);
                } catch (Throwable e) {
                    LOG.error("executor worker failed on a batch", e);
                    fail(batch, e instanceof RuntimeException re ? re
                            : new NativeFailureException("executor failed: " + e, e));
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Lane l : lanes.values()) {
                l.close();
            }
        }
    }

    /** Takes the next batch (one worker gathers at a time, so the next batch goes to the first free lane). */
    private boolean nextBatch(List<Request> out) throws InterruptedException {
        gather.lockInterruptibly();
        try {
            lock.lockInterruptibly();
            try {
                Request first;
                while ((first = queue.pollFirst()) == null) {
                    if (closing) {
                        return false;
                    }
                    notEmpty.await();
                }
                out.add(first);
                if (!batching) {
                    return true;
                }
                long rows = first.rows;
                long deadline = first.submitted + delayNanos;
                while (rows < options.maxBatch()) {
                    Request head = queue.peekFirst();
                    if (head == null) {
                        long wait = deadline - System.nanoTime();
                        if (closing || wait <= 0) {
                            break;
                        }
                        notEmpty.awaitNanos(wait);
                        continue;
                    }
                    if (head.done.get()) {
                        out.add(queue.pollFirst()); // cancelled: execute() drops it and frees its staging
                        continue;
                    }
                    if (rows + head.rows > options.maxBatch() || !Arrays.deepEquals(head.tail, first.tail)) {
                        break;
                    }
                    out.add(queue.pollFirst());
                    rows += head.rows;
                }
                return true;
            } finally {
                lock.unlock();
            }
        } finally {
            gather.unlock();
        }
    }

    private void execute(List<Request> batch, Map<List<Shape>, Lane> lanes) {
        long start = System.nanoTime();
        int live = 0;
        long rows = 0;
        for (int i = 0; i < batch.size(); i++) {
            Request r = batch.get(i);
            if (r.done.get()) {
                release(r.inputs);
                continue;
            }
            if (r.deadline != 0 && start - r.deadline > 0) {
                reject(r, RejectedException.Reason.TIMEOUT);
                release(r.inputs);
                continue;
            }
            batch.set(live++, r);
            rows += Math.max(0, r.rows);
        }
        while (batch.size() > live) {
            batch.remove(batch.size() - 1);
        }
        if (live == 0) {
            return;
        }
        Request first = batch.get(0);
        for (Request r : batch) {
            metrics.queue.record(start - r.submitted);
        }
        Shape[] shapes = first.shapes;
        if (batching && live > 1) {
            shapes = shapes.clone();
            for (int i = 0; i < shapes.length; i++) {
                shapes[i] = shapes[i].withDim(0, rows);
            }
        }
        List<Shape> key = Arrays.asList(shapes);
        Result[] results = new Result[live];
        try {
            Lane lane = lanes.get(key);
            if (lane == null) {
                lane = openLane(shapes);
                lanes.put(key, lane);
                if (lanes.size() > options.lanesPerWorker()) {
                    var it = lanes.entrySet().iterator();
                    Lane eldest = it.next().getValue();
                    it.remove();
                    eldest.close();
                }
            }
            for (int i = 0; i < inputs.size(); i++) {
                ByteBuffer dst = lane.input(inputs.get(i).name()).unsafeBuffer();
                int off = 0;
                for (Request r : batch) {
                    Tensor src = r.inputs[i];
                    int len = Math.toIntExact(src.byteSize());
                    dst.put(off, src.unsafeBuffer(), 0, len);
                    off += len;
                }
            }
            try {
                lane.run();
            } catch (RuntimeException e) {
                lanes.remove(key);
                lane.close();
                throw e;
            }
            recordTransfers(lane);
            List<Map<String, Tensor>> maps = new ArrayList<>(live);
            for (int k = 0; k < live; k++) {
                maps.add(new LinkedHashMap<>());
            }
            try {
                for (TensorInfo info : outputs) {
                    Tensor out = lane.output(info.name());
                    ByteBuffer src = out.unsafeBuffer();
                    if (live == 1) {
                        Tensor t = Pools.hostTensor(pool, out.dtype(), out.shape());
                        t.unsafeBuffer().put(0, src, 0, Math.toIntExact(out.byteSize()));
                        maps.get(0).put(info.name(), t);
                        continue;
                    }
                    if (out.shape().rank() == 0 || out.shape().dim(0) != rows) {
                        throw new NativeFailureException("output '" + info.name() + "' came back with shape "
                                + out.shape() + " for a batch of " + rows + " rows; cannot split it per request");
                    }
                    long rowBytes = out.byteSize() / rows;
                    int off = 0;
                    for (int k = 0; k < live; k++) {
                        Request r = batch.get(k);
                        Tensor t = Pools.hostTensor(pool, out.dtype(), out.shape().withDim(0, r.rows));
                        int len = Math.toIntExact(rowBytes * r.rows);
                        t.unsafeBuffer().put(0, src, off, len);
                        off += len;
                        maps.get(k).put(info.name(), t);
                    }
                }
            } catch (RuntimeException e) {
                for (Map<String, Tensor> m : maps) {
                    m.values().forEach(Tensor::close);
                }
                throw e;
            }
            for (int k = 0; k < live; k++) {
                results[k] = new Result(maps.get(k));
            }
        } catch (RuntimeException e) {
            fail(batch, e);
            return;
        } finally {
            for (Request r : batch) {
                release(r.inputs);
            }
        }
        long end = System.nanoTime();
        metrics.compute.record(end - start);
        metrics.batch(live);
        for (int k = 0; k < live; k++) {
            Request r = batch.get(k);
            Result res = results[k];
            if (!r.done.compareAndSet(false, true)) {
                res.close(); // timed out or cancelled meanwhile
                continue;
            }
            cancelTimer(r);
            metrics.completed.increment();
            metrics.latency.record(end - r.submitted);
            deliver(r, () -> {
                if (!r.future.complete(res)) {
                    res.close();
                }
            });
        }
    }

    private Lane openLane(Shape[] shapes) {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (int i = 0; i < shapes.length; i++) {
            m.put(inputs.get(i).name(), shapes[i]);
        }
        return session.newLane(m);
    }

    private void fail(List<Request> batch, RuntimeException e) {
        for (Request r : batch) {
            if (r.done.compareAndSet(false, true)) {
                cancelTimer(r);
                metrics.failed.increment();
                RuntimeException err = e;
                deliver(r, () -> r.future.fail(err));
            }
        }
    }

    private static void cancelTimer(Request r) {
        ScheduledFuture<?> task = r.timeoutTask;
        if (task != null) {
            task.cancel(false);
        }
    }

    /**
     * Stops accepting requests, waits for every queued and running request to finish, then closes lanes,
     * pools and (if owned) the session. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        lock.lock();
        try {
            closing = true;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread t : workers) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        timer.shutdownNow();
        pool.close();
        if (ownsSession) {
            session.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ModelExecutor[" + session + ", " + laneCount + " lanes, batching " + batchingReport + "]";
    }

    /** One queued request. */
    private final class Request {
        final Tensor[] inputs;
        final Shape[] shapes;
        final long[][] tail;
        final long rows;
        final long submitted;
        final long deadline;
        final AtomicBoolean done = new AtomicBoolean();
        final Future future = new Future(this);
        volatile ScheduledFuture<?> timeoutTask;
        Sequencer sequencer;
        long seqNo;

        Request(Tensor[] inputs, Shape[] shapes, long rows, long submitted, long deadline) {
            this.inputs = inputs;
            this.shapes = shapes;
            this.rows = rows;
            this.submitted = submitted;
            this.deadline = deadline;
            if (batching) {
                // dtype is fixed per input by the signature, so the non-batch dims decide compatibility
                tail = new long[shapes.length][];
                for (int i = 0; i < shapes.length; i++) {
                    long[] d = shapes[i].dims();
                    tail[i] = Arrays.copyOfRange(d, 1, d.length);
                }
            } else {
                tail = null;
            }
        }
    }

    /** The caller's future: cancel() rejects the request with CANCELLED instead of a CancellationException. */
    private final class Future extends CompletableFuture<Result> {
        private final Request request;

        Future(Request request) {
            this.request = request;
        }

        void fail(RuntimeException e) {
            super.completeExceptionally(e);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return ModelExecutor.this.reject(request, RejectedException.Reason.CANCELLED);
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>();
        }
    }

    /** Delivers one submitting thread's completions in its submission order. */
    private static final class Sequencer {
        long nextSubmit; // touched only by the owning thread, under the queue lock
        private long nextDeliver;
        private boolean delivering;
        private final Map<Long, Runnable> parked = new java.util.HashMap<>();
        private static final Runnable NOTHING = () -> { };

        void done(long seq, Runnable action) {
            synchronized (this) {
                parked.put(seq, action == null ? NOTHING : action);
                if (delivering) {
                    return;
                }
                delivering = true;
            }
            while (true) {
                Runnable next;
                synchronized (this) {
                    next = parked.remove(nextDeliver);
                    if (next == null) {
                        delivering = false;
                        return;
                    }
                    nextDeliver++;
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    LOG.warn("a completion callback failed", e);
                }
            }
        }
    }


    /** Adds the lane's device-timed copies (GPU lanes time them with CUDA events; host lanes report none). */
    private void recordTransfers(Lane lane) {
        long h2d = lane.lastStageNanos(Lane.Stage.HOST_TO_DEVICE);
        if (h2d >= 0) {
            metrics.h2dNanos.add(h2d);
        }
        long d2h = lane.lastStageNanos(Lane.Stage.DEVICE_TO_HOST);
        if (d2h >= 0) {
            metrics.d2hNanos.add(d2h);
        }
    }

}

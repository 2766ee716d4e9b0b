package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.SessionRunner;
import dev.javelin.bindings.ort.TensorValue;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.memory.ThreadCells;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Idle {@link SessionRunner}s of one model (over its {@link ModelInstances}), handed to concurrent callers
 * without a lock: a caller takes an idle runner from a slot (starting at a slot picked from its thread id, so
 * two threads rarely touch the same slot) or creates one in an empty slot (see {@link ModelInstances#newRunner()});
 * on release the runner becomes idle in its slot again. When every slot is busy a caller gets a runner of its
 * own, closed on release. Nothing is allocated per call in steady state. Slot states are spread one cache line
 * apart so two threads working on their own slots do not invalidate each other's cache line (false sharing
 * cost a measurable share of two-caller throughput).
 *
 * <p>A slot's runner is stored once, when the slot is filled; taking and returning it only flips the slot's
 * int state. Handing runners in and out of a reference array instead wrote an object reference per call,
 * and under card-marking collectors (Parallel, Serial) every reference store also writes a card-table byte
 * that both callers' stores share a cache line of (see {@link SessionRunner}).
 *
 * <p>Instance affinity: a caller first looks for an idle runner whose instance no other call is using, and only
 * then takes any idle runner. Without it, a third runner created in a brief race (one caller's scan missing a
 * runner the other was just returning) sits on an instance that already has one, and from then on two callers
 * could keep landing on the same ONNX Runtime session while the other idles, serialising on that session's
 * per-run locks: the two-caller scaling of {@code run(Map)} then varied from round to round (1.46x-1.81x on the
 * same build) while bound lanes, which are placed once, held 1.8x.
 */
final class RunnerPool {
    /**
     * A runner with the instance it runs on, created once per runner, and the shapes its last run saw: a
     * caller reusing its tensors passes the same shapes every time, and handing ONNX Runtime the cached
     * dims and the result the cached {@link Shape} saves two arrays and a shape object per tensor per run.
     */
    static final class Pooled {
        final SessionRunner runner;
        final int instance;
        /** The pool slot this runner lives in, or -1 for a runner closed on release. */
        final int slot;
        final Shape[] inShapes;
        final long[][] inDims;
        final Shape[] outShapes;
        final long[][] outDims;

        Pooled(SessionRunner runner, int instance, int slot, int inputs, int outputs) {
            this.runner = runner;
            this.instance = instance;
            this.slot = slot;
            this.inShapes = new Shape[inputs];
            this.inDims = new long[inputs][];
            this.outShapes = new Shape[outputs];
            this.outDims = new long[outputs][];
        }

        /** The dims of {@code shape} (input {@code i}), from the cache when the shape is the last one seen. */
        long[] inputDims(int i, Shape shape) {
            Shape last = inShapes[i];
            if (last != shape && !shape.equals(last)) {
                inShapes[i] = shape;
                inDims[i] = shape.dims();
            }
            return inDims[i];
        }

        /** The shape of output {@code j}, the cached object when the dims are the last ones seen. */
        Shape outputShape(int j, TensorValue v) {
            long[] last = outDims[j];
            if (last == null || !v.hasShape(last)) {
                long[] dims = v.shape();
                outShapes[j] = Shape.of(dims);
                outDims[j] = dims;
            }
            return outShapes[j];
        }
    }

    private final ModelInstances instances;
    /** Ints per 128 bytes (two cache lines, as adjacent-line prefetch pairs them), for slot states and busy counters. */
    private static final int STRIDE = 32;
    private static final int EMPTY = 0;
    private static final int IDLE = 1;
    private static final int BUSY = 2;
    private static final int CLOSED = 3;
    /** The runner of each filled slot, stored once. */
    private final AtomicReferenceArray<Pooled> runners;
    private final AtomicIntegerArray state;
    private final AtomicIntegerArray busy;
    /**
     * The slot (plus one; 0 = none) each thread took last, in cells picked by hashing the thread id: a caller
     * takes the runner it used last when it is idle, so each runner stays with one thread. Without this, two
     * threads whose preferred slots held the same runner kept trading runners, and every trade moved a runner's
     * data and its ONNX Runtime session's between the cores: the first two-caller run of a fresh JVM reached
     * 1.2M or 1.45M calls/s depending on the threads' ids (old pool, which put a runner back in its releaser's
     * own slot: 1.37M). Written only when a thread's slot changes.
     */
    private final AtomicIntegerArray hints;
    private final int count;

    private final int inputs;
    private final int outputs;

    RunnerPool(ModelInstances instances, int size, int inputs, int outputs) {
        this.instances = instances;
        this.inputs = inputs;
        this.outputs = outputs;
        this.count = size;
        this.runners = new AtomicReferenceArray<>(size);
        // One stride of padding before the first and after the last element: element 0 would otherwise share a
        // cache line with the array's header and the wrapper object allocated just before it, whose field every
        // access of every thread reads, so one thread's writes to its slot or busy counter stalled the other
        // thread's reads (perf: release() cost 23 ns per call with one caller, 146 ns with two).
        this.state = new AtomicIntegerArray((size + 2) * STRIDE);
        this.busy = new AtomicIntegerArray((instances.maxCount() + 2) * STRIDE);
        this.hints = new AtomicIntegerArray((ThreadCells.count() + 2) * STRIDE);
    }

    Pooled acquire() {
        long id = Thread.currentThread().getId();
        int hint = hintIndex(id);
        int last = hints.get(hint) - 1;
        if (last >= 0) {
            Pooled p = takeIdleOnFreeInstance(last);
            if (p != null) {
                return take(p);
            }
        }
        int n = count;
        int start = (int) (id % n);
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            Pooled p = takeIdleOnFreeInstance(i);
            if (p != null) {
                return takeFrom(i, p, hint);
            }
        }
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (state.get(stateIndex(i)) == IDLE && state.compareAndSet(stateIndex(i), IDLE, BUSY)) {
                return takeFrom(i, runners.get(i), hint);
            }
        }
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (state.get(stateIndex(i)) == EMPTY && state.compareAndSet(stateIndex(i), EMPTY, BUSY)) {
                Pooled p;
                try {
                    p = create(i);
                } catch (RuntimeException | Error e) {
                    state.set(stateIndex(i), EMPTY);
                    throw e;
                }
                runners.set(i, p);
                return takeFrom(i, p, hint);
            }
        }
        return take(create(-1));
    }

    /** The runner of slot {@code i}, marked busy, if it was idle and no other call uses its instance; else null. */
    private Pooled takeIdleOnFreeInstance(int i) {
        if (state.get(stateIndex(i)) != IDLE) {
            return null;
        }
        Pooled p = runners.get(i);
        return busy.get(busyIndex(p.instance)) == 0 && state.compareAndSet(stateIndex(i), IDLE, BUSY) ? p : null;
    }

    /** Takes the runner of slot {@code i}, remembering the slot as this thread's (see {@link #hints}). */
    private Pooled takeFrom(int i, Pooled p, int hint) {
        if (hints.get(hint) != i + 1) {
            hints.set(hint, i + 1);
        }
        return take(p);
    }

    static int hintIndex(long threadId) {
        return (ThreadCells.of(threadId) + 1) * STRIDE;
    }

    private Pooled create(int slot) {
        SessionRunner r = instances.newRunner();
        return new Pooled(r, instances.instanceOf(r), slot, inputs, outputs);
    }

    private static int stateIndex(int slot) {
        return (slot + 1) * STRIDE;
    }

    private static int busyIndex(int instance) {
        return (instance + 1) * STRIDE;
    }

    private Pooled take(Pooled p) {
        busy.incrementAndGet(busyIndex(p.instance));
        return p;
    }

    void release(Pooled p) {
        busy.decrementAndGet(busyIndex(p.instance));
        if (p.slot >= 0 && state.compareAndSet(stateIndex(p.slot), BUSY, IDLE)) {
            return;
        }
        // A runner of its own (every slot was busy), or the pool closed while it ran.
        instances.runnerClosed(p.runner);
        p.runner.close();
    }

    /** Closes every idle runner; call when no run is in flight (a runner still out is closed on release). */
    void close() {
        for (int i = 0; i < count; i++) {
            if (state.getAndSet(stateIndex(i), CLOSED) == IDLE) {
                Pooled p = runners.get(i);
                instances.runnerClosed(p.runner);
                p.runner.close();
            }
        }
    }
}

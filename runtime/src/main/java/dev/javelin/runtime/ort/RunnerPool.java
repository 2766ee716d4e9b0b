package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.SessionRunner;
import dev.javelin.bindings.ort.TensorValue;
import dev.javelin.runtime.Shape;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Idle {@link SessionRunner}s of one model (over its {@link ModelInstances}), handed to concurrent callers
 * without a lock: a caller takes a runner from a slot (starting at a slot picked from its thread id, so two
 * threads rarely touch the same slot) or creates one (see {@link ModelInstances#newRunner()}); on release the
 * runner goes back to a free slot, or is closed if all slots are full. Nothing is allocated per call in steady
 * state. Slots are spread one cache line apart so two threads working on their own slots do not invalidate
 * each other's cache line (false sharing cost a measurable share of two-caller throughput).
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
        final Shape[] inShapes;
        final long[][] inDims;
        final Shape[] outShapes;
        final long[][] outDims;

        Pooled(SessionRunner runner, int instance, int inputs, int outputs) {
            this.runner = runner;
            this.instance = instance;
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
    /** References per 128 bytes (two cache lines, as adjacent-line prefetch pairs them), for compressed or full oops. */
    private static final int STRIDE = 32;
    /** Ints per 128 bytes, for the per-instance busy counters. */
    private static final int INT_STRIDE = 32;
    private final AtomicReferenceArray<Pooled> slots;
    private final AtomicIntegerArray busy;
    private final int count;

    private final int inputs;
    private final int outputs;

    RunnerPool(ModelInstances instances, int size, int inputs, int outputs) {
        this.instances = instances;
        this.inputs = inputs;
        this.outputs = outputs;
        this.count = size;
        // One stride of padding before the first and after the last element: element 0 would otherwise share a
        // cache line with the array's header and the wrapper object allocated just before it, whose field every
        // access of every thread reads, so one thread's writes to its slot or busy counter stalled the other
        // thread's reads (perf: release() cost 23 ns per call with one caller, 146 ns with two).
        this.slots = new AtomicReferenceArray<>((size + 2) * STRIDE);
        this.busy = new AtomicIntegerArray((instances.maxCount() + 2) * INT_STRIDE);
    }

    Pooled acquire() {
        int n = count;
        int start = (int) (Thread.currentThread().getId() % n);
        Pooled any = null;
        for (int k = 0; k < n; k++) {
            int i = slot((start + k) % n);
            Pooled p = slots.get(i);
            if (p != null && busy.get(busyIndex(p.instance)) == 0 && slots.compareAndSet(i, p, null)) {
                return take(p);
            }
        }
        for (int k = 0; k < n && any == null; k++) {
            int i = slot((start + k) % n);
            if (slots.get(i) != null) {
                any = slots.getAndSet(i, null);
            }
        }
        if (any == null) {
            SessionRunner r = instances.newRunner();
            any = new Pooled(r, instances.instanceOf(r), inputs, outputs);
        }
        return take(any);
    }

    private static int slot(int k) {
        return (k + 1) * STRIDE;
    }

    private static int busyIndex(int instance) {
        return (instance + 1) * INT_STRIDE;
    }

    private Pooled take(Pooled p) {
        busy.incrementAndGet(busyIndex(p.instance));
        return p;
    }

    void release(Pooled p) {
        busy.decrementAndGet(busyIndex(p.instance));
        int n = count;
        int start = (int) (Thread.currentThread().getId() % n);
        for (int k = 0; k < n; k++) {
            int i = slot((start + k) % n);
            if (slots.get(i) == null && slots.compareAndSet(i, null, p)) {
                return;
            }
        }
        instances.runnerClosed(p.runner);
        p.runner.close();
    }

    /** Closes every idle runner; call when no run is in flight. */
    void close() {
        for (int k = 0; k < count; k++) {
            int i = slot(k);
            Pooled p = slots.getAndSet(i, null);
            if (p != null) {
                instances.runnerClosed(p.runner);
                p.runner.close();
            }
        }
    }
}

package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.SessionRunner;
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
    /** A runner with the instance it runs on, created once per runner. */
    static final class Pooled {
        final SessionRunner runner;
        final int instance;

        Pooled(SessionRunner runner, int instance) {
            this.runner = runner;
            this.instance = instance;
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

    RunnerPool(ModelInstances instances, int size) {
        this.instances = instances;
        this.count = size;
        this.slots = new AtomicReferenceArray<>(size * STRIDE);
        this.busy = new AtomicIntegerArray(instances.maxCount() * INT_STRIDE);
    }

    Pooled acquire() {
        int n = count;
        int start = (int) (Thread.currentThread().getId() % n);
        Pooled any = null;
        for (int k = 0; k < n; k++) {
            int i = ((start + k) % n) * STRIDE;
            Pooled p = slots.get(i);
            if (p != null && busy.get(p.instance * INT_STRIDE) == 0 && slots.compareAndSet(i, p, null)) {
                return take(p);
            }
        }
        for (int k = 0; k < n && any == null; k++) {
            int i = ((start + k) % n) * STRIDE;
            if (slots.get(i) != null) {
                any = slots.getAndSet(i, null);
            }
        }
        if (any == null) {
            SessionRunner r = instances.newRunner();
            any = new Pooled(r, instances.instanceOf(r));
        }
        return take(any);
    }

    private Pooled take(Pooled p) {
        busy.incrementAndGet(p.instance * INT_STRIDE);
        return p;
    }

    void release(Pooled p) {
        busy.decrementAndGet(p.instance * INT_STRIDE);
        int n = count;
        int start = (int) (Thread.currentThread().getId() % n);
        for (int k = 0; k < n; k++) {
            int i = ((start + k) % n) * STRIDE;
            if (slots.get(i) == null && slots.compareAndSet(i, null, p)) {
                return;
            }
        }
        instances.runnerClosed(p.runner);
        p.runner.close();
    }

    /** Closes every idle runner; call when no run is in flight. */
    void close() {
        for (int i = 0; i < slots.length(); i += STRIDE) {
            Pooled p = slots.getAndSet(i, null);
            if (p != null) {
                instances.runnerClosed(p.runner);
                p.runner.close();
            }
        }
    }
}

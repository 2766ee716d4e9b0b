package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.SessionRunner;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Idle {@link SessionRunner}s of one model (over its {@link ModelInstances}), handed to concurrent callers without a lock: a caller
 * takes a runner from a slot (starting at a slot picked from its thread id, so two threads rarely touch
 * the same slot) or creates one (on the instance with the fewest runners, see {@link ModelInstances#newRunner()}); on release the runner goes back to a free slot, or is closed if all
 * slots are full. Nothing is allocated per call in steady state. Slots are spread one cache line apart
 * so two threads working on their own slots do not invalidate each other's cache line (false sharing
 * cost a measurable share of two-caller throughput).
 */
final class RunnerPool {
    private final ModelInstances instances;
    /** References per 128 bytes (two cache lines, as adjacent-line prefetch pairs them), for compressed or full oops. */
    private static final int STRIDE = 32;
    private final AtomicReferenceArray<SessionRunner> slots;
    private final int count;

    RunnerPool(ModelInstances instances, int size) {
        this.instances = instances;
        this.count = size;
        this.slots = new AtomicReferenceArray<>(size * STRIDE);
    }

    SessionRunner acquire() {
        int n = count;
        int start = (int) (Thread.currentThread().getId() % n);
        for (int k = 0; k < n; k++) {
            int i = ((start + k) % n) * STRIDE;
            if (slots.get(i) != null) {
                SessionRunner r = slots.getAndSet(i, null);
                if (r != null) {
                    return r;
                }
            }
        }
        return instances.newRunner();
    }

    void release(SessionRunner r) {
        int n = count;
        int start = (int) (Thread.currentThread().getId() % n);
        for (int k = 0; k < n; k++) {
            int i = ((start + k) % n) * STRIDE;
            if (slots.get(i) == null && slots.compareAndSet(i, null, r)) {
                return;
            }
        }
        instances.runnerClosed(r);
        r.close();
    }

    /** Closes every idle runner; call when no run is in flight. */
    void close() {
        for (int i = 0; i < slots.length(); i += STRIDE) {
            SessionRunner r = slots.getAndSet(i, null);
            if (r != null) {
                instances.runnerClosed(r);
                r.close();
            }
        }
    }
}

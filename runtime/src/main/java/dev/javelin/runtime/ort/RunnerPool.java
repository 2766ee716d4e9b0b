package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.SessionRunner;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Idle {@link SessionRunner}s of one session, handed to concurrent callers without a lock: a caller
 * takes a runner from a slot (starting at a slot picked from its thread id, so two threads rarely touch
 * the same slot) or creates one; on release the runner goes back to a free slot, or is closed if all
 * slots are full. Nothing is allocated per call in steady state.
 */
final class RunnerPool {
    private final InferenceSession session;
    private final AtomicReferenceArray<SessionRunner> slots;

    RunnerPool(InferenceSession session, int size) {
        this.session = session;
        this.slots = new AtomicReferenceArray<>(size);
    }

    SessionRunner acquire() {
        int n = slots.length();
        int start = (int) (Thread.currentThread().getId() % n);
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (slots.get(i) != null) {
                SessionRunner r = slots.getAndSet(i, null);
                if (r != null) {
                    return r;
                }
            }
        }
        return session.newRunner();
    }

    void release(SessionRunner r) {
        int n = slots.length();
        int start = (int) (Thread.currentThread().getId() % n);
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (slots.get(i) == null && slots.compareAndSet(i, null, r)) {
                return;
            }
        }
        r.close();
    }

    /** Closes every idle runner; call when no run is in flight. */
    void close() {
        for (int i = 0; i < slots.length(); i++) {
            SessionRunner r = slots.getAndSet(i, null);
            if (r != null) {
                r.close();
            }
        }
    }
}

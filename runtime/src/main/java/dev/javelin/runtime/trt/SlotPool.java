package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.runtime.NativeFailureException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The run slots of a TensorRT model (an engine's {@link ExecutionSlot}s, a partition plan's {@link PlanSlot}s): at most
 * {@code permits} runs at once, each on a slot of its own, created on first need and reused by later runs.
 */
final class SlotPool<S extends AutoCloseable> {
    private final Semaphore permits;
    private final Supplier<S> factory;
    private final String what;
    private final ConcurrentLinkedDeque<S> idle = new ConcurrentLinkedDeque<>();
    private final List<S> all = new ArrayList<>();

    /**
     * @param permits how many runs may hold a slot at once; the others wait
     * @param factory creates a slot (the caller's resources stay borrowed)
     * @param what    what a slot is, for the log when closing one fails
     */
    SlotPool(int permits, Supplier<S> factory, String what) {
        this.permits = new Semaphore(permits);
        this.factory = factory;
        this.what = what;
    }

    /** Runs {@code work} on an idle slot (waiting for a permit); a failed native call becomes a {@link NativeFailureException}. */
    <R> R run(Function<S, R> work) {
        permits.acquireUninterruptibly();
        S slot = null;
        try {
            slot = idle.poll();
            if (slot == null) {
                slot = factory.get();
                synchronized (all) {
                    all.add(slot);
                }
            }
            return work.apply(slot);
        } catch (NativeCallException e) {
            throw new NativeFailureException(e.getMessage(), e);
        } finally {
            if (slot != null) {
                idle.push(slot);
            }
            permits.release();
        }
    }

    /** Closes every slot, newest first; a failure is logged on {@code log} and closing goes on. */
    void close(Logger log) {
        synchronized (all) {
            for (int i = all.size() - 1; i >= 0; i--) {
                try {
                    all.get(i).close();
                } catch (Exception e) {
                    log.warn("closing a {} failed: {}", what, e.toString());
                }
            }
            all.clear();
        }
        idle.clear();
    }
}

package dev.javelin.runtime;

import dev.javelin.runtime.memory.ThreadCells;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts calls in flight so that {@link #closeAndDrain()} can wait for them, without making concurrent
 * callers share one counter. A single {@code AtomicLong} incremented and decremented by every call
 * moves its cache line between cores twice per call: with two callers on a tiny model that cost
 * 20-50 ns of a ~1.5 us call (perf, {@code run(Map)} on Add 1x16). Here each thread counts on a cell
 * picked from its id, cells one 128-byte stride apart (adjacent-line prefetch pairs 64-byte lines).
 *
 * <p>Why closing cannot miss a call: {@link #enter()} increments its cell, then reads {@code closing};
 * {@link #closeAndDrain()} sets {@code closing}, then reads every cell. All four are volatile accesses,
 * which the Java memory model orders totally: if the drain read a cell before an increment, that
 * increment, and the {@code closing} read after it, come after {@code closing} was set, so the call
 * sees it and backs out. A cell read as non-zero is read again until it drains.
 *
 * <p>{@link #exit()} must run on the thread that called {@link #enter()} (it finds the same cell).
 */
final class InFlightGate {
    /** longs per 128 bytes */
    private static final int STRIDE = 16;

    private final AtomicLongArray cells;
    private volatile boolean closing;

    InFlightGate() {
        // One stride of padding in front of the first cell.
        this.cells = new AtomicLongArray((ThreadCells.count() + 1) * STRIDE);
    }

    private int cell() {
        return (ThreadCells.of(Thread.currentThread().getId()) + 1) * STRIDE;
    }

    /** Counts a call in; returns false (counting nothing) if closing has begun. */
    boolean enter() {
        int i = cell();
        cells.getAndIncrement(i);
        if (closing) {
            cells.getAndDecrement(i);
            return false;
        }
        return true;
    }

    /** Counts a call out; call on the thread whose {@link #enter()} returned true. */
    void exit() {
        cells.getAndDecrement(cell());
    }

    boolean isClosing() {
        return closing;
    }

    /**
     * Stops new calls and waits until the calls in flight have left. Returns false if another thread
     * already began closing (that thread drains).
     */
    synchronized boolean closeAndDrain() {
        if (closing) {
            return false;
        }
        closing = true;
        for (int i = STRIDE; i < cells.length(); i += STRIDE) {
            while (cells.get(i) != 0) {
                LockSupport.parkNanos(50_000);
            }
        }
        return true;
    }
}

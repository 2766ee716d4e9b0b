package dev.javelin.runtime.exec;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and histograms of one {@link ModelExecutor}, updated without locks by its workers;
 * {@link #snapshot()} reads them. Times are in nanoseconds.
 */
final class ExecutorMetrics {
    final LongAdder completed = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder queueFull = new LongAdder();
    final LongAdder timedOut = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final LongAdder batches = new LongAdder();
    final LongAdder h2dNanos = new LongAdder();
    final LongAdder d2hNanos = new LongAdder();
    final Histogram queue = new Histogram();
    final Histogram compute = new Histogram();
    final Histogram latency = new Histogram();
    final AtomicLongArray batchSizes;

    ExecutorMetrics(int maxBatch) {
        this.batchSizes = new AtomicLongArray(maxBatch + 1);
    }

    void batch(int rows) {
        batches.increment();
        batchSizes.incrementAndGet(Math.min(rows, batchSizes.length() - 1));
    }

    MetricsSnapshot snapshot(boolean gpu) {
        long[] sizes = new long[batchSizes.length()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = batchSizes.get(i);
        }
        return new MetricsSnapshot(completed.sum(), failed.sum(), queueFull.sum(), timedOut.sum(), cancelled.sum(),
                batches.sum(), sizes, queue.snapshot(), compute.snapshot(), latency.snapshot(), gpu,
                h2dNanos.sum(), d2hNanos.sum());
    }
}

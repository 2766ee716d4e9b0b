package dev.javelin.runtime.exec;

import java.util.Arrays;

/**
 * What a {@link ModelExecutor} has done so far, as of one moment. Times are nanoseconds.
 *
 * @param completed      requests that returned a result
 * @param failed         requests whose execution failed (backend error)
 * @param rejectedFull   submissions rejected because the queue was full
 * @param timedOut       requests whose deadline passed
 * @param cancelled      requests cancelled by the caller
 * @param batches        executions of the model (one per batch; without batching one per request)
 * @param batchSizes     executions by rows merged: {@code batchSizes[n]} executions had {@code n} rows
 *                       (the last slot also counts larger unbatched requests)
 * @param queue          submission to execution start, per request
 * @param compute        execution (copy in, run, copy out) per batch
 * @param latency        submission to result, per completed request
 * @param gpuTransfers   whether the backend copies between host and device (H2D/D2H fields meaningful)
 * @param h2dNanos       total host-to-device copy time (0 on host backends)
 * @param d2hNanos       total device-to-host copy time (0 on host backends)
 */
public record MetricsSnapshot(long completed, long failed, long rejectedFull, long timedOut, long cancelled,
                              long batches, long[] batchSizes, Histogram.Snapshot queue, Histogram.Snapshot compute,
                              Histogram.Snapshot latency, boolean gpuTransfers, long h2dNanos, long d2hNanos) {
    /** All requests that reached an end: completed, failed, timed out or cancelled (queue-full ones never entered). */
    public long finished() {
        return completed + failed + timedOut + cancelled;
    }

    /** Mean rows per execution. */
    public double meanBatch() {
        long n = 0;
        long rows = 0;
        for (int i = 0; i < batchSizes.length; i++) {
            n += batchSizes[i];
            rows += (long) i * batchSizes[i];
        }
        return n == 0 ? 0 : (double) rows / n;
    }

    @Override
    public String toString() {
        return "MetricsSnapshot[completed=" + completed + ", failed=" + failed + ", queueFull=" + rejectedFull
                + ", timedOut=" + timedOut + ", cancelled=" + cancelled + ", batches=" + batches
                + ", batchSizes=" + Arrays.toString(batchSizes) + ", latency=" + latency + "]";
    }
}

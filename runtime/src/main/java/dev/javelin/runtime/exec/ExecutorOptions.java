package dev.javelin.runtime.exec;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ModelExecutor} schedules requests. Immutable; start from {@link #defaults()} or {@link #builder()}.
 *
 * @param lanes          concurrent executions of the model (each a lane with its own bound buffers); 0 picks
 *                       a default from the backend and threading ({@link ModelExecutor#defaultLanes})
 * @param queueCapacity  requests that may wait; a submission beyond it is rejected with
 *                       {@link dev.javelin.runtime.RejectedException.Reason#QUEUE_FULL}
 * @param maxBatch       most rows (dimension 0) merged into one execution; 1 turns dynamic batching off
 * @param maxQueueDelay  longest a request waits for others to join its batch
 * @param timeout        default per-request deadline from submission; {@link Duration#ZERO} for none
 * @param ordered        whether each submitting thread sees its results complete in submission order
 * @param lanesPerWorker lanes (one per distinct input shape set) each worker keeps bound; least recently used
 *                       beyond it are closed
 */
public record ExecutorOptions(int lanes, int queueCapacity, int maxBatch, Duration maxQueueDelay, Duration timeout,
                              boolean ordered, int lanesPerWorker) {
    public ExecutorOptions {
        Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
        Objects.requireNonNull(timeout, "timeout");
        if (lanes < 0) {
            throw new IllegalArgumentException("lanes must be >= 0 (0 = default), was " + lanes);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be >= 1, was " + queueCapacity);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1 (1 = no batching), was " + maxBatch);
        }
        if (maxQueueDelay.isNegative() || timeout.isNegative()) {
            throw new IllegalArgumentException("maxQueueDelay and timeout must not be negative");
        }
        if (lanesPerWorker < 1) {
            throw new IllegalArgumentException("lanesPerWorker must be >= 1, was " + lanesPerWorker);
        }
    }

    /** Default lanes, 1024 queued requests, no batching, no timeout, ordered per caller, 16 lanes per worker. */
    public static ExecutorOptions defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether dynamic batching is asked for. */
    public boolean batching() {
        return maxBatch > 1;
    }

    /** Builder for {@link ExecutorOptions}. */
    public static final class Builder {
        private int lanes;
        private int queueCapacity = 1024;
        private int maxBatch = 1;
        private Duration maxQueueDelay = Duration.ZERO;
        private Duration timeout = Duration.ZERO;
        private boolean ordered = true;
        private int lanesPerWorker = 16;

        private Builder() {
        }

        /** Sets the lane count (0 = default). */
        public Builder lanes(int n) {
            this.lanes = n;
            return this;
        }

        /** Sets the queue capacity. */
        public Builder queueCapacity(int n) {
            this.queueCapacity = n;
            return this;
        }

        /** Turns on dynamic batching: up to {@code maxBatch} rows, waiting at most {@code maxQueueDelay}. */
        public Builder batching(int maxBatch, Duration maxQueueDelay) {
            this.maxBatch = maxBatch;
            this.maxQueueDelay = maxQueueDelay;
            return this;
        }

        /** Sets the default per-request timeout ({@link Duration#ZERO}: none). */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Sets whether results complete in submission order per submitting thread. */
        public Builder ordered(boolean ordered) {
            this.ordered = ordered;
            return this;
        }

        /** Sets how many shape-specific lanes each worker keeps. */
        public Builder lanesPerWorker(int n) {
            this.lanesPerWorker = n;
            return this;
        }

        /** Builds the options. */
        public ExecutorOptions build() {
            return new ExecutorOptions(lanes, queueCapacity, maxBatch, maxQueueDelay, timeout, ordered, lanesPerWorker);
        }
    }
}

package dev.javelin.runtime.exec;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free log-linear histogram of non-negative values (nanoseconds here): each power of two is split into
 * 32 sub-buckets, so a reported percentile is within about 3% of the true value (it is the upper edge of the
 * bucket that holds the rank, never below the true value by more than one bucket). Recording is one atomic
 * increment; no allocation.
 */
public final class Histogram {
    private static final int SUB_BITS = 5;
    private static final int SUB = 1 << SUB_BITS;
    private final AtomicLongArray counts = new AtomicLongArray(64 * SUB);
    private final LongAdder total = new LongAdder();
    private final LongAdder sum = new LongAdder();
    private final AtomicLongArray minMax = new AtomicLongArray(new long[] {Long.MAX_VALUE, 0});

    /** Records one value (negative values count as 0). */
    public void record(long value) {
        long v = Math.max(0, value);
        counts.incrementAndGet(index(v));
        total.increment();
        sum.add(v);
        long m;
        while (v < (m = minMax.get(0)) && !minMax.compareAndSet(0, m, v)) {
            Thread.onSpinWait();
        }
        while (v > (m = minMax.get(1)) && !minMax.compareAndSet(1, m, v)) {
            Thread.onSpinWait();
        }
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int exp = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
        int sub = (int) (v >>> (exp - SUB_BITS)) & (SUB - 1);
        return (exp - SUB_BITS + 1) * SUB + sub;
    }

    /** The largest value that falls in bucket {@code i}. */
    static long upperEdge(int i) {
        if (i < SUB) {
            return i;
        }
        int exp = i / SUB + SUB_BITS - 1;
        long sub = i % SUB;
        long lower = (1L << exp) | (sub << (exp - SUB_BITS));
        return lower + (1L << (exp - SUB_BITS)) - 1;
    }

    /** A consistent-enough copy of the counters (concurrent records may land on either side). */
    public Snapshot snapshot() {
        long[] c = new long[counts.length()];
        long n = 0;
        for (int i = 0; i < c.length; i++) {
            c[i] = counts.get(i);
            n += c[i];
        }
        long min = n == 0 ? 0 : minMax.get(0);
        long max = minMax.get(1);
        double mean = n == 0 ? 0 : (double) sum.sum() / Math.max(1, total.sum());
        return summarize(c, n, min, max, mean);
    }

    private static Snapshot summarize(long[] c, long n, long min, long max, double mean) {
        return new Snapshot(n, min, max, mean, percentile(c, n, 0.50, max), percentile(c, n, 0.90, max),
                percentile(c, n, 0.99, max), percentile(c, n, 0.999, max), c);
    }

    private static long percentile(long[] c, long n, double q, long max) {
        if (n == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * n);
        long seen = 0;
        for (int i = 0; i < c.length; i++) {
            seen += c[i];
            if (seen >= rank) {
                return Math.min(upperEdge(i), max);
            }
        }
        return max;
    }

    /**
     * Summary of a histogram.
     *
     * @param count values recorded
     * @param min   smallest value
     * @param max   largest value
     * @param mean  exact mean
     * @param p50   median (bucket upper edge, capped at max)
     * @param p90   90th percentile
     * @param p99   99th percentile
     * @param p999  99.9th percentile
     * @param buckets the bucket counts behind the percentiles (kept so that {@link #since} can subtract an
     *                earlier snapshot, e.g. to leave a warm-up out of a measurement)
     */
    public record Snapshot(long count, long min, long max, double mean, long p50, long p90, long p99, long p999,
                           long[] buckets) {
        /**
         * What was recorded between {@code before} and this snapshot (both of the same histogram). Percentiles
         * are recomputed from the bucket differences; min and max become the edges of the lowest and highest
         * non-empty bucket (exact values are not kept per bucket), capped by this snapshot's max.
         */
        public Snapshot since(Snapshot before) {
            long[] c = new long[buckets.length];
            long n = 0;
            int lo = -1;
            int hi = -1;
            for (int i = 0; i < c.length; i++) {
                c[i] = buckets[i] - before.buckets[i];
                n += c[i];
                if (c[i] > 0) {
                    lo = lo < 0 ? i : lo;
                    hi = i;
                }
            }
            if (n == 0) {
                return summarize(c, 0, 0, 0, 0);
            }
            double m = (mean * count - before.mean * before.count) / n;
            long mx = Math.min(upperEdge(hi), max);
            return summarize(c, n, Math.min(upperEdge(lo), mx), mx, m);
        }

        @Override
        public String toString() {
            return "Snapshot[count=" + count + ", min=" + min + ", max=" + max + ", mean=" + mean + ", p50=" + p50
                    + ", p90=" + p90 + ", p99=" + p99 + ", p999=" + p999 + "]";
        }
    }
}

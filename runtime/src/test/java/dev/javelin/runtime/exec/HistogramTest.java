package dev.javelin.runtime.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HistogramTest {
    /** Percentiles within one bucket (~3%) of the exact nearest-rank value, and since() leaves earlier values out. */
    @Test
    void percentilesAndDifferenceAgainstSortedReference() {
        Histogram h = new Histogram();
        long[] warm = new long[1000];
        for (int i = 0; i < warm.length; i++) {
            warm[i] = 1_000_000L + i * 1000L; // 1..2 ms
            h.record(warm[i]);
        }
        Histogram.Snapshot before = h.snapshot();
        long[] later = new long[2000];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < later.length; i++) {
            later[i] = 10_000 + r.nextInt(90_000); // 10..100 us
            h.record(later[i]);
        }
        Histogram.Snapshot d = h.snapshot().since(before);
        long[] sorted = later.clone();
        Arrays.sort(sorted);
        assertEquals(2000, d.count());
        assertEquals(Arrays.stream(later).average().orElseThrow(), d.mean(), 1e-6);
        for (double[] q : new double[][] {{0.5, d.p50()}, {0.9, d.p90()}, {0.99, d.p99()}}) {
            long exact = sorted[(int) Math.ceil(q[0] * sorted.length) - 1];
            assertTrue(q[1] >= exact && q[1] <= exact * 1.04, "q" + q[0] + ": " + q[1] + " vs exact " + exact);
        }
        assertTrue(d.max() < 1_000_000L, "warm-up values left out: max " + d.max());
        assertTrue(h.snapshot().p99() >= 1_900_000L, "the whole histogram still has the warm-up tail");
    }
}

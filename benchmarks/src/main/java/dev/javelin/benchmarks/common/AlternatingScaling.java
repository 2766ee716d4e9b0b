package dev.javelin.benchmarks.common;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Two-caller scaling measured in alternating windows: the same two threads run throughout, the second one
 * parked during the one-caller windows, and each pair of windows (one caller, then two) gives its own ratio.
 * Load from other tenants of a shared machine drifts over seconds; the harnesses' sequential measurement (one
 * window of one caller, then one of two fresh callers) takes each drift straight into its single ratio, while
 * here a drift moves both windows of a pair alike, and the spread over pairs shows how noisy the machine was.
 * Plain Java like {@link Load}, so both harnesses use the same code.
 */
public final class AlternatingScaling {
    private AlternatingScaling() {
    }

    /** Longs between the two threads' counters (128 bytes), so their stores do not share a cache line. */
    private static final int PAD = 16;

    /** Pairs of windows both harnesses measure, and each window's length. */
    public static final int PAIRS = 8;
    public static final long WINDOW_MS = 500;

    /** {@link #measure(Load.Call, Load.Call, int, long)} with {@link #PAIRS} pairs of {@link #WINDOW_MS} windows. */
    public static Map<String, Object> measure(Load.Call first, Load.Call second) throws Exception {
        return measure(first, second, PAIRS, WINDOW_MS);
    }

    /**
     * Runs {@code first} and {@code second} (the two callers' loops, each on its own thread and its own
     * inputs) for a 1 s warm-up with both running, then {@code pairs} pairs of {@code windowMillis} windows:
     * one caller, then both. Returns the median, minimum and maximum ratio over the pairs and the median
     * calls/s of each window kind.
     */
    public static Map<String, Object> measure(Load.Call first, Load.Call second, int pairs, long windowMillis)
            throws Exception {
        AtomicLongArray calls = new AtomicLongArray(3 * PAD);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // 2: both threads run; 1: only the first; 0: both stop.
        AtomicInteger active = new AtomicInteger(2);
        Thread[] threads = new Thread[2];
        Load.Call[] loops = {first, second};
        for (int t = 0; t < 2; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                int slot = (id + 1) * PAD;
                long n = 0;
                try {
                    while (true) {
                        int a = active.get();
                        if (a == 0) {
                            return;
                        }
                        if (a > id) {
                            // A block of calls per check keeps the shared flag's reads out of the per-call cost.
                            for (int k = 0; k < 256; k++) {
                                loops[id].call();
                            }
                            n += 256;
                            calls.setOpaque(slot, n);
                        } else {
                            LockSupport.parkNanos(1_000_000);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "alternating-caller-" + t);
            threads[t].start();
        }
        List<Double> ratios = new ArrayList<>();
        List<Double> ones = new ArrayList<>();
        List<Double> twos = new ArrayList<>();
        try {
            Thread.sleep(1000);
            for (int p = 0; p < pairs && failure.get() == null; p++) {
                double[] rate = new double[3];
                for (int k = 1; k <= 2; k++) {
                    active.set(k);
                    Thread.sleep(100); // the second thread wakes or parks, and blocks in flight finish
                    long c0 = calls.getOpaque(PAD) + calls.getOpaque(2 * PAD);
                    long t0 = System.nanoTime();
                    Thread.sleep(windowMillis);
                    long c1 = calls.getOpaque(PAD) + calls.getOpaque(2 * PAD);
                    long t1 = System.nanoTime();
                    rate[k] = (c1 - c0) / ((t1 - t0) / 1e9);
                }
                ones.add(rate[1]);
                twos.add(rate[2]);
                ratios.add(rate[2] / rate[1]);
            }
        } finally {
            active.set(0);
            for (Thread t : threads) {
                t.join();
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a caller failed", failure.get());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pairs", ratios.size());
        m.put("window_ms", windowMillis);
        m.put("scaling_median", round2(median(ratios)));
        m.put("scaling_min", round2(Collections.min(ratios)));
        m.put("scaling_max", round2(Collections.max(ratios)));
        m.put("calls_per_s_1_median", Math.round(median(ones)));
        m.put("calls_per_s_2_median", Math.round(median(twos)));
        return m;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}

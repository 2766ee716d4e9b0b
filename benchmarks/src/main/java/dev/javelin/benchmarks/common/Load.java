package dev.javelin.benchmarks.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Closed-loop load shared by both harnesses: N client threads, each sending its next request as soon as
 * the previous one returned (16 users each waiting for their answer). Plain Java, like {@link Samples}.
 */
public final class Load {
    private Load() {
    }

    /** One client's request; may throw anything (the run fails with it). */
    @FunctionalInterface
    public interface Call {
        void call() throws Exception;
    }

    /** What a run measured: requests per second over the measured window and each request's latency. */
    public record Outcome(double perSecond, Samples latency) {
        /** Throughput and latency as JSON-ready values. */
        public Map<String, Object> summary() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("per_s", Math.round(perSecond * 10) / 10.0);
            m.putAll(latency.summaryMicros());
            return m;
        }
    }

    /**
     * Runs {@code clients} threads, each calling its own {@code perClient.apply(i)} in a loop: {@code warmup}
     * seconds unmeasured, then {@code measure} seconds measured.
     */
    public static Outcome closedLoop(int clients, double warmup, double measure, IntFunction<Call> perClient)
            throws InterruptedException {
        List<Samples> samples = new ArrayList<>();
        long[] counts = new long[clients];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(clients);
        long start = System.nanoTime();
        long from = start + (long) (warmup * 1e9);
        long to = from + (long) (measure * 1e9);
        for (int c = 0; c < clients; c++) {
            Samples s = new Samples(1 << 14);
            samples.add(s);
            int id = c;
            Thread t = new Thread(() -> {
                try {
                    Call call = perClient.apply(id);
                    long n = 0;
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= to || failure.get() != null) {
                            break;
                        }
                        call.call();
                        long t1 = System.nanoTime();
                        // Completions inside the window count (throughput = completions / window).
                        if (t1 >= from && t1 <= to) {
                            s.add(t1 - t0);
                            n++;
                        }
                    }
                    counts[id] = n;
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }, "client-" + c);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        if (failure.get() != null) {
            throw new IllegalStateException("a client failed", failure.get());
        }
        Samples all = new Samples(1 << 16);
        long total = 0;
        for (int c = 0; c < clients; c++) {
            total += counts[c];
            Samples s = samples.get(c);
            for (int i = 0; i < s.count(); i++) {
                all.add(s.get(i));
            }
        }
        return new Outcome(total / measure, all);
    }
}

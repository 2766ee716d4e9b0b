package dev.javelin.benchmarks.common;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Times two models against each other by calling them alternately (first, second, first, ...) for a fixed time, so
 * both see the same machine load; used for the FP32 / INT8 comparison by the Javelin harness and the
 * official-ONNX-Runtime harness alike. Plain Java: the latter's JVM must not load any Javelin class.
 */
public final class PairedTiming {
    /** One inference; whatever it returns has been released when it returns. */
    @FunctionalInterface
    public interface Call {
        void run() throws Exception;
    }

    private PairedTiming() {
    }

    /**
     * Warms both up (10 calls each), then alternates them for {@code seconds}.
     *
     * @return {@code fp32_p50_ms}, {@code int8_p50_ms}, {@code speedup} (p50 ratio), {@code fp32_p90_ms},
     *         {@code int8_p90_ms} and {@code pairs}
     */
    public static Map<String, Object> fp32VsInt8(Call fp32, Call int8, double seconds) throws Exception {
        Samples f = new Samples(1 << 16);
        Samples q = new Samples(1 << 16);
        for (int i = 0; i < 10; i++) {
            fp32.run();
            int8.run();
        }
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            fp32.run();
            long t1 = System.nanoTime();
            int8.run();
            f.add(t1 - t0);
            q.add(System.nanoTime() - t1);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        double pf = f.percentile(50) / 1e6;
        double pq = q.percentile(50) / 1e6;
        r.put("fp32_p50_ms", Math.round(pf * 100) / 100.0);
        r.put("int8_p50_ms", Math.round(pq * 100) / 100.0);
        r.put("speedup", Math.round(pf / pq * 100) / 100.0);
        r.put("fp32_p90_ms", Math.round(f.percentile(90) / 1e4) / 100.0);
        r.put("int8_p90_ms", Math.round(q.percentile(90) / 1e4) / 100.0);
        r.put("pairs", f.count());
        return r;
    }
}

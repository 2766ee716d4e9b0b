package dev.javelin.benchmarks.common;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Latency samples in nanoseconds with percentile read-out. Plain Java on purpose: both the Javelin
 * harness and the official-ONNX-Runtime harness use it, and the latter runs in a JVM that must not
 * load any Javelin (or bytedeco) class.
 */
public final class Samples {
    private long[] values;
    private int size;

    public Samples(int capacity) {
        values = new long[Math.max(16, capacity)];
    }

    public void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = nanos;
    }

    public int count() {
        return size;
    }

    /** The i-th sample in recording order. */
    public long get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return values[i];
    }

    /** The p-th percentile (0..100) by nearest rank, in nanoseconds. */
    public long percentile(double p) {
        if (size == 0) {
            throw new IllegalStateException("no samples");
        }
        long[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * size);
        return sorted[Math.min(size - 1, Math.max(0, rank - 1))];
    }

    public double meanNanos() {
        long sum = 0;
        for (int i = 0; i < size; i++) {
            sum += values[i];
        }
        return size == 0 ? 0 : (double) sum / size;
    }

    /** p50/p90/p99 and mean in microseconds, for JSON output. */
    public Map<String, Object> summaryMicros() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", size);
        m.put("p50_us", micros(percentile(50)));
        m.put("p90_us", micros(percentile(90)));
        m.put("p99_us", micros(percentile(99)));
        m.put("mean_us", Math.round(meanNanos() / 10.0) / 100.0);
        return m;
    }

    private static double micros(long nanos) {
        return Math.round(nanos / 10.0) / 100.0;
    }

    /** Peak resident set size of this process in MiB (VmHWM), or -1 where /proc is absent. */
    public static double peakRssMiB() {
        return procStatusKiB("VmHWM:") / 1024.0;
    }

    /** Current resident set size in MiB (VmRSS). */
    public static double rssMiB() {
        return procStatusKiB("VmRSS:") / 1024.0;
    }

    private static double procStatusKiB(String key) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1024;
        }
        return -1024;
    }

    /** Minimal JSON for flat maps of numbers, strings and nested flat maps. */
    public static String toJson(Map<String, ?> map) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, ?> e : map.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(e.getKey()).append("\":");
            Object v = e.getValue();
            if (v instanceof Map<?, ?> nested) {
                @SuppressWarnings("unchecked")
                Map<String, ?> n = (Map<String, ?>) nested;
                sb.append(toJson(n));
            } else if (v instanceof Number) {
                sb.append(String.format(Locale.ROOT, "%s", v));
            } else {
                sb.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return sb.append('}').toString();
    }
}

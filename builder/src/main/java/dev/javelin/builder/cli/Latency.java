package dev.javelin.builder.cli;

import java.util.Arrays;
import java.util.Locale;

/**
 * Latencies of a first (cold) call and of warm calls after it, as the CLI prints them.
 *
 * @param firstNanos the first call, which includes one-time work (allocation, kernel selection)
 * @param warmNanos  the following calls, in order
 */
public record Latency(long firstNanos, long[] warmNanos) {

    /** Median of the warm calls, or the first call if there were none. */
    public long medianNanos() {
        if (warmNanos.length == 0) {
            return firstNanos;
        }
        long[] s = warmNanos.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /** {@code first 41.2 ms; warm (10 runs): median 12.1 ms, min 11.9 ms, max 13.0 ms}. */
    public String summary() {
        StringBuilder sb = new StringBuilder("first ").append(ms(firstNanos));
        if (warmNanos.length > 0) {
            long[] s = warmNanos.clone();
            Arrays.sort(s);
            sb.append("; warm (").append(s.length).append(s.length == 1 ? " run" : " runs").append("): median ")
                    .append(ms(medianNanos())).append(", min ").append(ms(s[0])).append(", max ")
                    .append(ms(s[s.length - 1]));
        }
        return sb.toString();
    }

    /** Milliseconds with three significant digits at most, e.g. {@code 0.0412 ms}, {@code 3.21 ms}, {@code 812 ms}. */
    public static String ms(long nanos) {
        double ms = nanos / 1e6;
        if (ms >= 100) {
            return String.format(Locale.ROOT, "%.0f ms", ms);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.1f ms", ms);
        }
        if (ms >= 1) {
            return String.format(Locale.ROOT, "%.2f ms", ms);
        }
        return String.format(Locale.ROOT, "%.3g ms", ms);
    }
}

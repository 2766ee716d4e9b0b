package dev.javelin.builder.precision;

import java.util.Locale;

/**
 * How an activation's clipping range ({@code amax}, the value that maps to int8 127) is chosen from what
 * calibration observed.
 */
public enum Calibrator {
    /** The largest absolute value seen: nothing clips, outliers cost resolution. */
    MAX,
    /** The given percentile of absolute values (e.g. 99.99): the rarest values clip. */
    PERCENTILE,
    /**
     * The threshold that minimizes the KL divergence between the clipped histogram and its 128-level
     * quantization (TensorRT's legacy entropy calibrator; see {@link EntropyCalibration}).
     */
    ENTROPY;

    /** Whether this calibrator needs a histogram (a second pass over the data), not just the maximum. */
    public boolean needsHistogram() {
        return this != MAX;
    }

    /** The lower-case name used on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code max}, {@code percentile} or {@code entropy} (any case).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Calibrator parse(String s) {
        for (Calibrator c : values()) {
            if (c.label().equalsIgnoreCase(s.trim())) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown calibrator '" + s + "'; expected max, percentile or entropy");
    }
}

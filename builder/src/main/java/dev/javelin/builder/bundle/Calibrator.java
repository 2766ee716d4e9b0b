package dev.javelin.builder.bundle;

import java.util.Locale;

/** How INT8 activation ranges are chosen from calibration statistics. */
public enum Calibrator {
    /** The largest absolute value seen. */
    MAX,
    /** A high percentile of absolute values (e.g. 99.99), ignoring outliers. */
    PERCENTILE,
    /** The range minimising the KL divergence of the quantized histogram, as TensorRT's entropy calibrator. */
    ENTROPY;

    /** {@code max}, {@code percentile} or {@code entropy}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The calibrator named {@code text}.
     *
     * @throws IllegalArgumentException listing the choices
     */
    public static Calibrator parse(String text) {
        for (Calibrator c : values()) {
            if (c.label().equalsIgnoreCase(text.trim())) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown calibrator '" + text + "'; expected max, percentile or entropy");
    }
}

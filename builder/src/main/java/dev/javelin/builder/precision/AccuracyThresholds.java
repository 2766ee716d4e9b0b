package dev.javelin.builder.precision;

import java.util.Objects;

/**
 * When an output passes an accuracy comparison: no element fails {@code tolerance} (Polygraphy's
 * element-wise rule), and, when set, the lowest per-sample cosine similarity and the top-1 agreement reach
 * their minimums.
 *
 * @param tolerance the element check
 * @param minCosine lowest acceptable per-sample cosine similarity, or NaN not to check it
 * @param minTop1   lowest acceptable top-1 agreement (0..1) for classifier-like outputs, or NaN not to check it
 */
public record AccuracyThresholds(AccuracyTolerance tolerance, double minCosine, double minTop1) {
    public AccuracyThresholds {
        Objects.requireNonNull(tolerance, "tolerance");
        if (!Double.isNaN(minCosine) && !(minCosine >= -1 && minCosine <= 1)) {
            throw new IllegalArgumentException("minCosine must be in [-1, 1] or NaN, got " + minCosine);
        }
        if (!Double.isNaN(minTop1) && !(minTop1 >= 0 && minTop1 <= 1)) {
            throw new IllegalArgumentException("minTop1 must be in [0, 1] or NaN, got " + minTop1);
        }
    }

    /** Only the element check. */
    public static AccuracyThresholds of(AccuracyTolerance tolerance) {
        return new AccuracyThresholds(tolerance, Double.NaN, Double.NaN);
    }

    /** Only the element check, with these tolerances. */
    public static AccuracyThresholds of(double atol, double rtol) {
        return of(new AccuracyTolerance(atol, rtol));
    }
}

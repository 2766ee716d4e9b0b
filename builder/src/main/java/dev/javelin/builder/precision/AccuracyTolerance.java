package dev.javelin.builder.precision;

/**
 * Element-wise comparison with Polygraphy's semantics: an element fails only if its absolute error exceeds
 * {@code atol} AND its relative error exceeds {@code rtol}. So small values may be off by {@code atol} and
 * large values by {@code rtol} of themselves, which is what float16/int8 results need (a pure relative test
 * fails near zero, a pure absolute one on large outputs).
 *
 * <p>The relative error is taken against the reference: {@code |candidate - reference| / |reference|}, with a
 * zero reference replaced by 2.2e-16 as Polygraphy does. Special values: NaN against NaN and an infinity
 * against the same infinity are equal (error 0); any other pairing with NaN or an infinity has an infinite or
 * NaN error and fails.
 *
 * @param atol absolute tolerance, >= 0
 * @param rtol relative tolerance, >= 0
 */
public record AccuracyTolerance(double atol, double rtol) {
    /** Polygraphy's default tolerances (1e-5 each), right for float32 against float32. */
    public static final AccuracyTolerance DEFAULT = new AccuracyTolerance(1e-5, 1e-5);
    /** What a zero reference is replaced with in the relative error (double epsilon, as Polygraphy). */
    static final double ZERO_REFERENCE = 2.220446049250313e-16;

    public AccuracyTolerance {
        if (!(atol >= 0) || !(rtol >= 0)) {
            throw new IllegalArgumentException("tolerances must be >= 0, got atol=" + atol + " rtol=" + rtol);
        }
    }

    /** {@code |candidate - reference|}, 0 for equal NaNs or equal infinities. */
    public static double absoluteError(double reference, double candidate) {
        if (reference == candidate || (Double.isNaN(reference) && Double.isNaN(candidate))) {
            return 0; // also equal infinities, whose difference would be NaN
        }
        return Math.abs(candidate - reference);
    }

    /** {@code absoluteError / |reference|}, the reference floored at 2.2e-16 when it is 0. */
    public static double relativeError(double reference, double candidate) {
        double abs = absoluteError(reference, candidate);
        if (abs == 0) {
            return 0;
        }
        double denominator = reference == 0 ? ZERO_REFERENCE : Math.abs(reference);
        return abs / denominator;
    }

    /** Whether the element fails: both errors above their tolerance (NaN errors count as above). */
    public boolean fails(double reference, double candidate) {
        double abs = absoluteError(reference, candidate);
        if (abs <= atol) {
            return false;
        }
        return !(relativeError(reference, candidate) <= rtol);
    }
}

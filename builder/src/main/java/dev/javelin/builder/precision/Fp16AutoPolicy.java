package dev.javelin.builder.precision;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The automatic part of FP16 conversion: keeps in float32 every node whose float inputs or outputs
 * reached, on sample data, magnitudes float16 cannot hold safely.
 *
 * <p>The input is the largest absolute value seen per tensor name (collected by running the float32 model
 * on sample data with its intermediate tensors exposed). A tensor is unsafe when that maximum exceeds
 * {@code 65504 / margin}: 65504 is float16's largest finite value, and the margin (default
 * {@value #DEFAULT_MARGIN}, i.e. two binades of headroom, a safe limit of 16376) allows for inputs the
 * samples did not cover producing larger activations — calibration sets are small, and an activation that
 * already uses a quarter of the range on them is likely to overflow on some real input. NaN or infinite
 * maxima (the float32 model itself overflowed) are unsafe too. Tensors absent from the map give no
 * evidence either way and never keep a node in float32.
 *
 * <p>Only overflow is checked: small magnitudes lose relative precision in float16 (below 6.1e-5 values
 * are subnormal) but their absolute error stays below 6e-8, which does not grow through the graph the way
 * an infinity does.
 */
public final class Fp16AutoPolicy {
    /** Largest finite float16 value. */
    public static final double FLOAT16_MAX = 65504;
    /** Default headroom factor between the observed maximum and {@link #FLOAT16_MAX}. */
    public static final double DEFAULT_MARGIN = 4;

    private final Map<String, Double> maxAbs;
    private final double margin;
    private final double limit;

    /**
     * @param maxAbs largest absolute value observed per tensor name
     * @param margin headroom factor, at least 1: tensors above {@code 65504 / margin} are unsafe
     */
    public Fp16AutoPolicy(Map<String, Double> maxAbs, double margin) {
        this.maxAbs = Map.copyOf(Objects.requireNonNull(maxAbs, "maxAbs"));
        if (!(margin >= 1) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("margin must be a finite number >= 1, got " + margin);
        }
        this.margin = margin;
        this.limit = FLOAT16_MAX / margin;
    }

    /** A policy with {@link #DEFAULT_MARGIN}. */
    public Fp16AutoPolicy(Map<String, Double> maxAbs) {
        this(maxAbs, DEFAULT_MARGIN);
    }

    /** The largest magnitude considered safe: {@code 65504 / margin}. */
    public double limit() {
        return limit;
    }

    /** The headroom factor. */
    public double margin() {
        return margin;
    }

    /** Whether the observed range of {@code tensor} exceeds the safe limit (false if it was not observed). */
    public boolean unsafe(String tensor) {
        Double v = maxAbs.get(tensor);
        return v != null && !(v <= limit); // NaN compares false: unsafe
    }

    /** Whether a range was observed for {@code tensor}. */
    public boolean observed(String tensor) {
        return maxAbs.containsKey(tensor);
    }

    /**
     * The unsafe tensor with the largest observed magnitude among {@code tensors} (a node's float inputs and
     * outputs), if any; NaN counts as the largest.
     */
    public Optional<String> worstUnsafe(Collection<String> tensors) {
        String worst = null;
        double worstValue = 0;
        for (String t : tensors) {
            if (unsafe(t)) {
                double v = maxAbs.get(t);
                if (worst == null || Double.isNaN(v) || v > worstValue) {
                    worst = t;
                    worstValue = v;
                    if (Double.isNaN(v)) {
                        break;
                    }
                }
            }
        }
        return Optional.ofNullable(worst);
    }

    /** The reason a node stays float32 under this policy (the same text for every such node). */
    public String reason() {
        return String.format(Locale.ROOT, "auto: a float input or output exceeded the float16-safe |x| <= %.0f"
                + " (65504 / margin %s) on sample data", limit, format(margin));
    }

    /** {@code tensor 'x' reached |x| = 1.2e+05}, for a tensor that was observed. */
    public String detail(String tensor) {
        return "tensor '" + tensor + "' reached |x| = " + format(maxAbs.get(tensor));
    }

    private static String format(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        return v == Math.rint(v) && Math.abs(v) < 1e7 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.4g", v);
    }
}

package dev.javelin.builder.precision;

/**
 * Entropy (KL-divergence) calibration, as TensorRT's legacy INT8 entropy calibrator was publicly described
 * (Migacz, "8-bit Inference with TensorRT", GTC 2017): over a histogram of absolute values (2048 bins), try
 * every clipping point {@code i} from 128 bins up; for each,
 * <ol>
 *   <li>the reference distribution P is the first {@code i} bins, with the count of every value above the
 *       clipping point added to bin {@code i - 1} (clipped values saturate to the threshold);</li>
 *   <li>the candidate Q quantizes those same first {@code i} bins (without the clipped counts) into 128
 *       levels — groups of about {@code i / 128} consecutive bins — and expands each level back over the bins of
 *       its group that are non-zero in P, sharing the level's count evenly;</li>
 *   <li>both are normalized and the divergence KL(P || Q) = sum p log(p / q) is taken over the bins where
 *       p &gt; 0.</li>
 * </ol>
 * The clipping point with the smallest divergence wins and {@code amax = (i + 0.5) * binWidth}, the formula
 * of that description. A candidate for which Q is zero where P is not (all clipped mass landing in a group
 * that was otherwise empty) has infinite divergence and is never chosen; clipping at or beyond the last
 * non-empty bin always gives a finite one, so a threshold always exists.
 *
 * <p>What it buys: for bell-shaped activations with rare outliers the chosen threshold sits a few standard
 * deviations out, trading a little clipping of the tail for resolution where the values are.
 */
public final class EntropyCalibration {
    /** The number of positive int8 levels the distribution is quantized to (0..127). */
    public static final int LEVELS = 128;

    private EntropyCalibration() {
    }

    /**
     * @return the threshold, 0 for an empty histogram, or the histogram's range if it has fewer bins than
     *         {@value #LEVELS} (nothing to search)
     */
    public static double amax(Histogram h) {
        if (h.total() == 0) {
            return 0;
        }
        int n = h.bins();
        if (n < LEVELS) {
            return h.range();
        }
        long[] c = h.counts();
        // Bin 0 holds every exact zero: the outputs ReLU-like activations clamp and padding. That spike is not
        // part of the shape being quantized (zero is exact in int8 at any scale), and left in it would dominate
        // the divergence of the first level, pushing the threshold down to the smallest candidate.
        c[0] = c[1];
        int lastNonZero = n - 1;
        while (c[lastNonZero] == 0) {
            lastNonZero--;
        }
        // Suffix sums: the count clipped by a candidate.
        long[] above = new long[n + 1];
        for (int k = n - 1; k >= 0; k--) {
            above[k] = above[k + 1] + c[k];
        }
        double[] p = new double[n];
        double[] q = new double[n];
        double best = Double.POSITIVE_INFINITY;
        int bestI = n;
        // Candidates past the last non-empty bin all see the same P and Q (plus empty bins): stop there.
        int stop = Math.min(n, Math.max(LEVELS, lastNonZero + 1));
        for (int i = LEVELS; i <= stop; i++) {
            double kl = divergence(c, above, i, p, q);
            if (kl <= best) { // ties: the larger range
                best = kl;
                bestI = i;
            }
        }
        return Math.min((bestI + 0.5) * h.binWidth(), h.range());
    }

    /** KL(P || Q) for the clipping point {@code i} (bins 0..i-1 kept); infinite if Q misses mass of P. */
    static double divergence(long[] c, long[] above, int i, double[] p, double[] q) {
        double pSum = 0;
        for (int k = 0; k < i; k++) {
            p[k] = c[k];
            pSum += c[k];
        }
        p[i - 1] += above[i];
        pSum += above[i];
        double qSum = 0;
        for (int j = 0; j < LEVELS; j++) {
            int from = (int) ((long) j * i / LEVELS);
            int to = (int) ((long) (j + 1) * i / LEVELS);
            double level = 0;
            int nonZero = 0;
            for (int k = from; k < to; k++) {
                level += c[k];
                if (p[k] > 0) {
                    nonZero++;
                }
            }
            for (int k = from; k < to; k++) {
                q[k] = p[k] > 0 && nonZero > 0 ? level / nonZero : 0;
            }
            qSum += level;
        }
        if (qSum == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double kl = 0;
        for (int k = 0; k < i; k++) {
            if (p[k] > 0) {
                if (q[k] <= 0) {
                    return Double.POSITIVE_INFINITY;
                }
                double pk = p[k] / pSum;
                kl += pk * Math.log(pk / (q[k] / qSum));
            }
        }
        return kl;
    }
}

package dev.javelin.builder.precision;

import java.nio.FloatBuffer;

/**
 * A histogram of absolute values over {@code [0, range]} in equal-width bins, the statistic the percentile
 * and entropy calibrators work on. The range is fixed when the histogram is made (calibration finds it in a
 * first pass over the data, so no value falls outside except by rounding, and those land in the last bin).
 * NaNs are not counted; infinities count in the last bin.
 */
public final class Histogram {
    /** Bins TensorRT's entropy calibrator used, and the default here. */
    public static final int DEFAULT_BINS = 2048;

    private final double range;
    private final long[] counts;
    private final double binsPerUnit;
    private long total;

    /**
     * @param range upper end of the histogram; 0 (an all-zero tensor) is allowed and puts everything in bin 0
     * @param bins  number of bins, at least 1
     */
    public Histogram(double range, int bins) {
        if (!(range >= 0) || Double.isInfinite(range)) {
            throw new IllegalArgumentException("range must be finite and >= 0, was " + range);
        }
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be >= 1, was " + bins);
        }
        this.range = range;
        this.counts = new long[bins];
        this.binsPerUnit = range > 0 ? bins / range : 0;
    }

    /** Counts the absolute values of {@code values} from its position to its limit. */
    public void add(FloatBuffer values) {
        int last = counts.length - 1;
        for (int i = values.position(); i < values.limit(); i++) {
            float v = values.get(i);
            if (v != v) {
                continue; // NaN
            }
            double b = Math.abs(v) * binsPerUnit;
            counts[b >= last ? last : (int) b]++;
            total++;
        }
    }

    /** Counts the absolute values of an array. */
    public void add(float[] values) {
        add(FloatBuffer.wrap(values));
    }

    /** Upper end of the last bin. */
    public double range() {
        return range;
    }

    /** Number of bins. */
    public int bins() {
        return counts.length;
    }

    /** Width of one bin. */
    public double binWidth() {
        return range / counts.length;
    }

    /** Count in bin {@code i}. */
    public long count(int i) {
        return counts[i];
    }

    /** A copy of the counts. */
    public long[] counts() {
        return counts.clone();
    }

    /** Number of values counted. */
    public long total() {
        return total;
    }
}

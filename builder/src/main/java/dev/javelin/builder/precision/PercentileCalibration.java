package dev.javelin.builder.precision;

/**
 * Percentile calibration: {@code amax} is the upper edge of the first histogram bin at which the cumulative
 * count reaches the given percentile of all counted absolute values, so at most {@code 100 - p} percent of
 * the values clip (resolution: one bin).
 */
public final class PercentileCalibration {
    private PercentileCalibration() {
    }

    /**
     * @param percentile in (0, 100], e.g. 99.99
     * @return the threshold, or 0 for an empty histogram
     */
    public static double amax(Histogram h, double percentile) {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], was " + percentile);
        }
        if (h.total() == 0) {
            return 0;
        }
        double target = h.total() * (percentile / 100.0);
        long cumulative = 0;
        for (int i = 0; i < h.bins(); i++) {
            cumulative += h.count(i);
            if (cumulative >= target) {
                return (i + 1) * h.binWidth();
            }
        }
        return h.range();
    }
}

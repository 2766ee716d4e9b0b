package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The three calibrators on distributions whose answer is known in closed form. Data come from a seeded
 * generator (deterministic); tolerances are one or two histogram bins plus the sampling error stated per case.
 */
class CalibratorsTest {
    private static final int N = 1_000_000;

    /** |N(0,1)| exceeds 3.8906 with probability 1e-4 (two-sided normal quantile for 99.99 %). */
    private static final double GAUSS_P9999 = 3.8906;

    private static float[] gaussianWithOutliers(long seed, int outliers, float outlierValue) {
        Random r = new Random(seed);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < outliers; i++) {
            x[i * 997] = (i % 2 == 0 ? 1 : -1) * outlierValue;
        }
        return x;
    }

    private static float maxAbs(float[] x) {
        float m = 0;
        for (float v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static Histogram histogram(float[] x) {
        Histogram h = new Histogram(maxAbs(x), Histogram.DEFAULT_BINS);
        h.add(x);
        return h;
    }

    @Test
    void gaussianWithOutliersMaxKeepsThemPercentileAndEntropyClipThem() {
        float[] x = gaussianWithOutliers(7, 10, 50f);
        Histogram h = histogram(x);
        assertEquals(50.0, maxAbs(x), 0.0, "max = the largest |x|, the outlier");
        double bin = h.binWidth(); // 50 / 2048 = 0.024
        double p = PercentileCalibration.amax(h, 99.99);
        // 10 outliers in 1e6 are 1e-5 of the mass, so the 99.99th percentile is the Gaussian's (sampling error of
        // the quantile with 1e6 draws: about 0.02) to within one bin.
        assertEquals(GAUSS_P9999, p, 0.03 + bin, "percentile 99.99 of |N(0,1)|");
        double e = EntropyCalibration.amax(h);
        assertTrue(e > 2.5 && e < 6, "entropy keeps the bulk of N(0,1) and clips the outliers at 50: " + e);
    }

    @Test
    void reluLikeZerosDoNotDragTheEntropyThresholdDown() {
        // Half the values exactly 0 (a ReLU output), the rest |N(0,1)|: the zero spike sits in bin 0 and must not
        // decide the threshold; the bulk of the half-normal (99.7 % below 3) is kept.
        Random r = new Random(5);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = i % 2 == 0 ? 0f : (float) Math.abs(r.nextGaussian());
        }
        Histogram h = histogram(x);
        double e = EntropyCalibration.amax(h);
        assertTrue(e > 3 && e <= maxAbs(x), "entropy on a ReLU-like distribution: " + e + " (max " + maxAbs(x) + ")");
    }

    @Test
    void uniformNothingToClip() {
        Random r = new Random(11);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        Histogram h = new Histogram(1.0, Histogram.DEFAULT_BINS);
        h.add(x);
        assertEquals(1.0, maxAbs(x), 1e-5);
        // |U(-1,1)| is U(0,1): its 99.99th percentile is 0.9999; the answer is a bin edge at or above it.
        double p = PercentileCalibration.amax(h, 99.99);
        assertTrue(p >= 0.9999 - 0.001 && p <= 0.9999 + h.binWidth() + 0.001, "percentile: " + p);
        // A flat histogram loses nothing by keeping every bin: entropy keeps (nearly) the full range.
        assertTrue(EntropyCalibration.amax(h) > 0.97, "entropy on uniform data: " + EntropyCalibration.amax(h));
    }

    @Test
    void entropyOnAFlatBlockPicksItsEnd() {
        // Counts of 100 in bins 0..999 of 2048, nothing above: clipping at 1000 bins reproduces P exactly (KL 0),
        // any earlier clip piles mass into the last kept bin (KL > 0), so the answer is (1000 + 0.5) bin widths.
        Histogram h = new Histogram(2048, 2048);
        float[] v = new float[100 * 1000];
        for (int b = 0; b < 1000; b++) {
            for (int k = 0; k < 100; k++) {
                v[b * 100 + k] = b + 0.5f;
            }
        }
        h.add(v);
        assertEquals(1000.5, EntropyCalibration.amax(h), 1e-9);
    }

    @Test
    void percentileIsTheFirstBinEdgeReachingTheTarget() {
        Histogram h = new Histogram(4, 4); // bins [0,1) [1,2) [2,3) [3,4]
        h.add(new float[] {0.5f, 0.5f, 1.5f, 1.5f, 1.5f, 2.5f, 2.5f, 2.5f, 2.5f, 3.5f}); // counts 2 3 4 1
        assertEquals(1.0, PercentileCalibration.amax(h, 20));
        assertEquals(2.0, PercentileCalibration.amax(h, 50));
        assertEquals(3.0, PercentileCalibration.amax(h, 90));
        assertEquals(4.0, PercentileCalibration.amax(h, 100));
        assertThrows(IllegalArgumentException.class, () -> PercentileCalibration.amax(h, 0));
        assertThrows(IllegalArgumentException.class, () -> PercentileCalibration.amax(h, 100.5));
    }

    @Test
    void histogramCountsAbsoluteValuesIgnoresNanAndKeepsEdgeValuesInTheLastBin() {
        Histogram h = new Histogram(2, 4);
        h.add(new float[] {-0.1f, 0.6f, -1.2f, 2f, Float.NaN, Float.POSITIVE_INFINITY, 1.99f});
        assertEquals(6, h.total());
        assertEquals(1, h.count(0));
        assertEquals(1, h.count(1));
        assertEquals(1, h.count(2));
        assertEquals(3, h.count(3)); // 1.99, 2 (the range itself) and +inf
        assertEquals(0.5, h.binWidth());
        Histogram zero = new Histogram(0, 8);
        zero.add(new float[] {0f, -0f});
        assertEquals(2, zero.count(0));
        assertEquals(0.0, EntropyCalibration.amax(new Histogram(1, 2048)), "an empty histogram has no range");
        assertThrows(IllegalArgumentException.class, () -> new Histogram(-1, 8));
        assertThrows(IllegalArgumentException.class, () -> new Histogram(1, 0));
    }

    @Test
    void calibratorNamesParse() {
        assertEquals(Calibrator.ENTROPY, Calibrator.parse("Entropy"));
        assertEquals(Calibrator.MAX, Calibrator.parse(" max"));
        assertTrue(Calibrator.PERCENTILE.needsHistogram());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Calibrator.parse("minmax"));
        assertTrue(e.getMessage().contains("max, percentile or entropy"), e.getMessage());
    }
}

package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ActivationProbe;
import dev.javelin.builder.onnx.OnnxModel;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds each activation's clipping range ({@code amax}) by running calibration samples through the model on
 * ONNX Runtime CPU ({@link ActivationProbe}) and applying a {@link Calibrator}.
 *
 * <p>{@code max} needs one pass (largest absolute value per tensor). The histogram calibrators take two: the
 * first finds each tensor's largest absolute value, the second fills a {@value Histogram#DEFAULT_BINS}-bin
 * histogram of absolute values over exactly {@code [0, max]}, so no bin is wasted and nothing has to be
 * re-binned; statistics stream sample by sample, so memory does not grow with the data.
 */
public final class ActivationCalibration {
    private static final Logger LOG = LoggerFactory.getLogger(ActivationCalibration.class);

    /** How to calibrate. */
    public record Options(Calibrator calibrator, double percentile, int bins) {
        public Options {
            Objects.requireNonNull(calibrator, "calibrator");
            if (!(percentile > 0 && percentile <= 100)) {
                throw new IllegalArgumentException("percentile must be in (0, 100], was " + percentile);
            }
            if (bins < EntropyCalibration.LEVELS) {
                throw new IllegalArgumentException("bins must be >= " + EntropyCalibration.LEVELS + ", was " + bins);
            }
        }

        /** The calibrator with the defaults: percentile 99.99, 2048 bins. */
        public static Options of(Calibrator calibrator) {
            return new Options(calibrator, 99.99, Histogram.DEFAULT_BINS);
        }

        /** The same with another percentile. */
        public Options withPercentile(double p) {
            return new Options(calibrator, p, bins);
        }

        /** What the calibrator is, e.g. {@code percentile 99.99}. */
        public String describe() {
            return calibrator == Calibrator.PERCENTILE ? "percentile " + percentile : calibrator.label();
        }
    }

    /**
     * What calibration found.
     *
     * @param amax    tensor name to clipping range (the value int8 127 stands for)
     * @param maxAbs  tensor name to the largest absolute value observed
     * @param samples samples run
     */
    public record Ranges(Map<String, Double> amax, Map<String, Double> maxAbs, int samples) {
        public Ranges {
            amax = Map.copyOf(amax);
            maxAbs = Map.copyOf(maxAbs);
        }
    }

    private ActivationCalibration() {
    }

    /**
     * Calibrates the given activations.
     *
     * @param tensors float32 activations of {@code model} (see {@link ActivationProbe#open})
     * @throws dev.javelin.runtime.InvalidInputException if a sample does not fit the model
     */
    public static Ranges run(OnnxModel model, Collection<String> tensors, CalibrationData data, Options options) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("no calibration samples");
        }
        Map<String, Double> max = new LinkedHashMap<>();
        tensors.forEach(t -> max.put(t, 0.0));
        try (ActivationProbe probe = ActivationProbe.open(model, tensors)) {
            String pass = options.calibrator().needsHistogram() ? "calibration pass 1/2 (ranges)" : "calibration";
            try (ProgressBar bar = ProgressBar.start(LOG, pass, data.size())) {
                for (int i = 0; i < data.size(); i++) {
                    try (CalibrationData.Sample s = data.load(i)) {
                        probe.run(s.inputs(), (t, v) -> max.merge(t, (double) ActivationProbe.maxAbs(v), Math::max));
                    }
                    bar.step();
                }
            }
            Map<String, Double> amax = new LinkedHashMap<>();
            if (!options.calibrator().needsHistogram()) {
                amax.putAll(max);
            } else {
                Map<String, Histogram> hist = new LinkedHashMap<>();
                max.forEach((t, m) -> hist.put(t, new Histogram(m, options.bins())));
                try (ProgressBar bar = ProgressBar.start(LOG, "calibration pass 2/2 (histograms)", data.size())) {
                    for (int i = 0; i < data.size(); i++) {
                        try (CalibrationData.Sample s = data.load(i)) {
                            probe.run(s.inputs(), (t, v) -> hist.get(t).add(v));
                        }
                        bar.step();
                    }
                }
                hist.forEach((t, h) -> amax.put(t, options.calibrator() == Calibrator.ENTROPY
                        ? EntropyCalibration.amax(h) : PercentileCalibration.amax(h, options.percentile())));
            }
            for (Map.Entry<String, Double> e : amax.entrySet()) {
                LOG.debug("{}: amax {} (max |x| {})", e.getKey(), e.getValue(), max.get(e.getKey()));
                if (e.getValue() == 0) {
                    LOG.warn("activation '{}' was 0 on every calibration sample", e.getKey());
                }
            }
            return new Ranges(amax, max, data.size());
        }
    }
}

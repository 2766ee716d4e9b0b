package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accuracy report every precision run ends with: the converted model against the float32 model it came from,
 * on ONNX Runtime CPU, on samples that were <em>not</em> used to calibrate. When a run is given one folder of
 * samples, the last fifth (at least one) is held back for this report and the rest calibrates; a separate folder
 * of evaluation samples can be given instead.
 *
 * <p>Default pass criteria (per output, lowest per-sample cosine similarity to float32): 0.999 for FP16 and 0.98
 * for INT8, the figures Javelin's own acceptance tests hold all-MiniLM-L6-v2 to. Element-wise errors are reported
 * but not judged by default: int8 moves individual elements by design; {@code --atol/--rtol} add that check.
 */
public final class PrecisionAccuracy {
    private static final Logger LOG = LoggerFactory.getLogger(PrecisionAccuracy.class);

    private PrecisionAccuracy() {
    }

    /** Calibration samples and the samples held back to judge the result. */
    public record Split(CalibrationData calibration, CalibrationData heldBack) {
    }

    /**
     * Splits one folder's samples: the last fifth (at least one) is held back. With a single sample there is
     * nothing to hold back, which is refused: the report would judge on the data that calibrated.
     *
     * @throws IllegalArgumentException naming the data if it has fewer than two samples
     */
    public static Split holdBack(CalibrationData data) {
        int n = data.size();
        if (n < 2) {
            throw new IllegalArgumentException(data.describe() + " has " + n + " sample(s); a precision run needs at"
                    + " least 2 (the last fifth, at least one, is held back for the accuracy report), or separate"
                    + " evaluation data");
        }
        int held = Math.max(1, n / 5);
        return new Split(data.slice(0, n - held), data.slice(n - held, n));
    }

    /** Default thresholds for {@code precision} ({@code fp16} or {@code int8}). */
    public static AccuracyThresholds defaults(String precision) {
        AccuracyTolerance unjudged = new AccuracyTolerance(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
        return switch (precision) {
            case "fp16" -> new AccuracyThresholds(unjudged, 0.999, Double.NaN);
            case "int8" -> new AccuracyThresholds(unjudged, 0.98, Double.NaN);
            default -> throw new IllegalArgumentException("no accuracy defaults for precision '" + precision + "'");
        };
    }

    /**
     * Runs {@code reference} and {@code candidate} on every held-back sample and compares their outputs.
     *
     * @throws dev.javelin.runtime.InvalidInputException naming the tensor if a sample does not fit the models
     */
    public static AccuracyReport evaluate(OnnxModel reference, OnnxModel candidate, String candidateLabel,
                                          CalibrationData heldBack, AccuracyThresholds thresholds) {
        List<CalibrationData.Sample> loaded = new ArrayList<>();
        try {
            List<Map<String, Tensor>> samples = new ArrayList<>();
            for (int i = 0; i < heldBack.size(); i++) {
                CalibrationData.Sample s = heldBack.load(i);
                loaded.add(s);
                samples.add(s.inputs());
            }
            LOG.info("accuracy of {} against float32 on {}", candidateLabel, heldBack.describe());
            return AccuracyReport.run(CompareModel.of(reference, "float32"), CompareModel.of(candidate, candidateLabel),
                    samples, AccuracyReport.Options.of(thresholds));
        } finally {
            loaded.forEach(CalibrationData.Sample::close);
        }
    }
}

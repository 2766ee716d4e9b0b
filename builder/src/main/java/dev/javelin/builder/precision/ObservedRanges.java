package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ActivationProbe;
import dev.javelin.builder.onnx.OnnxModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Largest absolute value of every float activation of a model over sample data, measured on ONNX Runtime CPU:
 * the input of FP16's automatic mode ({@link Fp16AutoPolicy}), which keeps in float32 the nodes whose values
 * leave the float16-safe range on real data.
 */
public final class ObservedRanges {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ObservedRanges.class);
    private ObservedRanges() {
    }

    /** Tensor name -> max |x| over all samples of {@code data} (one sample in memory at a time). */
    public static Map<String, Double> measure(OnnxModel model, CalibrationData data) {
        Map<String, Double> ranges = new LinkedHashMap<>();
        try (ActivationProbe probe = ActivationProbe.open(model, ActivationProbe.floatActivations(model));
             ProgressBar bar = ProgressBar.start(LOG, "fp16 activation ranges", data.size())) {
            for (int i = 0; i < data.size(); i++) {
                try (CalibrationData.Sample s = data.load(i)) {
                    probe.run(s.inputs(), (t, v) -> ranges.merge(t, (double) ActivationProbe.maxAbs(v), Math::max));
                }
                bar.step();
            }
        }
        return ranges;
    }
}

package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Statistics gathered through ONNX Runtime over several samples, checked against the values fed. */
class ActivationCalibrationTest {
    /** x -> Mul(2) -> a -> Relu -> r. */
    static OnnxModel model() {
        return OnnxModel.of(OnnxGraphBuilder.graph("m")
                .input("x", ElementType.FLOAT, "n")
                .initializer(Tensors.floats("two", new long[0], 2))
                .node("Mul").name("mul").inputs("x", "two").outputs("a").add()
                .node("Relu").name("relu").inputs("a").outputs("r").add()
                .output("r", ElementType.FLOAT, "n")
                .buildModel(), null);
    }

    @Test
    void maxAndPercentileOverSamplesStreamedThroughOnnxRuntime() {
        // Samples: 1..100 and -1..-100 spread over 4 samples of 50 values; a = 2x, so |a| is 2..200, each value twice.
        List<Tensor> owned = new ArrayList<>();
        List<Map<String, Tensor>> samples = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            float[] x = new float[50];
            for (int i = 0; i < 50; i++) {
                int v = (s % 2) * 50 + i + 1;
                x[i] = s < 2 ? v : -v;
            }
            Tensor t = Tensor.of(x, Shape.of(50));
            owned.add(t);
            samples.add(Map.of("x", t));
        }
        try {
            OnnxModel m = model();
            CalibrationData data = CalibrationData.of(m, samples);
            ActivationCalibration.Ranges max = ActivationCalibration.run(m, Set.of("a", "r"), data,
                    ActivationCalibration.Options.of(Calibrator.MAX));
            assertEquals(200.0, max.amax().get("a"));
            assertEquals(200.0, max.amax().get("r"), "r = relu(a) reaches 200 on the positive samples");
            assertEquals(4, max.samples());
            // Percentile 50 of |a| (2, 2, 4, 4, ..., 200, 200) is 100; histogram of 200 bins of width 1 over [0, 200]:
            // the cumulative count reaches 100 of 200 in bin [100, 101), whose upper edge is returned.
            ActivationCalibration.Ranges p = ActivationCalibration.run(m, Set.of("a"), data,
                    new ActivationCalibration.Options(Calibrator.PERCENTILE, 50, 200));
            assertEquals(101.0, p.amax().get("a"), 1e-9);
            assertEquals(200.0, p.maxAbs().get("a"));
        } finally {
            owned.forEach(Tensor::close);
        }
        assertThrows(IllegalArgumentException.class, () -> new ActivationCalibration.Options(Calibrator.ENTROPY, 99.9, 64));
    }
}

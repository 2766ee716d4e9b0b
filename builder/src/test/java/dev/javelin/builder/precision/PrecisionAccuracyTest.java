package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrecisionAccuracyTest {
    private static OnnxModel unary(String op) {
        return OnnxModel.of(OnnxGraphBuilder.graph(op)
                .input("x", ElementType.FLOAT, 2, 6)
                .output("y", ElementType.FLOAT, 2, 6)
                .node(op).inputs("x").outputs("y").add()
                .opset("", 17).buildModel(), null);
    }

    private static CalibrationData samples(OnnxModel model, int n) {
        List<Map<String, Tensor>> list = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            float[] x = new float[12];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i + 3.1 * k) + 0.2f;
            }
            list.add(Map.of("x", Tensor.of(x, Shape.of(2, 6))));
        }
        return CalibrationData.of(model, list);
    }

    @Test
    void theLastFifthIsHeldBackAndNeverCalibrates() {
        OnnxModel m = unary("Identity");
        for (int n = 2; n <= 11; n++) {
            PrecisionAccuracy.Split s = PrecisionAccuracy.holdBack(samples(m, n));
            int held = Math.max(1, n / 5);
            assertEquals(held, s.heldBack().size(), "n=" + n);
            assertEquals(n - held, s.calibration().size(), "n=" + n);
            assertEquals(s.calibration().size(), n - s.heldBack().size());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrecisionAccuracy.holdBack(samples(m, 1)));
        assertTrue(e.getMessage().contains("needs at least 2"), e.getMessage());
    }

    @Test
    void theReportPassesAnEqualModelAndFailsOneThatFlipsTheSign() {
        OnnxModel identity = unary("Identity");
        CalibrationData held = samples(identity, 3);
        AccuracyReport same = PrecisionAccuracy.evaluate(identity, unary("Relu").withProto(identity.proto()), "copy", held,
                PrecisionAccuracy.defaults("int8"));
        assertTrue(same.passed(), same.tableLines().toString());
        AccuracyReport flipped = PrecisionAccuracy.evaluate(identity, unary("Neg"), "negated", held,
                PrecisionAccuracy.defaults("fp16"));
        assertFalse(flipped.passed(), "cosine -1 is far below 0.999: " + flipped.tableLines());
        assertEquals(-1.0, flipped.output("y").cosine(), 1e-6);
    }
}

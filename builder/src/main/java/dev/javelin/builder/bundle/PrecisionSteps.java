package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.precision.CalibrationData;
import dev.javelin.builder.precision.Fp16Converter;
import dev.javelin.builder.precision.Int8Quantization;
import dev.javelin.builder.precision.ObservedRanges;
import dev.javelin.builder.precision.PrecisionAccuracy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The precision steps of {@code javelin build}: FP16 conversion ({@link Fp16Converter}, optionally with ranges
 * measured on sample data) and INT8 calibration into Q/DQ ({@link Int8Quantization}). Both read their samples
 * through {@link #samples}, which holds back the part the accuracy report judges on.
 */
final class PrecisionSteps {
    private PrecisionSteps() {
    }

    /** The samples a step may learn from: all of {@code --calib-data} when {@code --eval-data} is given, else all but the held-back part. */
    static CalibrationData learning(BuildOptions o, OnnxModel model) {
        CalibrationData all = CalibrationData.fromDirectory(o.calibData(), model);
        return o.evalData() != null ? all : PrecisionAccuracy.holdBack(all).calibration();
    }

    /** The samples the accuracy report judges on: {@code --eval-data}, else the part of {@code --calib-data} held back. */
    static CalibrationData heldBack(BuildOptions o, OnnxModel model) {
        if (o.evalData() != null) {
            return CalibrationData.fromDirectory(o.evalData(), model);
        }
        return PrecisionAccuracy.holdBack(CalibrationData.fromDirectory(o.calibData(), model)).heldBack();
    }

    /** {@code fp16}: float16 compute and weights, sensitive ops in float32, model I/O kept float32. */
    static GraphStep fp16(BuildOptions o) {
        return new GraphStep() {
            @Override
            public String name() {
                return "fp16";
            }

            @Override
            public StepOutcome apply(OnnxModel model) {
                Fp16Converter.Options.Builder b = Fp16Converter.Options.builder().keepIoTypes(o.fp16().keepIoTypes());
                List<String> report = new ArrayList<>();
                if (o.fp16().auto()) {
                    CalibrationData data = learning(o, model);
                    Map<String, Double> ranges = ObservedRanges.measure(model, data);
                    b.autoRanges(ranges);
                    report.add("automatic mode: ranges of " + ranges.size() + " activations measured on " + data.describe());
                }
                Fp16Converter.Converted c = Fp16Converter.convert(model, b.build());
                report.addAll(c.report().summaryLines());
                return StepOutcome.of(c.model(), report);
            }
        };
    }

    /** {@code int8}: calibrated activation scales and per-channel weights as Q/DQ pairs where TensorRT fuses them. */
    static GraphStep int8(BuildOptions o) {
        Path dir = o.calibData();
        return new GraphStep() {
            @Override
            public String name() {
                return "int8";
            }

            @Override
            public StepOutcome apply(OnnxModel model) {
                CalibrationData data = learning(o, model);
                Int8Quantization.Outcome q = Int8Quantization.calibrate(model, data,
                        Int8Quantization.Options.of(o.calibratorOrDefault()));
                List<String> report = new ArrayList<>();
                report.add(o.calibratorOrDefault().label() + " calibration on " + data.describe() + " (" + dir + ")");
                report.addAll(q.report().lines());
                return StepOutcome.of(q.model(), report);
            }
        };
    }
}

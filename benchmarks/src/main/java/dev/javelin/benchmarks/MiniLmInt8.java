package dev.javelin.benchmarks;

import dev.javelin.builder.demo.MiniLmCalibration;
import dev.javelin.builder.demo.SentenceEmbedder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.precision.Calibrator;
import dev.javelin.builder.precision.Int8Quantization;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.SessionOptions;
import java.nio.file.Path;

/**
 * Builds the INT8 all-MiniLM-L6-v2 the {@code minilm-int8} scenario times: Javelin's quantizer (percentile 99.99,
 * the setting the builder's MiniLM test checks for accuracy) calibrated on {@link MiniLmCalibration#SENTENCES}. Rebuilt on every run, so
 * the benchmark always measures what the current quantizer writes.
 */
final class MiniLmInt8 {
    private MiniLmInt8() {
    }

    /** Quantizes {@code fp32} (all-MiniLM-L6-v2) into {@code out}; returns {@code out}. */
    static Path build(Path fp32, Path out, Path cacheDir) throws Exception {
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).build();
        try (SentenceEmbedder emb = SentenceEmbedder.openMiniLm(cpu, cacheDir);
             MiniLmCalibration calibration = MiniLmCalibration.of(emb, MiniLmCalibration.SENTENCES)) {
            Int8Quantization.Outcome q = calibration.quantize(OnnxModel.load(fp32), Calibrator.PERCENTILE);
            q.model().write(out);
            q.report().lines().forEach(l -> System.err.println("minilm-int8: " + l));
        }
        return out;
    }
}

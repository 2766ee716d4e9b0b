package dev.javelin.benchmarks;

import dev.javelin.builder.demo.SentenceEmbedder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.precision.CalibrationData;
import dev.javelin.builder.precision.Calibrator;
import dev.javelin.builder.precision.Int8Quantization;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the INT8 all-MiniLM-L6-v2 the {@code minilm-int8} scenario times: Javelin's quantizer (percentile 99.99,
 * the setting the builder's MiniLM test checks for accuracy) calibrated on 32 sentences. Rebuilt on every run, so
 * the benchmark always measures what the current quantizer writes.
 */
final class MiniLmInt8 {
    static final List<String> CALIBRATION = List.of(
            "The quick brown fox jumps over the lazy dog.", "A man is playing a guitar on the street.",
            "Scientists discovered a new species of frog in the rainforest.", "The central bank raised interest rates again.",
            "How do I reset my password?", "She baked a chocolate cake for her friend's birthday.",
            "The train to Berlin was delayed by two hours.", "Quantum computers could break current encryption schemes.",
            "Children are playing football in the park.", "Please send me the quarterly report by Friday.",
            "The museum opens at nine in the morning.", "Heavy rain caused flooding in the northern districts.",
            "He ordered a coffee and a croissant.", "The new smartphone has a larger battery.",
            "Our team won the championship last night.", "Photosynthesis converts light energy into chemical energy.",
            "Where is the nearest pharmacy?", "The concert was cancelled because of the storm.",
            "Electric cars are becoming cheaper every year.", "My grandmother tells wonderful stories about her childhood.",
            "The company announced record profits this quarter.", "Regular exercise improves mental health.",
            "The cat knocked the vase off the table.", "Astronomers observed a distant supernova.",
            "I need to renew my driver's license.", "The recipe calls for two cups of flour.",
            "Volcanic eruptions can affect global temperatures.", "The startup raised fifty million dollars in funding.",
            "He forgot his umbrella at the office.", "The library has thousands of rare manuscripts.",
            "Traffic was light on the highway this morning.", "The doctor recommended more sleep and less caffeine.");

    private MiniLmInt8() {
    }

    /** Quantizes {@code fp32} (all-MiniLM-L6-v2) into {@code out}; returns {@code out}. */
    static Path build(Path fp32, Path out, Path cacheDir) throws Exception {
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).build();
        try (SentenceEmbedder emb = SentenceEmbedder.openMiniLm(cpu, cacheDir)) {
            OnnxModel model = OnnxModel.load(fp32);
            List<SentenceEmbedder.Batch> batches = new ArrayList<>();
            List<Map<String, Tensor>> samples = new ArrayList<>();
            try {
                for (String s : CALIBRATION) {
                    SentenceEmbedder.Batch b = emb.tokenize(List.of(s));
                    batches.add(b);
                    samples.add(Map.of("input_ids", b.ids(), "attention_mask", b.attentionMask(),
                            "token_type_ids", b.tokenTypeIds()));
                }
                Int8Quantization.Outcome q = Int8Quantization.calibrate(model, CalibrationData.of(model, samples),
                        Int8Quantization.Options.of(Calibrator.PERCENTILE));
                q.model().write(out);
                q.report().lines().forEach(l -> System.err.println("minilm-int8: " + l));
            } finally {
                batches.forEach(SentenceEmbedder.Batch::close);
            }
        }
        return out;
    }
}

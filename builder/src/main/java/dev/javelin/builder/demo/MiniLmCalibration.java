package dev.javelin.builder.demo;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.precision.CalibrationData;
import dev.javelin.builder.precision.Calibrator;
import dev.javelin.builder.precision.Int8Quantization;
import dev.javelin.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Calibration samples for all-MiniLM-L6-v2: each sentence tokenized on its own into the model's three inputs. The
 * MiniLM INT8 benchmark and the builder's MiniLM INT8 accuracy test both calibrate on {@link #SENTENCES}, so the
 * benchmark times the model the test checks. Closing frees the token tensors.
 */
public final class MiniLmCalibration implements AutoCloseable {
    /** 32 sentences on unrelated topics. */
    public static final List<String> SENTENCES = List.of(
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

    private final List<SentenceEmbedder.Batch> batches;
    private final List<Map<String, Tensor>> samples;

    private MiniLmCalibration(List<SentenceEmbedder.Batch> batches, List<Map<String, Tensor>> samples) {
        this.batches = batches;
        this.samples = samples;
    }

    /** Tokenizes every sentence with {@code tokenizer}'s vocabulary (one sample a sentence). */
    public static MiniLmCalibration of(SentenceEmbedder tokenizer, List<String> sentences) {
        List<SentenceEmbedder.Batch> batches = new ArrayList<>();
        List<Map<String, Tensor>> samples = new ArrayList<>();
        try {
            for (String s : sentences) {
                SentenceEmbedder.Batch b = tokenizer.tokenize(List.of(s));
                batches.add(b);
                samples.add(Map.of("input_ids", b.ids(), "attention_mask", b.attentionMask(), "token_type_ids", b.tokenTypeIds()));
            }
        } catch (RuntimeException e) {
            batches.forEach(SentenceEmbedder.Batch::close);
            throw e;
        }
        return new MiniLmCalibration(batches, List.copyOf(samples));
    }

    /** The samples, one feed a sentence; valid until {@link #close()}. */
    public List<Map<String, Tensor>> samples() {
        return samples;
    }

    /** Quantizes {@code model} (all-MiniLM-L6-v2) to INT8, calibrated with {@code calibrator} on these samples. */
    public Int8Quantization.Outcome quantize(OnnxModel model, Calibrator calibrator) {
        return Int8Quantization.calibrate(model, CalibrationData.of(model, samples), Int8Quantization.Options.of(calibrator));
    }

    @Override
    public void close() {
        batches.forEach(SentenceEmbedder.Batch::close);
    }
}

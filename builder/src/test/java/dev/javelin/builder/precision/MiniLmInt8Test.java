package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.demo.MiniLmCalibration;
import dev.javelin.builder.demo.SentenceEmbedder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 quantized to INT8 (percentile 99.99 calibration on 32 sentences) against FP32 on 16 other
 * sentences, and the speed of both on ONNX Runtime CPU.
 */
class MiniLmInt8Test {
    /** Held back: none of these is seen during calibration. */
    static final List<String> HELD_BACK = List.of(
            "A dog is running across the beach.", "Stock prices plunged after the announcement.",
            "What time does the pharmacy close today?", "The orchestra performed a symphony by Beethoven.",
            "Researchers developed a vaccine against the virus.", "I would like to book a table for two.",
            "The river overflowed after days of heavy rain.", "Solar panels convert sunlight into electricity.",
            "The kids built a sandcastle at the seaside.", "The government passed a new tax law.",
            "She is learning to play the violin.", "The airport was closed due to fog.",
            "Machine learning models need large amounts of data.", "He painted the fence white last weekend.",
            "The hotel room had a beautiful view of the mountains.", "Can you recommend a good book about history?");

    /** The bar: mean-pooled embedding cosine to FP32 on every held-back sentence. */
    static final double MIN_COSINE = 0.98;

    @TempDir
    static Path tmp;

    static OnnxModel model;
    static MiniLmCalibration calibration;
    static SentenceEmbedder fp32;
    static SentenceEmbedder int8;
    static Int8Quantization.Report report;
    static Path fp32File;
    static Path int8File;

    @BeforeAll
    static void quantize() throws Exception {
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();
        fp32 = SentenceEmbedder.openMiniLm(cpu, Path.of("target", "javelin-cache"));
        fp32File = fp32.session().model();
        model = OnnxModel.load(fp32File);
        calibration = MiniLmCalibration.of(fp32, MiniLmCalibration.SENTENCES);
        Int8Quantization.Outcome out = calibration.quantize(model, Calibrator.PERCENTILE);
        report = out.report();
        int8File = tmp.resolve("minilm-int8.onnx");
        out.model().write(int8File);
        int8 = open(int8File);
    }

    private static SentenceEmbedder open(Path file) throws Exception {
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();
        try (InputStream json = SentenceEmbedder.class.getClassLoader().getResourceAsStream(SentenceEmbedder.TOKENIZER_RESOURCE)) {
            return SentenceEmbedder.open(file, json, cpu, Path.of("target", "javelin-cache"));
        }
    }

    /** The smallest cosine to FP32 over the held-back sentences, and all of them as text. */
    private static double minCosine(SentenceEmbedder e, StringBuilder all) {
        double min = 1;
        for (String s : HELD_BACK) {
            float[] a = fp32.embed(List.of(s))[0];
            float[] b = e.embed(List.of(s))[0];
            double cos = SentenceEmbedder.cosineSimilarity(new float[][] {a, b})[0][1];
            all.append(String.format(Locale.ROOT, " %.4f", cos));
            min = Math.min(min, cos);
        }
        return min;
    }

    @AfterAll
    static void close() {
        if (calibration != null) {
            calibration.close();
        }
        if (int8 != null) {
            int8.close();
        }
        if (fp32 != null) {
            fp32.close();
        }
    }

    @Test
    void everyLinearLayerIsQuantizedAndAttentionStaysFloat() {
        report.lines().forEach(l -> System.out.println("[minilm int8] " + l));
        // 6 layers x (Q, K, V, attention output, FFN in, FFN out) MatMuls and the pooler Gemm.
        assertEquals(Map.of("MatMul", 36, "Gemm", 1), report.inserted().quantizedNodes());
        assertEquals(37, report.inserted().weights());
        assertEquals(12, report.plan().skipped().size(), "the 12 attention MatMuls (Q.K^T and P.V)");
        assertTrue(report.plan().skipped().stream().allMatch(s -> s.reason().contains("both inputs are activations")));
    }

    @Test
    void heldBackSentencesKeepTheirEmbeddings() {
        double min = 1;
        StringBuilder all = new StringBuilder();
        for (String s : HELD_BACK) {
            float[] a = fp32.embed(List.of(s))[0];
            float[] b = int8.embed(List.of(s))[0];
            double cos = SentenceEmbedder.cosineSimilarity(new float[][] {a, b})[0][1];
            all.append(String.format(Locale.ROOT, " %.4f", cos));
            assertTrue(cos >= MIN_COSINE, "cosine(INT8, FP32) = " + cos + " < " + MIN_COSINE + " for \"" + s + "\"");
            min = Math.min(min, cos);
        }
        System.out.println("[minilm int8] held-back cosine to FP32:" + all + " (min " + String.format(Locale.ROOT, "%.4f", min) + ")");
    }

    /**
     * The README's advice, checked: on this model percentile beats max, and max beats entropy, whose KL-optimal
     * thresholds clip the few large outlier features the LayerNorm outputs carry on every token (amax 28 -> 11).
     */
    @Test
    void percentileBeatsMaxBeatsEntropyHere() throws Exception {
        Map<Calibrator, Double> min = new LinkedHashMap<>();
        min.put(Calibrator.PERCENTILE, minCosine(int8, new StringBuilder()));
        for (Calibrator c : List.of(Calibrator.MAX, Calibrator.ENTROPY)) {
            Path file = tmp.resolve("minilm-" + c.label() + ".onnx");
            calibration.quantize(model, c).model().write(file);
            try (SentenceEmbedder e = open(file)) {
                min.put(c, minCosine(e, new StringBuilder()));
            }
        }
        System.out.println("[minilm int8] min held-back cosine by calibrator: " + min);
        assertTrue(min.get(Calibrator.PERCENTILE) > min.get(Calibrator.MAX), min.toString());
        assertTrue(min.get(Calibrator.MAX) > min.get(Calibrator.ENTROPY), min.toString());
    }

    @Test
    void int8IsFasterThanFp32OnOnnxRuntimeCpu() {
        // One intra-op thread, 128 tokens, the two sessions timed in alternating rounds so both see the same machine
        // load; the minimum of each is the least disturbed figure. The target (>= 1.3x) is tracked by the
        // benchmark; this test asserts only that INT8 is faster at all.
        SessionOptions one = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();
        int seq = 128;
        long[] ids = new long[seq];
        long[] mask = new long[seq];
        for (int i = 0; i < seq; i++) {
            ids[i] = i == 0 ? 101 : i == seq - 1 ? 102 : 1000 + (i * 7919L) % 20000;
            mask[i] = 1;
        }
        try (Session f = Session.open(fp32File, one);
             Session q = Session.open(int8File, one);
             Tensor tIds = Tensor.of(ids, Shape.of(1, seq));
             Tensor tMask = Tensor.of(mask, Shape.of(1, seq));
             Tensor tTypes = Tensor.of(new long[seq], Shape.of(1, seq))) {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            feeds.put("input_ids", tIds);
            feeds.put("attention_mask", tMask);
            feeds.put("token_type_ids", tTypes);
            int rounds = 12;
            long[] tf = new long[rounds];
            long[] tq = new long[rounds];
            for (int r = -2; r < rounds; r++) { // two warm-up rounds
                long t0 = System.nanoTime();
                f.run(feeds).close();
                long t1 = System.nanoTime();
                q.run(feeds).close();
                long t2 = System.nanoTime();
                if (r >= 0) {
                    tf[r] = t1 - t0;
                    tq[r] = t2 - t1;
                }
            }
            double minF = Arrays.stream(tf).min().orElseThrow() / 1e6;
            double minQ = Arrays.stream(tq).min().orElseThrow() / 1e6;
            System.out.printf(Locale.ROOT, "[minilm int8] seq %d, 1 thread, min of %d: fp32 %.2f ms, int8 %.2f ms = %.2fx%n",
                    seq, rounds, minF, minQ, minF / minQ);
            assertTrue(minQ < minF, "INT8 " + minQ + " ms is not faster than FP32 " + minF + " ms");
        }
    }
}

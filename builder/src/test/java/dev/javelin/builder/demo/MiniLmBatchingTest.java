package dev.javelin.builder.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.exec.ExecutorOptions;
import dev.javelin.runtime.exec.MetricsSnapshot;
import dev.javelin.runtime.exec.ModelExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Dynamic batching on a real transformer: all-MiniLM-L6-v2 requests of one sentence each (sequence 16), merged
 * by the executor into batches, must give each request exactly the hidden states it gets when run alone. This
 * holds on ONNX Runtime CPU because every op of the encoder computes a row from that row only, and MLAS
 * accumulates each output element in the same order whatever the number of rows; the test would catch a
 * batcher that mixed rows up, padded wrongly, or split outputs at the wrong offsets.
 */
class MiniLmBatchingTest {
    private static final int SEQ = 16;
    /** The langchain4j export names its [batch, tokens, 384] hidden states output_0. */
    private static final String HIDDEN = "output_0";

    @Test
    void batchedRequestsEqualUnbatchedRunsBitForBit() throws Exception {
        List<String> sentences = new ArrayList<>(SentenceEmbedderTest.SENTENCES);
        sentences.addAll(List.of("Rain is expected over the weekend.", "The train to Lyon leaves at noon.",
                "Quantum computers use qubits.", "She plays the cello in an orchestra.",
                "Remember to water the tomatoes.", "The museum opens at nine."));
        SessionOptions one = SessionOptions.builder().intraOpThreads(1).build();
        try (SentenceEmbedder embedder = SentenceEmbedder.openMiniLm(one, SentenceEmbedderTest.CACHE)) {
            Session session = embedder.session();
            List<Map<String, Tensor>> requests = new ArrayList<>();
            List<float[]> alone = new ArrayList<>();
            for (String s : sentences) {
                try (SentenceEmbedder.Batch b = embedder.tokenize(List.of(s), SEQ)) {
                    Map<String, Tensor> in = new LinkedHashMap<>();
                    in.put("input_ids", copy(b.ids()));
                    in.put("attention_mask", copy(b.attentionMask()));
                    in.put("token_type_ids", copy(b.tokenTypeIds()));
                    requests.add(in);
                    try (Result r = session.run(in)) {
                        assertEquals(Shape.of(1, SEQ, 384), r.get(HIDDEN).shape());
                        alone.add(r.get(HIDDEN).toFloatArray());
                    }
                }
            }
            ExecutorOptions opts = ExecutorOptions.builder().lanes(1).batching(8, Duration.ofMillis(50)).build();
            try (ModelExecutor ex = ModelExecutor.over(session, opts)) {
                assertTrue(ex.batching(), ex.batchingReport());
                List<CompletableFuture<Result>> futures = new ArrayList<>();
                for (Map<String, Tensor> in : requests) {
                    futures.add(ex.submit(in));
                }
                for (int i = 0; i < futures.size(); i++) {
                    try (Result r = futures.get(i).get(60, TimeUnit.SECONDS)) {
                        assertEquals(Shape.of(1, SEQ, 384), r.get(HIDDEN).shape());
                        assertArrayEquals(alone.get(i), r.get(HIDDEN).toFloatArray(), 0f,
                                "request " + i + " (\"" + sentences.get(i) + "\")");
                    }
                }
                MetricsSnapshot m = ex.metrics();
                assertTrue(m.meanBatch() > 1.5, "requests were merged into batches: " + m);
            } finally {
                requests.forEach(in -> in.values().forEach(Tensor::close));
            }
        }
    }

    private static Tensor copy(Tensor t) {
        Tensor c = Tensor.allocate(t.dtype(), t.shape());
        c.buffer().put(t.buffer());
        return c;
    }
}

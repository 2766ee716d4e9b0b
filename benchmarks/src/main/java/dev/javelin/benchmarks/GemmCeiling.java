package dev.javelin.benchmarks;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The ceiling batching can reach on all-MiniLM-L6-v2 on this CPU: ONNX Runtime's float32 GEMM throughput at
 * the model's largest matrix shape (the feed-forward MatMul, [M x 384] x [384 x 1536] with constant weights,
 * which ONNX Runtime pre-packs as it does the model's), for M = 16 (one query of 16 tokens), 128 (a batch of
 * 8) and 256 (a batch of 16), on 1 and 2 intra-op threads. The model needs 21.4 MFLOP per token (6 layers x
 * (4 x 384^2 + 2 x 384 x 1536 + 2 x 16 x 384) x 2), so sequences/s x 16 x 21.4e6 is the GEMM rate it runs at;
 * see benchmarks/README.md for what follows from it.
 *
 * <p>Run: {@code java -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmarks.classpath)"
 * dev.javelin.benchmarks.GemmCeiling}
 */
public final class GemmCeiling {
    private static final int K = 384;
    private static final int N = 1536;

    private GemmCeiling() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("javelin-gemm");
        Path model = dir.resolve("ffn_matmul.onnx");
        float[] w = new float[K * N];
        for (int i = 0; i < w.length; i++) {
            w[i] = ((i * 7) % 13 - 6) / 64f;
        }
        OnnxModel.of(OnnxGraphBuilder.graph("ffn_matmul")
                .input("x", ElementType.FLOAT, -1, K)
                .output("y", ElementType.FLOAT, -1, N)
                .initializer(Tensors.floats("w", new long[] {K, N}, w))
                .node("MatMul").name("mm").inputs("x", "w").outputs("y").add()
                .buildModel(), dir).write(model);
        for (int threads : new int[] {1, 2}) {
            try (Session s = Session.open(model, SessionOptions.builder().backend(BackendKind.CPU)
                    .intraOpThreads(threads).build())) {
                for (int m : new int[] {16, 128, 256}) {
                    float[] x = new float[m * K];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) Math.sin(i * 0.01);
                    }
                    try (Tensor in = Tensor.of(x, Shape.of(m, K))) {
                        Map<String, Tensor> feed = Map.of("x", in);
                        for (int i = 0; i < 100; i++) {
                            s.run(feed).close();
                        }
                        int iterations = 64_000 / m;
                        long t0 = System.nanoTime();
                        for (int i = 0; i < iterations; i++) {
                            s.run(feed).close();
                        }
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        double gflops = 2.0 * m * K * N * iterations / seconds / 1e9;
                        System.out.printf(Locale.ROOT, "RESULT {\"threads\":%d,\"m\":%d,\"gflop_per_s\":%.1f,"
                                + "\"minilm_seq16_per_s_at_this_rate\":%.0f}%n", threads, m, gflops, gflops * 1e9 / (16 * 21.38e6));
                    }
                }
            }
        }
        Files.deleteIfExists(model);
        Files.deleteIfExists(dir);
    }
}

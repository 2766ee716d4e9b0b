package dev.javelin.benchmarks;

import dev.javelin.benchmarks.common.Load;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The ceiling batching can reach on all-MiniLM-L6-v2 on this CPU: ONNX Runtime's float32 GEMM throughput at
 * each of the model's weight shapes ([M x 384] x [384 x 384] four times per layer, [384 x 1536] and [1536 x 384]
 * once, constant weights that ONNX Runtime pre-packs as it does the model's), for M = 16 (one query of 16 tokens),
 * 128 (a batch of 8) and 256 (a batch of 16), on 1 and 2 intra-op threads, and from those the time the model's
 * six layers spend in weight GEMMs per 16-token sequence. The model needs 21.4 MFLOP per token (6 layers x
 * (4 x 384^2 + 2 x 384 x 1536 + 2 x 16 x 384) x 2), so sequences/s x 16 x 21.4e6 is the GEMM rate it runs at;
 * see benchmarks/README.md for what follows from it, and {@code benchmarks/probes/fma_peak.c} for the core's
 * FMA peak to hold these against.
 *
 * <p>Each shape alone keeps its one weight matrix in the core's 2 MiB L2, which the model cannot: its 36 weight
 * matrices are 42 MiB. So the run ends with the same 36 MatMuls in one model, chained in the model's order
 * (Q, K, V, attention output, FFN up, FFN down, six times; each takes the previous one's output), with distinct
 * weights: the rate the GEMMs reach in situ, from one caller and from two callers at once (both cores busy, as
 * two lanes are).
 *
 * <p>Run: {@code java -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmarks.classpath)"
 * dev.javelin.benchmarks.GemmCeiling}
 */
public final class GemmCeiling {
    /** {K, N, uses per layer} of the model's weight MatMuls: Q, K, V, attention output; FFN up; FFN down. */
    private static final int[][] SHAPES = {{384, 384, 4}, {384, 1536, 1}, {1536, 384, 1}};
    private static final int LAYERS = 6;
    private static final int TOKENS = 16;

    private GemmCeiling() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("javelin-gemm");
        for (int threads : new int[] {1, 2}) {
            for (int m : new int[] {16, 128, 256}) {
                double layerSeconds = 0;
                for (int[] shape : SHAPES) {
                    double seconds = secondsPerRun(dir, shape[0], shape[1], m, threads);
                    layerSeconds += seconds * shape[2];
                    System.out.printf(Locale.ROOT, "RESULT {\"threads\":%d,\"m\":%d,\"k\":%d,\"n\":%d,\"us\":%.1f,"
                            + "\"gflop_per_s\":%.1f}%n", threads, m, shape[0], shape[1], seconds * 1e6,
                            2.0 * m * shape[0] * shape[1] / seconds / 1e9);
                }
                double perSequence = layerSeconds * LAYERS / (m / (double) TOKENS);
                System.out.printf(Locale.ROOT, "RESULT {\"threads\":%d,\"m\":%d,\"weight_gemm_ms_per_seq16\":%.3f,"
                        + "\"seq16_per_s_if_only_gemms\":%.0f}%n", threads, m, perSequence * 1e3, 1 / perSequence);
            }
        }
        Path chain = writeChain(dir);
        for (int m : new int[] {16, 128, 256}) {
            for (int callers : new int[] {1, 2}) {
                double seconds = chainSecondsPerRun(chain, m, callers);
                double perSequence = seconds / (m / (double) TOKENS);
                System.out.printf(Locale.ROOT, "RESULT {\"chain\":\"36 weight MatMuls, distinct weights\",\"threads\":1,"
                        + "\"callers\":%d,\"m\":%d,\"ms_per_run\":%.3f,\"gflop_per_s_per_caller\":%.1f,"
                        + "\"weight_gemm_ms_per_seq16\":%.3f}%n", callers, m, seconds * 1e3,
                        chainFlops(m) / seconds / 1e9, perSequence * 1e3);
            }
        }
        Files.deleteIfExists(chain);
        Files.deleteIfExists(dir);
    }

    private static double chainFlops(int m) {
        double perLayer = 0;
        for (int[] shape : SHAPES) {
            perLayer += 2.0 * m * shape[0] * shape[1] * shape[2];
        }
        return perLayer * LAYERS;
    }

    /**
     * The model's weight MatMuls in its order (per layer Q, K, V, attention output, FFN up, FFN down: {@link #SHAPES}
     * expanded by their uses), each taking the previous one's output, with distinct random weights.
     */
    private static Path writeChain(Path dir) throws Exception {
        Path model = dir.resolve("chain.onnx");
        OnnxGraphBuilder g = OnnxGraphBuilder.graph("chain").input("x0", ElementType.FLOAT, -1, 384);
        Random random = new Random(42);
        String previous = "x0";
        int step = 0;
        for (int layer = 0; layer < LAYERS; layer++) {
            for (int[] shape : SHAPES) {
                for (int use = 0; use < shape[2]; use++) {
                    step++;
                    float[] w = new float[shape[0] * shape[1]];
                    double scale = 1 / Math.sqrt(shape[0]);
                    for (int i = 0; i < w.length; i++) {
                        w[i] = (float) (random.nextGaussian() * scale);
                    }
                    g = g.initializer(Tensors.floats("w" + step, new long[] {shape[0], shape[1]}, w))
                            .node("MatMul").name("mm" + step).inputs(previous, "w" + step).outputs("x" + step).add();
                    previous = "x" + step;
                }
            }
        }
        OnnxModel.of(g.output(previous, ElementType.FLOAT, -1, 384).buildModel(), dir).write(model);
        return model;
    }

    /**
     * Mean seconds of one run of the chained model per caller: {@code callers} threads calling one session with
     * one intra-op thread in a closed loop ({@link Load#closedLoop}, as lanes do), 0.5 s warm-up, 3 s measured.
     */
    private static double chainSecondsPerRun(Path model, int m, int callers) throws Exception {
        float[] x = input(m, 384);
        try (Session s = Session.open(model, SessionOptions.builder().backend(BackendKind.CPU)
                .intraOpThreads(1).build())) {
            List<Tensor> inputs = new ArrayList<>();
            try {
                Load.Outcome outcome = Load.closedLoop(callers, 0.5, 3, caller -> {
                    Tensor in = Tensor.of(x, Shape.of(m, 384));
                    synchronized (inputs) {
                        inputs.add(in);
                    }
                    Map<String, Tensor> feed = Map.of("x0", in);
                    return () -> s.run(feed).close();
                });
                return callers / outcome.perSecond();
            } finally {
                inputs.forEach(Tensor::close);
            }
        }
    }

    /** A deterministic {@code [m x k]} activation. */
    private static float[] input(int m, int k) {
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.01);
        }
        return x;
    }

    /** Mean seconds of one {@code [m x k] x [k x n]} MatMul run after warm-up, on its own session. */
    private static double secondsPerRun(Path dir, int k, int n, int m, int threads) throws Exception {
        Path model = dir.resolve("matmul_" + k + "x" + n + ".onnx");
        float[] w = new float[k * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = ((i * 7) % 13 - 6) / 64f;
        }
        OnnxModel.of(OnnxGraphBuilder.graph("matmul")
                .input("x", ElementType.FLOAT, -1, k)
                .output("y", ElementType.FLOAT, -1, n)
                .initializer(Tensors.floats("w", new long[] {k, n}, w))
                .node("MatMul").name("mm").inputs("x", "w").outputs("y").add()
                .buildModel(), dir).write(model);
        float[] x = input(m, k);
        try (Session s = Session.open(model, SessionOptions.builder().backend(BackendKind.CPU)
                .intraOpThreads(threads).build());
             Tensor in = Tensor.of(x, Shape.of(m, k))) {
            Map<String, Tensor> feed = Map.of("x", in);
            for (int i = 0; i < 100; i++) {
                s.run(feed).close();
            }
            // about the same FLOPs per measurement whatever the shape: ~0.25-0.5 s each
            int iterations = (int) Math.max(200, 64_000L * 384 * 1536 / ((long) m * k * n));
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                s.run(feed).close();
            }
            return (System.nanoTime() - t0) / 1e9 / iterations;
        } finally {
            Files.deleteIfExists(model);
        }
    }
}

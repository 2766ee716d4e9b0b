package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrent run(Map) calls on one session give exactly the outputs of sequential runs. */
class OrtConcurrencyTest {
    static final int THREADS = 8;
    static final int RUNS = 200;
    static final int BATCH = 4;
    static final int K = 96;
    static final int N = 48;

    @TempDir
    Path dir;

    static float[] input(int thread, int run) {
        float[] x = new float[BATCH * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(thread * 1.3 + run * 0.11 + i * 0.07);
        }
        return x;
    }

    @Test
    void eightThreadsTimesTwoHundredRunsAreBitIdenticalToSequentialRuns() throws Exception {
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).build();
        try (Session s = Session.open(TestModels.matMulRelu(dir, K, N), cpu)) {
            // A few distinct inputs per thread, cycled, so the sequential reference stays small.
            int distinct = 5;
            float[][][] expected = new float[THREADS][distinct][];
            for (int t = 0; t < THREADS; t++) {
                for (int d = 0; d < distinct; d++) {
                    try (Tensor x = Tensor.of(input(t, d), Shape.of(BATCH, K)); Result r = s.run(Map.of("x", x))) {
                        expected[t][d] = r.get("y").toFloatArray();
                    }
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    int checked = 0;
                    for (int i = 0; i < RUNS; i++) {
                        int d = i % distinct;
                        try (Tensor x = Tensor.of(input(thread, d), Shape.of(BATCH, K)); Result r = s.run(Map.of("x", x))) {
                            assertEquals(Shape.of(BATCH, N), r.get("y").shape());
                            assertArrayEquals(expected[thread][d], r.get("y").toFloatArray(),
                                    "thread " + thread + " run " + i);
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            int total = 0;
            for (Future<Integer> f : futures) {
                total += f.get();
            }
            pool.shutdown();
            assertEquals(THREADS * RUNS, total);
        }
    }
}

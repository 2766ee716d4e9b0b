package dev.javelin.runtime.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.RejectedException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionClosedException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor on ONNX Runtime CPU with generated models: results against closed forms and against
 * {@link Session#run}, batching bit for bit, and each rejection path.
 */
class ModelExecutorTest {
    static final SessionOptions CPU1 = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();

    @TempDir
    Path dir;

    static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }

    @Test
    void unbatchedResultsMatchClosedForm() throws Exception {
        try (ModelExecutor ex = ModelExecutor.open(TestModels.addBatch(dir), CPU1, ExecutorOptions.builder().lanes(2).build())) {
            assertEquals(2, ex.lanes());
            Random rnd = new Random(1);
            for (int i = 0; i < 50; i++) {
                int rows = 1 + i % 3;
                float[] a = random(rnd, rows * 16);
                float[] b = random(rnd, rows * 16);
                try (Tensor ta = Tensor.of(a, Shape.of(rows, 16)); Tensor tb = Tensor.of(b, Shape.of(rows, 16));
                     Result r = ex.run(Map.of("a", ta, "b", tb))) {
                    float[] c = r.get("c").toFloatArray();
                    assertEquals(Shape.of(rows, 16), r.get("c").shape());
                    for (int j = 0; j < c.length; j++) {
                        assertEquals(a[j] + b[j], c[j], 0f);
                    }
                }
            }
            MetricsSnapshot m = ex.metrics();
            assertEquals(50, m.completed());
            assertEquals(50, m.latency().count());
            assertTrue(m.latency().p50() > 0 && m.latency().p99() >= m.latency().p50());
        }
    }

    /**
     * Rows of x @ W + b, Relu: each output row depends only on its input row, and ONNX Runtime's MLAS GEMM
     * accumulates each output element over k in the same order whatever the row count, so merged and single
     * runs must agree bit for bit.
     */
    @Test
    void batchedOutputsEqualUnbatchedBitForBit() throws Exception {
        Path model = TestModels.matMulRelu(dir, 64, 32);
        int clients = 12;
        int perClient = 40;
        float[][] inputs = new float[clients * perClient][];
        Random rnd = new Random(7);
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random(rnd, 64);
        }
        float[][] expected = new float[inputs.length][];
        try (Session s = Session.open(model, CPU1)) {
            for (int i = 0; i < inputs.length; i++) {
                try (Tensor x = Tensor.of(inputs[i], Shape.of(1, 64)); Result r = s.run(Map.of("x", x))) {
                    expected[i] = r.get("y").toFloatArray();
                }
            }
        }
        ExecutorOptions opts = ExecutorOptions.builder().lanes(1).batching(8, Duration.ofMillis(5)).build();
        float[][] actual = new float[inputs.length][];
        try (ModelExecutor ex = ModelExecutor.open(model, CPU1, opts)) {
            assertTrue(ex.batching(), ex.batchingReport());
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    for (int k = 0; k < perClient; k++) {
                        int i = client * perClient + k;
                        try (Tensor x = Tensor.of(inputs[i], Shape.of(1, 64)); Result r = ex.run(Map.of("x", x))) {
                            assertEquals(Shape.of(1, 32), r.get("y").shape());
                            actual[i] = r.get("y").toFloatArray();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            MetricsSnapshot m = ex.metrics();
            assertEquals(inputs.length, m.completed());
            assertTrue(m.meanBatch() > 1.5, "requests were merged: " + m);
        }
        for (int i = 0; i < inputs.length; i++) {
            assertArrayEquals(expected[i], actual[i], 0f, "request " + i);
        }
    }

    @Test
    void multiRowRequestsAreMergedAndSplitBack() throws Exception {
        Path model = TestModels.matMulRelu(dir, 16, 8);
        ExecutorOptions opts = ExecutorOptions.builder().lanes(1).batching(16, Duration.ofMillis(20)).ordered(false).build();
        Random rnd = new Random(3);
        try (Session s = Session.open(model, CPU1); ModelExecutor ex = ModelExecutor.over(s, opts)) {
            List<float[]> in = new ArrayList<>();
            List<CompletableFuture<Result>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int rows = 1 + i % 3;
                float[] x = random(rnd, rows * 16);
                in.add(x);
                try (Tensor t = Tensor.of(x, Shape.of(rows, 16))) {
                    fs.add(ex.submit(Map.of("x", t))); // inputs are copied: closing t at once is fine
                }
            }
            for (int i = 0; i < 6; i++) {
                int rows = 1 + i % 3;
                try (Result r = fs.get(i).get(10, TimeUnit.SECONDS);
                     Tensor x = Tensor.of(in.get(i), Shape.of(rows, 16)); Result ref = s.run(Map.of("x", x))) {
                    assertEquals(Shape.of(rows, 8), r.get("y").shape());
                    assertArrayEquals(ref.get("y").toFloatArray(), r.get("y").toFloatArray(), 0f);
                }
            }
            assertTrue(ex.metrics().batches() < 6, "some requests shared a run: " + ex.metrics());
            try (Tensor big = Tensor.of(new float[17 * 16], Shape.of(17, 16))) {
                InvalidInputException e = assertThrows(InvalidInputException.class, () -> ex.submit(Map.of("x", big)));
                assertTrue(e.getMessage().contains("17 rows exceeds the executor's maxBatch 16"), e.getMessage());
            }
        }
    }

    @Test
    void modelWithoutBatchDimensionIsNeverBatched() throws Exception {
        ExecutorOptions opts = ExecutorOptions.builder().batching(8, Duration.ofMillis(1)).build();
        try (ModelExecutor ex = ModelExecutor.open(TestModels.add(dir), CPU1, opts)) {
            assertFalse(ex.batching());
            assertTrue(ex.batchingReport().contains("input 'a' [1, 16] has no symbolic dimension 0"), ex.batchingReport());
            try (Tensor a = Tensor.of(new float[16], Shape.of(1, 16)); Result r = ex.run(Map.of("a", a, "b", a))) {
                assertEquals(Shape.of(1, 16), r.get("c").shape());
            }
        }
    }

    /** About 0.5-1 ms per run on this CPU: 256 rows x 256 x 256 MatMul. */
    static Tensor heavyInput() {
        return Tensor.of(new float[256 * 256], Shape.of(256, 256));
    }

    @Test
    void fullQueueRejectsAndCountsEverySubmission() throws Exception {
        ExecutorOptions opts = ExecutorOptions.builder().lanes(1).queueCapacity(2).build();
        try (ModelExecutor ex = ModelExecutor.open(TestModels.matMulRelu(dir, 256, 256), CPU1, opts);
             Tensor x = heavyInput()) {
            List<CompletableFuture<Result>> accepted = new ArrayList<>();
            int rejected = 0;
            for (int i = 0; i < 12; i++) {
                try {
                    accepted.add(ex.submit(Map.of("x", x)));
                } catch (RejectedException e) {
                    assertEquals(RejectedException.Reason.QUEUE_FULL, e.reason());
                    assertTrue(e.getMessage().contains("is full (2 waiting)"), e.getMessage());
                    rejected++;
                }
            }
            assertTrue(rejected >= 1, "12 heavy requests into a queue of 2 must overflow");
            for (CompletableFuture<Result> f : accepted) {
                f.get(30, TimeUnit.SECONDS).close();
            }
            MetricsSnapshot m = ex.metrics();
            assertEquals(accepted.size(), m.completed());
            assertEquals(rejected, m.rejectedFull());
            assertEquals(12, m.completed() + m.rejectedFull());
        }
    }

    @Test
    void timeoutAndCancellationRejectWithTheirReason() throws Exception {
        ExecutorOptions opts = ExecutorOptions.builder().lanes(1).build();
        try (ModelExecutor ex = ModelExecutor.open(TestModels.matMulRelu(dir, 256, 256), CPU1, opts);
             Tensor x = heavyInput()) {
            List<CompletableFuture<Result>> blockers = new ArrayList<>();
            // Keep the one lane busy long enough (64 x ~0.3 ms of 256x256 MatMul, ~20 ms) that the requests
            // below are still queued when they are cancelled; 4 blockers were not enough on a loaded CI machine.
            for (int i = 0; i < 64; i++) {
                blockers.add(ex.submit(Map.of("x", x), Duration.ZERO));
            }
            List<CompletableFuture<Result>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                fs.add(ex.submit(Map.of("x", x), Duration.ofNanos(1_000)));
            }
            CompletableFuture<Result> cancelled = ex.submit(Map.of("x", x), Duration.ZERO);
            assertTrue(cancelled.cancel(true), () -> "cancel before done: " + ex.metrics() + " compute " + ex.metrics().compute());
            assertFalse(cancelled.cancel(true), "second cancel does nothing");
            ExecutionException ce = assertThrows(ExecutionException.class, () -> cancelled.get(5, TimeUnit.SECONDS));
            assertEquals(RejectedException.Reason.CANCELLED, ((RejectedException) ce.getCause()).reason());
            int timedOut = 0;
            for (CompletableFuture<Result> f : fs) {
                try {
                    f.get(30, TimeUnit.SECONDS).close();
                } catch (ExecutionException e) {
                    RejectedException re = assertInstanceOf(RejectedException.class, e.getCause());
                    assertEquals(RejectedException.Reason.TIMEOUT, re.reason());
                    assertTrue(re.getMessage().contains("timed out"), re.getMessage());
                    timedOut++;
                }
            }
            assertEquals(6, timedOut, "1 us deadlines behind busy lanes time out");
            for (CompletableFuture<Result> f : blockers) {
                f.get(30, TimeUnit.SECONDS).close();
            }
            ex.close();
            MetricsSnapshot m = ex.metrics();
            assertEquals(6, m.timedOut());
            assertEquals(1, m.cancelled());
            assertEquals(blockers.size(), m.completed());
            assertEquals(blockers.size() + 7, m.finished());
        }
    }

    @Test
    void resultsCompleteInSubmissionOrderPerCaller() throws Exception {
        ExecutorOptions opts = ExecutorOptions.builder().lanes(3).build();
        try (ModelExecutor ex = ModelExecutor.open(TestModels.addBatch(dir), CPU1, opts)) {
            // A callback attached after completion may run late in the attaching thread, so check what
            // completion order guarantees: when request i completes, every earlier request already has.
            java.util.concurrent.atomic.AtomicReferenceArray<CompletableFuture<Result>> fs =
                    new java.util.concurrent.atomic.AtomicReferenceArray<>(300);
            List<String> violations = Collections.synchronizedList(new ArrayList<>());
            Random rnd = new Random(5);
            for (int i = 0; i < 300; i++) {
                int rows = 1 + rnd.nextInt(40); // uneven work, so lanes finish out of order
                int id = i;
                try (Tensor a = Tensor.of(new float[rows * 16], Shape.of(rows, 16))) {
                    CompletableFuture<Result> f = ex.submit(Map.of("a", a, "b", a));
                    fs.set(i, f);
                    f.whenComplete((r, e) -> {
                        for (int j = 0; j < id; j++) {
                            if (!fs.get(j).isDone()) {
                                violations.add(id + " completed before " + j);
                            }
                        }
                    });
                }
            }
            for (int i = 0; i < 300; i++) {
                fs.get(i).get(30, TimeUnit.SECONDS).close();
            }
            assertEquals(List.of(), violations);
            assertTrue(ex.metrics().completed() == 300);
        }
    }

    @Test
    void closeWhileBusyFinishesQueuedRequestsAndRejectsNewOnes() throws Exception {
        ExecutorOptions opts = ExecutorOptions.builder().lanes(1).build();
        ModelExecutor ex = ModelExecutor.open(TestModels.matMulRelu(dir, 256, 256), CPU1, opts);
        List<CompletableFuture<Result>> fs = new ArrayList<>();
        try (Tensor x = heavyInput()) {
            for (int i = 0; i < 8; i++) {
                fs.add(ex.submit(Map.of("x", x)));
            }
            Thread closer = new Thread(ex::close);
            closer.start();
            while (closer.isAlive()) {
                try {
                    ex.submit(Map.of("x", x)).get().close();
                } catch (SessionClosedException e) {
                    assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                    break;
                }
            }
            closer.join(30_000);
            assertFalse(closer.isAlive());
            assertThrows(SessionClosedException.class, () -> ex.submit(Map.of("x", x)));
        }
        for (CompletableFuture<Result> f : fs) {
            assertTrue(f.isDone());
            Result r = f.get();
            assertNotNull(r);
            r.close();
        }
        assertTrue(ex.session().isClosed(), "an executor that opened its session closes it");
    }

    /**
     * A close that lands anywhere inside {@code submit} (here: inside the caller's own map lookups, after the
     * n-th of them) either lets the request through or rejects it as a submission after close; never an
     * untyped error from a pool that close already freed.
     */
    @Test
    void closeAtEveryPointOfSubmitRejectsWithTheTypedError() throws Exception {
        Path model = TestModels.matMulRelu(dir, 16, 8);
        int accepted = 0;
        int rejected = 0;
        for (int closeAfter = 0; closeAfter < 12; closeAfter++) {
            ModelExecutor ex = ModelExecutor.open(model, CPU1, ExecutorOptions.builder().lanes(1).build());
            try (Tensor x = Tensor.of(new float[16], Shape.of(1, 16))) {
                int limit = closeAfter;
                Map<String, Tensor> closingRequest = new java.util.AbstractMap<>() {
                    int lookups;

                    @Override
                    public Tensor get(Object key) {
                        if (lookups++ == limit) {
                            ex.close();
                        }
                        return "x".equals(key) ? x : null;
                    }

                    @Override
                    public java.util.Set<Entry<String, Tensor>> entrySet() {
                        return Map.of("x", x).entrySet();
                    }
                };
                try {
                    CompletableFuture<Result> f = ex.submit(closingRequest);
                    f.get(30, TimeUnit.SECONDS).close();
                    accepted++;
                } catch (SessionClosedException e) {
                    assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                    rejected++;
                } finally {
                    ex.close();
                }
            }
        }
        assertTrue(rejected > 0, "every close landed after the request was queued; the test misses its window");
        assertEquals(12, accepted + rejected);
    }

    @Test
    void steadyStateAllocatesNoNativeBuffers() throws Exception {
        ExecutorOptions opts = ExecutorOptions.builder().lanes(2).batching(4, Duration.ofMillis(1)).build();
        try (ModelExecutor ex = ModelExecutor.open(TestModels.matMulRelu(dir, 16, 8), CPU1, opts);
             Tensor x = Tensor.of(new float[16], Shape.of(1, 16))) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            Runnable load = () -> {
                for (int i = 0; i < 500; i++) {
                    ex.run(Map.of("x", x)).close();
                }
            };
            List<Future<?>> warm = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                warm.add(pool.submit(load));
            }
            for (Future<?> f : warm) {
                f.get();
            }
            long allocations = ex.poolStats().allocations();
            long leases = ex.poolStats().leases();
            List<Future<?>> steady = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                steady.add(pool.submit(load));
            }
            for (Future<?> f : steady) {
                f.get();
            }
            pool.shutdown();
            assertEquals(leases + 4000, ex.poolStats().leases(), "one input and one output lease per request");
            assertEquals(allocations, ex.poolStats().allocations(), "no pool allocation in 2000 steady-state requests");
            assertTrue(allocations <= 64, "the pool grew to the concurrency, not the request count: " + allocations);
            assertEquals(0, ex.poolStats().leasedBytes(), "every lease came back");
        }
    }
}

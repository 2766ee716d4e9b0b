package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.SessionRunner;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Lane;
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

/** A model held in several ONNX Runtime sessions: created lazily, bit-identical outputs, all released on close. */
class OrtInstancesTest {
    static final int K = 96;
    static final int N = 48;

    @TempDir
    Path dir;

    static SessionOptions cpu(int instances) {
        return SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).instances(instances).build();
    }

    /** y = Relu(x W + b) in double, rounded once: the closed form the float32 run must be close to. */
    static float[] reference(float[] x, int batch) {
        float[] y = new float[batch * N];
        for (int r = 0; r < batch; r++) {
            for (int j = 0; j < N; j++) {
                double acc = TestModels.bias(j);
                for (int k = 0; k < K; k++) {
                    acc += (double) x[r * K + k] * TestModels.weight(k, j);
                }
                y[r * N + j] = (float) Math.max(0, acc);
            }
        }
        return y;
    }

    static float[] input(int seed) {
        float[] x = new float[2 * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.cos(seed * 0.7 + i * 0.13);
        }
        return x;
    }

    @Test
    void oneCallerAtATimeKeepsOneInstance() {
        Path model = TestModels.matMulRelu(dir, K, N);
        OrtCompiledModel m = (OrtCompiledModel) new OrtCpuBackend().compile(model, cpu(4));
        try (Tensor x = Tensor.of(input(1), Shape.of(2, K))) {
            for (int i = 0; i < 200; i++) {
                m.run(Map.of("x", x)).close();
            }
            try (Lane lane = m.newLane(Map.of("x", Shape.of(2, K)))) {
                lane.input("x").buffer().put(x.buffer());
                lane.run();
            }
            try (Lane lane = m.newLane(Map.of("x", Shape.of(2, K)))) {
                lane.run(); // a lane opened after the first closed reuses the first instance
            }
            assertEquals(1, m.instanceCount(), "sequential runs and one lane at a time need no second instance");
        } finally {
            m.close();
        }
    }

    @Test
    void aLaneOpenedBesideASiblingSharesItsInstanceWhileAPlainSecondLaneGetsItsOwn() {
        Path model = TestModels.matMulRelu(dir, K, N);
        float[] expected = reference(input(3), 2);
        try (Session s = Session.open(model, cpu(2));
             Session other = Session.open(model, cpu(2));
             Tensor x = Tensor.of(input(3), Shape.of(2, K))) {
            OrtCompiledModel m = compiled(s);
            Map<String, Shape> shapes = Map.of("x", Shape.of(2, K));
            try (Lane a = s.newLane(shapes); Lane b = s.newLaneBeside(a, shapes)) {
                assertEquals(1, m.instanceCount(), "a ping-pong pair stays on one ONNX Runtime session");
                for (Lane lane : List.of(a, b, a, b)) {
                    lane.input("x").buffer().put(x.buffer());
                    lane.run();
                    assertArrayEquals(expected, lane.output("y").toFloatArray(), 1e-4f);
                }
                try (Lane c = s.newLane(shapes)) {
                    assertEquals(2, m.instanceCount(), "a lane for another caller is spread to a second instance");
                }
                try (Lane foreign = other.newLane(shapes)) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.newLaneBeside(foreign, shapes));
                    assertTrue(e.getMessage().contains("lane opened by this session"), e.getMessage());
                }
            }
        }
    }

    /** The backend model behind a CPU session (tests in this package may look inside). */
    static OrtCompiledModel compiled(Session s) {
        try {
            java.lang.reflect.Field f = Session.class.getDeclaredField("compiled");
            f.setAccessible(true);
            return (OrtCompiledModel) f.get(s);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void concurrentUsersGetTheirOwnInstancesWithBitIdenticalOutputsAndCloseReleasesAll() {
        Path model = TestModels.matMulRelu(dir, K, N);
        OrtCompiledModel m = (OrtCompiledModel) new OrtCpuBackend().compile(model, cpu(2));
        List<InferenceSession> sessions = new ArrayList<>();
        try (Tensor x = Tensor.of(input(2), Shape.of(2, K));
             Lane a = m.newLane(Map.of("x", Shape.of(2, K)));
             Lane b = m.newLane(Map.of("x", Shape.of(2, K)))) {
            assertEquals(2, m.instanceCount(), "two open lanes -> two instances");
            assertEquals(0, ((OrtLane) a).instance);
            assertEquals(1, ((OrtLane) b).instance);
            a.input("x").buffer().put(x.buffer().duplicate());
            b.input("x").buffer().put(x.buffer().duplicate());
            a.run();
            b.run();
            float[] ya = a.output("y").toFloatArray();
            float[] yb = b.output("y").toFloatArray();
            assertArrayEquals(ya, yb, "the two instances compute bit-identical outputs");
            float[] ref = reference(input(2), 2);
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], ya[i], 1e-5f * Math.max(1f, Math.abs(ref[i])), "y[" + i + "]");
            }
            try (Result r = m.run(Map.of("x", x))) {
                assertArrayEquals(ya, r.get("y").toFloatArray(), "run(Map) on an instance matches the lanes");
            }
            // Two runners held at once (two concurrent run(Map) callers) sit on different instances; a third
            // goes to the instance with the fewest runners, as the limit is 2.
            SessionRunner r1 = m.instances().newRunner();
            SessionRunner r2 = m.instances().newRunner();
            SessionRunner r3 = m.instances().newRunner();
            assertEquals(2, m.instanceCount());
            for (SessionRunner r : List.of(r1, r2, r3)) {
                m.instances().runnerClosed(r);
                r.close();
            }
            sessions.add(m.instances().session(0));
            sessions.add(m.instances().session(1));
        } finally {
            m.close();
        }
        for (InferenceSession s : sessions) {
            assertTrue(s.isClosed(), s + " released on close");
        }
    }

    @Test
    void eightThreadsOverFourInstancesAreBitIdenticalToOneInstance() throws Exception {
        Path model = TestModels.matMulRelu(dir, K, N);
        int threads = 8;
        int runs = 200;
        float[][] expected = new float[threads][];
        try (Session one = Session.open(model, cpu(1))) {
            for (int t = 0; t < threads; t++) {
                try (Tensor x = Tensor.of(input(t), Shape.of(2, K)); Result r = one.run(Map.of("x", x))) {
                    expected[t] = r.get("y").toFloatArray();
                }
            }
        }
        try (Session s = Session.open(model, cpu(4))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    int checked = 0;
                    try (Tensor x = Tensor.of(input(thread), Shape.of(2, K))) {
                        for (int i = 0; i < runs; i++) {
                            try (Result r = s.run(Map.of("x", x))) {
                                assertArrayEquals(expected[thread], r.get("y").toFloatArray(), "thread " + thread + " run " + i);
                                checked++;
                            }
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
            assertEquals(threads * runs, total);
        }
    }
}

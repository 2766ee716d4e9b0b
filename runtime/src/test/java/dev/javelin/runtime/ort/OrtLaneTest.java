package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lanes: inputs bound once, outputs preallocated or learned from the first run, shape changes handled. */
class OrtLaneTest {
    static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).build();

    @TempDir
    Path dir;

    @Test
    void symbolicOutputIsLearnedOnFirstRunThenWrittenInPlace() {
        try (Session s = Session.open(TestModels.addBatch(dir), CPU);
             Lane lane = s.newLane(Map.of("a", Shape.of(3, 16), "b", Shape.of(3, 16)))) {
            assertThrows(IllegalStateException.class, () -> lane.output("c"), "shape unknown before the first run");
            for (int i = 0; i < 48; i++) {
                lane.input("a").buffer().putFloat(i * 4, i);
                lane.input("b").buffer().putFloat(i * 4, 1000);
            }
            lane.run();
            Tensor c = lane.output("c");
            assertEquals(Shape.of(3, 16), c.shape());
            assertEquals(1047f, c.toFloatArray()[47]);
            lane.input("b").buffer().putFloat(47 * 4, -47);
            lane.run();
            assertSame(c, lane.output("c"), "same tensor, same memory: the learned output stays bound");
            assertEquals(0f, c.toFloatArray()[47]);
            try (Tensor a = Tensor.wrap(lane.input("a").buffer(), DType.FLOAT32, Shape.of(3, 16));
                 Tensor b = Tensor.wrap(lane.input("b").buffer(), DType.FLOAT32, Shape.of(3, 16));
                 Result r = s.run(Map.of("a", a, "b", b))) {
                assertArrayEquals(r.get("c").toFloatArray(), c.toFloatArray(), "lane == run(Map)");
            }
        }
    }

    @Test
    void dataDependentOutputShapeChangesAreHandled() {
        try (Session s = Session.open(TestModels.nonZero(dir), CPU); Lane lane = s.newLane(Map.of("x", Shape.of(8)))) {
            float[] x = {1, 0, 1, 0, 0, 0, 0, 1};
            lane.input("x").buffer().asFloatBuffer().put(x);
            lane.run();
            Tensor first = lane.output("y");
            assertEquals(Shape.of(1, 3), first.shape());
            assertArrayEquals(new long[] {0, 2, 7}, first.toLongArray());

            lane.input("x").buffer().putFloat(4 * 4, 5f); // four non-zeros now
            lane.run();
            Tensor second = lane.output("y");
            assertEquals(Shape.of(1, 4), second.shape());
            assertArrayEquals(new long[] {0, 2, 4, 7}, second.toLongArray());
            assertThrows(IllegalStateException.class, first::toFloatArray, "the replaced output tensor is closed");

            lane.input("x").buffer().asFloatBuffer().put(new float[8]); // none
            lane.run();
            assertEquals(Shape.of(1, 0), lane.output("y").shape());
            lane.input("x").buffer().asFloatBuffer().put(x);
            lane.run();
            assertArrayEquals(new long[] {0, 2, 7}, lane.output("y").toLongArray());
        }
    }

    @Test
    void fixedShapeOutputsArePreallocatedBeforeTheFirstRun() {
        try (Session s = Session.open(TestModels.int64(dir), CPU); Lane lane = s.newLane(Map.of("x", Shape.of(2, 3)))) {
            Tensor y = lane.output("y");
            assertEquals(Shape.of(2, 3), y.shape());
            lane.input("x").buffer().asLongBuffer().put(new long[] {1, 2, 3, 4, 5, 6});
            lane.run();
            assertSame(y, lane.output("y"));
            assertArrayEquals(new long[] {2, 6, 12, 20, 30, 42}, y.toLongArray());
        }
    }

    @Test
    void manyLanesOnOneSessionAreIndependent() {
        try (Session s = Session.open(TestModels.add(dir), CPU)) {
            Lane[] lanes = new Lane[4];
            for (int l = 0; l < lanes.length; l++) {
                lanes[l] = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)));
                lanes[l].input("a").buffer().putFloat(0, l);
                lanes[l].input("b").buffer().putFloat(0, 10 * l);
            }
            for (Lane lane : lanes) {
                lane.run();
            }
            for (int l = 0; l < lanes.length; l++) {
                assertEquals(11f * l, lanes[l].output("c").toFloatArray()[0]);
            }
            lanes[1].close();
            lanes[0].run();
            assertTrue(lanes[0].output("c").toFloatArray()[0] == 0f);
        } // the session closes the remaining lanes
    }

    @Test
    void runMapHandlesDataDependentShapesWithPinnedOutputs() {
        // run(Map) pins outputs once it has seen their shapes for the current input shapes; NonZero's shape
        // changes with the data, so a pinned run fails inside ONNX Runtime and must be transparently rerun.
        try (Session s = Session.open(TestModels.nonZero(dir), CPU)) {
            float[][] inputs = {{1, 0, 1, 0, 0, 0, 0, 1}, {1, 0, 1, 0, 0, 0, 0, 1}, {1, 1, 1, 0, 0, 0, 0, 1}, {0, 0, 0, 0, 0, 0, 0, 0}};
            long[][] expected = {{0, 2, 7}, {0, 2, 7}, {0, 1, 2, 7}, {}};
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < inputs.length; i++) {
                    try (Tensor x = Tensor.of(inputs[i], Shape.of(8)); Result r = s.run(Map.of("x", x))) {
                        assertEquals(Shape.of(1, expected[i].length), r.get("y").shape(), "call " + i);
                        assertArrayEquals(expected[i], r.get("y").toLongArray(), "call " + i);
                    }
                }
            }
        }
    }

    @Test
    void pinnedOutputsOutliveTheRunAndAreIndependentPerResult() {
        try (Session s = Session.open(TestModels.add(dir), CPU)) {
            Result[] results = new Result[5];
            for (int i = 0; i < results.length; i++) {
                try (Tensor a = Tensor.of(new float[16], Shape.of(1, 16)); Tensor b = Tensor.of(new float[16], Shape.of(1, 16))) {
                    a.buffer().putFloat(0, i);
                    results[i] = s.run(Map.of("a", a, "b", b));
                }
            }
            for (int i = 0; i < results.length; i++) {
                assertEquals((float) i, results[i].get("c").toFloatArray()[0], "result " + i + " kept its own memory");
                results[i].close();
            }
        }
    }

    @Test
    void aLaneRunByTwoThreadsAtOnceIsRefusedNotRaced() throws Exception {
        try (Session s = Session.open(TestModels.matMulRelu(dir, 256, 256), CPU);
             Lane lane = s.newLane(Map.of("x", Shape.of(64, 256)))) {
            java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
            java.util.List<Throwable> other = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread[] ts = new Thread[2];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = new Thread(() -> {
                    for (int i = 0; i < 300; i++) {
                        try {
                            lane.run();
                        } catch (IllegalStateException e) {
                            refused.incrementAndGet();
                        } catch (Throwable e) {
                            other.add(e);
                        }
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertTrue(other.isEmpty(), other.toString());
            lane.run(); // still usable afterwards
        }
    }
}

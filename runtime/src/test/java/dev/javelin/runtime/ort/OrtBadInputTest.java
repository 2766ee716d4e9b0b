package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.OrtErrorCode;
import dev.javelin.bindings.ort.OrtException;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionClosedException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a caller can get things wrong gives a typed exception naming the file or tensor; none crashes the JVM. */
class OrtBadInputTest {
    static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).build();

    @TempDir
    Path dir;

    private static Tensor floats(float v, long... shape) {
        float[] a = new float[(int) Shape.of(shape).elementCount()];
        Arrays.fill(a, v);
        return Tensor.of(a, Shape.of(shape));
    }

    // ---- model files ----

    @Test
    void truncatedModelIsAModelExceptionNamingTheFile() throws Exception {
        Path good = TestModels.matMulRelu(dir, 4, 3);
        byte[] bytes = Files.readAllBytes(good);
        Path bad = Files.write(dir.resolve("truncated.onnx"), Arrays.copyOf(bytes, bytes.length / 2));
        ModelException e = assertThrows(ModelException.class, () -> Session.open(bad, CPU));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("ORT_INVALID_PROTOBUF"), e.getMessage());
    }

    @Test
    void corruptedModelIsAModelException() throws Exception {
        byte[] bytes = Files.readAllBytes(TestModels.matMulRelu(dir, 4, 3));
        for (int i = 8; i < 40; i++) {
            bytes[i] = (byte) 0xFF; // invalid tags and lengths in the middle of the graph
        }
        Path bad = Files.write(dir.resolve("corrupted.onnx"), bytes);
        ModelException e = assertThrows(ModelException.class, () -> Session.open(bad, CPU));
        assertTrue(e.getMessage().contains("corrupted.onnx"), e.getMessage());
    }

    @Test
    void emptyFileIsAModelException() throws Exception {
        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        ModelException e = assertThrows(ModelException.class, () -> Session.open(empty, CPU));
        assertTrue(e.getMessage().contains("empty.onnx") && e.getMessage().contains("empty"), e.getMessage());
        // The backend alone (without Session's pre-checks) also refuses it with a ModelException.
        assertThrows(ModelException.class, () -> new OrtCpuBackend().compile(empty, CPU));
    }

    @Test
    void directoryIsAModelException() {
        ModelException e = assertThrows(ModelException.class, () -> Session.open(dir, CPU));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        assertThrows(ModelException.class, () -> new OrtCpuBackend().compile(dir, CPU));
    }

    @Test
    void missingFileIsAModelException() {
        Path none = dir.resolve("none.onnx");
        assertThrows(ModelException.class, () -> Session.open(none, CPU));
        assertThrows(ModelException.class, () -> new OrtCpuBackend().compile(none, CPU));
    }

    @Test
    void unknownOperatorIsAModelExceptionWithTheOrtCode() {
        Path m = TestModels.unknownOp(dir);
        ModelException e = assertThrows(ModelException.class, () -> Session.open(m, CPU));
        assertTrue(e.getMessage().contains("NoSuchOperator"), e.getMessage());
        assertTrue(e.getCause() instanceof OrtException, "cause carries the ORT status");
    }

    @Test
    void unsupportedElementTypeIsAModelExceptionNamingTheTensor() {
        ModelException e = assertThrows(ModelException.class, () -> Session.open(TestModels.float64(dir), CPU));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("double"), e.getMessage());
    }

    @Test
    void bindingsReportCallCodeAndMessage() throws Exception {
        Path bad = Files.write(dir.resolve("junk.onnx"), "not a model".getBytes());
        try (SessionConfig config = new SessionConfig()) {
            OrtException e = assertThrows(OrtException.class, () -> InferenceSession.open(bad, config));
            NativeCallException n = e;
            assertTrue(n.call().startsWith("CreateSession(") && n.call().contains("junk.onnx"), n.call());
            assertEquals(OrtErrorCode.INVALID_PROTOBUF, e.errorCode());
            assertEquals(7, n.code());
            assertEquals("ORT_INVALID_PROTOBUF", n.status());
            assertTrue(e.ortMessage().contains("Protobuf parsing failed"), e.ortMessage());
        }
    }

    // ---- inputs ----

    @Test
    void wrongInputNameIsRejectedNamingIt() {
        try (Session s = Session.open(TestModels.add(dir), CPU); Tensor a = floats(1, 1, 16); Tensor b = floats(2, 1, 16)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a, "bee", b)));
            assertEquals("bee", e.tensor());
            assertTrue(e.getMessage().contains("[a, b]"), e.getMessage());
        }
    }

    @Test
    void missingInputIsRejectedNamingIt() {
        try (Session s = Session.open(TestModels.add(dir), CPU); Tensor a = floats(1, 1, 16)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a)));
            assertEquals("b", e.tensor());
        }
    }

    @Test
    void wrongDtypeIsRejected() {
        try (Session s = Session.open(TestModels.add(dir), CPU); Tensor a = floats(1, 1, 16);
             Tensor b = Tensor.of(new int[16], Shape.of(1, 16))) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a, "b", b)));
            assertEquals("b", e.tensor());
            assertTrue(e.getMessage().contains("int32") && e.getMessage().contains("float32"), e.getMessage());
        }
    }

    @Test
    void wrongRankIsRejected() {
        try (Session s = Session.open(TestModels.add(dir), CPU); Tensor a = floats(1, 16); Tensor b = floats(2, 1, 16)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a, "b", b)));
            assertEquals("a", e.tensor());
            assertTrue(e.getMessage().contains("rank"), e.getMessage());
        }
    }

    @Test
    void wrongFixedDimIsRejectedButSymbolicDimsAreFree() {
        try (Session s = Session.open(TestModels.add(dir), CPU); Tensor a = floats(1, 1, 15); Tensor b = floats(2, 1, 16)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a, "b", b)));
            assertTrue(e.getMessage().contains("dimension 1 must be 16"), e.getMessage());
        }
        try (Session s = Session.open(TestModels.addBatch(dir), CPU); Tensor a = floats(1, 5, 16); Tensor b = floats(2, 5, 16);
             Result r = s.run(Map.of("a", a, "b", b))) {
            assertEquals(Shape.of(5, 16), r.get("c").shape());
        }
    }

    @Test
    void mismatchedSymbolicDimsAreANativeFailureNotACrash() {
        // batch 2 vs batch 3 broadcast fails inside ONNX Runtime: typed error, JVM alive.
        try (Session s = Session.open(TestModels.addBatch(dir), CPU); Tensor a = floats(1, 2, 16); Tensor b = floats(2, 3, 16)) {
            var e = assertThrows(dev.javelin.runtime.NativeFailureException.class, () -> s.run(Map.of("a", a, "b", b)));
            assertTrue(e.getMessage().contains("add_batch.onnx"), e.getMessage());
        }
    }

    @Test
    void bufferOfWrongSizeIsRejectedByWrap() {
        ByteBuffer small = ByteBuffer.allocateDirect(15 * 4).order(ByteOrder.nativeOrder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(small, DType.FLOAT32, Shape.of(1, 16)));
        assertTrue(e.getMessage().contains("60 bytes") && e.getMessage().contains("64"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(ByteBuffer.allocate(64).order(ByteOrder.nativeOrder()), DType.FLOAT32, Shape.of(1, 16)),
                "heap buffers are refused");
    }

    @Test
    void nanInputIsAllowedAndPropagated() {
        float[] a = new float[16];
        a[3] = Float.NaN;
        a[5] = Float.POSITIVE_INFINITY;
        try (Session s = Session.open(TestModels.add(dir), CPU); Tensor ta = Tensor.of(a, Shape.of(1, 16));
             Tensor tb = floats(1, 1, 16); Result r = s.run(Map.of("a", ta, "b", tb))) {
            float[] c = r.get("c").toFloatArray();
            assertTrue(Float.isNaN(c[3]));
            assertEquals(Float.POSITIVE_INFINITY, c[5]);
            assertEquals(1f, c[0]);
        }
    }

    // ---- lifecycle ----

    @Test
    void closedSessionRefusesRunsAndLanes() {
        Session s = Session.open(TestModels.add(dir), CPU);
        s.close();
        try (Tensor a = floats(1, 1, 16); Tensor b = floats(2, 1, 16)) {
            assertThrows(SessionClosedException.class, () -> s.run(Map.of("a", a, "b", b)));
            assertThrows(SessionClosedException.class, () -> s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16))));
        }
    }

    @Test
    void doubleCloseIsHarmless() {
        Session s = Session.open(TestModels.add(dir), CPU);
        Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)));
        lane.close();
        assertDoesNotThrow(lane::close);
        s.close();
        assertDoesNotThrow(s::close);
        Tensor t = floats(1, 1, 16);
        t.close();
        assertDoesNotThrow(t::close);
    }

    @Test
    void useAfterCloseOfLaneSessionAndTensors() {
        Session s = Session.open(TestModels.add(dir), CPU);
        Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)));
        Tensor laneOut = lane.output("c");
        lane.close();
        assertThrows(SessionClosedException.class, lane::run);
        assertThrows(SessionClosedException.class, () -> lane.input("a"));
        assertThrows(IllegalStateException.class, laneOut::toFloatArray, "the lane's tensors die with it");

        Lane lane2 = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)));
        Tensor a = floats(1, 1, 16);
        Tensor b = floats(2, 1, 16);
        Result r = s.run(Map.of("a", a, "b", b));
        Tensor c = r.get("c");
        r.close();
        assertThrows(IllegalStateException.class, c::toFloatArray, "result tensors die with the result");
        a.close();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a, "b", b)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        s.close();
        assertThrows(SessionClosedException.class, lane2::run, "lanes die with their session");
        b.close();
    }

    @Test
    void userClosingALaneTensorDoesNotFreeTheLanesMemory() {
        try (Session s = Session.open(TestModels.add(dir), CPU);
             Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)))) {
            lane.input("a").close();
            lane.output("c").close();
            assertDoesNotThrow(lane::run, "memory is the lane's; the run still reads and writes it safely");
        }
    }

    @Test
    void concurrentCloseDuringRunNeverCrashes() throws Exception {
        Session s = Session.open(TestModels.matMulRelu(dir, 64, 64), CPU);
        float[] x = new float[32 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 13) / 7f - 0.8f;
        }
        float[] expected;
        try (Tensor in = Tensor.of(x, Shape.of(32, 64)); Result r = s.run(Map.of("x", in))) {
            expected = r.get("y").toFloatArray();
        }
        int threads = 4;
        CountDownLatch started = new CountDownLatch(threads);
        AtomicLong completed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        List<Thread> ts = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            boolean useLane = t % 2 == 1;
            Thread th = new Thread(() -> {
                Lane lane = null;
                try (Tensor in = Tensor.of(x, Shape.of(32, 64))) {
                    if (useLane) {
                        lane = s.newLane(Map.of("x", Shape.of(32, 64)));
                        lane.input("x").buffer().asFloatBuffer().put(x);
                    }
                    started.countDown();
                    while (true) {
                        if (useLane) {
                            lane.run();
                        } else {
                            try (Result r = s.run(Map.of("x", in))) {
                                if (!Arrays.equals(expected, r.get("y").toFloatArray())) {
                                    throw new AssertionError("output differs from the sequential run");
                                }
                            }
                        }
                        completed.incrementAndGet();
                    }
                } catch (SessionClosedException e) {
                    refused.incrementAndGet();
                } catch (Throwable e) {
                    unexpected.add(e);
                } finally {
                    started.countDown();
                }
            });
            ts.add(th);
            th.start();
        }
        started.await();
        Thread.sleep(200);
        s.close();
        for (Thread th : ts) {
            th.join(10_000);
        }
        assertTrue(unexpected.isEmpty(), "only SessionClosedException may escape: " + unexpected);
        assertEquals(threads, refused.get(), "every caller saw the session close");
        assertTrue(completed.get() > 0);
    }

    @Test
    void laneShapesAreValidated() {
        try (Session s = Session.open(TestModels.add(dir), CPU)) {
            Map<String, Shape> shapes = new HashMap<>(Map.of("a", Shape.of(1, 16)));
            assertEquals("b", assertThrows(InvalidInputException.class, () -> s.newLane(shapes)).tensor());
            shapes.put("b", Shape.of(2, 16));
            assertEquals("b", assertThrows(InvalidInputException.class, () -> s.newLane(shapes)).tensor());
        }
    }
}

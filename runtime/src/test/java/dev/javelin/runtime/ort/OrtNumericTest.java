package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Float16;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs of small generated models on ONNX Runtime CPU against closed forms. FP32 tolerance rtol = atol = 1e-5. */
class OrtNumericTest {
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-5;
    static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).build();

    @TempDir
    Path dir;

    static void assertClose(double expected, double actual, String what) {
        assertTrue(Math.abs(expected - actual) <= ATOL + RTOL * Math.abs(expected),
                what + ": expected " + expected + " got " + actual);
    }

    @Test
    void addMatchesClosedFormOnRunAndLane() {
        float[] a = new float[16];
        float[] b = new float[16];
        for (int i = 0; i < 16; i++) {
            a[i] = i * 0.25f - 1.5f;
            b[i] = 3f - i * 0.125f;
        }
        try (Session s = Session.open(TestModels.add(dir), CPU);
             Tensor ta = Tensor.of(a, Shape.of(1, 16));
             Tensor tb = Tensor.of(b, Shape.of(1, 16));
             Result r = s.run(Map.of("a", ta, "b", tb));
             Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)))) {
            assertEquals(BackendKind.CPU, s.backend());
            float[] c = r.get("c").toFloatArray();
            assertEquals(Shape.of(1, 16), r.get("c").shape());
            for (int i = 0; i < 16; i++) {
                assertClose((double) a[i] + b[i], c[i], "c[" + i + "]");
            }
            lane.input("a").buffer().asFloatBuffer().put(a);
            lane.input("b").buffer().asFloatBuffer().put(b);
            lane.run();
            assertArrayEquals(c, lane.output("c").toFloatArray(), "lane and run(Map) agree bit for bit");
        }
    }

    @Test
    void matMulReluMatchesClosedFormForSeveralBatchSizes() {
        int k = 5;
        int n = 3;
        try (Session s = Session.open(TestModels.matMulRelu(dir, k, n), CPU)) {
            TensorInfo x = s.signature().input("x").orElseThrow();
            assertEquals("batch", x.dims().get(0).symbol());
            assertEquals(-1, x.dims().get(0).size());
            for (int batch : new int[] {1, 3, 8}) {
                float[] in = new float[batch * k];
                for (int i = 0; i < in.length; i++) {
                    in[i] = (float) Math.sin(i * 0.7 + batch) * 2;
                }
                try (Tensor t = Tensor.of(in, Shape.of(batch, k)); Result r = s.run(Map.of("x", t))) {
                    Tensor y = r.get("y");
                    assertEquals(Shape.of(batch, n), y.shape());
                    float[] out = y.toFloatArray();
                    int negatives = 0;
                    for (int row = 0; row < batch; row++) {
                        for (int col = 0; col < n; col++) {
                            double acc = TestModels.bias(col);
                            for (int i = 0; i < k; i++) {
                                acc += (double) in[row * k + i] * TestModels.weight(i, col);
                            }
                            negatives += acc < 0 ? 1 : 0;
                            assertClose(Math.max(0, acc), out[row * n + col], "y[" + row + "][" + col + "]");
                        }
                    }
                    if (batch == 8) {
                        assertTrue(negatives > 0 && negatives < batch * n, "inputs exercise both sides of Relu");
                    }
                }
            }
        }
    }

    @Test
    void int64ModelIsExact() {
        long[] x = {-3, 0, 7, 1L << 20, -(1L << 20), 123456789};
        try (Session s = Session.open(TestModels.int64(dir), CPU);
             Tensor t = Tensor.of(x, Shape.of(2, 3));
             Result r = s.run(Map.of("x", t))) {
            assertEquals(DType.INT64, r.get("y").dtype());
            long[] y = r.get("y").toLongArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i] * x[i] + x[i], y[i], "y[" + i + "]");
            }
        }
    }

    @Test
    void float16ModelIsExactOnRepresentableSums() {
        // Halves and quarters: both operands and their sums are exact in float16, so the result is exact.
        float[] a = {0.5f, -2.25f, 1024f, 3.75f};
        float[] b = {0.25f, 1.5f, -512f, -0.75f};
        try (Session s = Session.open(TestModels.float16(dir), CPU);
             Tensor ta = Tensor.ofFloat16(a, Shape.of(4));
             Tensor tb = Tensor.ofFloat16(b, Shape.of(4));
             Result r = s.run(Map.of("a", ta, "b", tb))) {
            Tensor c = r.get("c");
            assertEquals(DType.FLOAT16, c.dtype());
            for (int i = 0; i < 4; i++) {
                assertEquals(Float16.fromFloat(a[i] + b[i]), c.buffer().getShort(i * 2), "c[" + i + "] bits");
            }
            assertArrayEquals(new float[] {0.75f, -0.75f, 512f, 3f}, c.toFloatArray());
        }
    }
}

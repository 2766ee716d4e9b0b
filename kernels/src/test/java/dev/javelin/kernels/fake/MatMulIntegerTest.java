package dev.javelin.kernels.fake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.MatMulIntegerKernel;
import dev.javelin.kernels.ScalarType;
import dev.javelin.kernels.testing.HostTensor;
import dev.javelin.kernels.testing.OnnxModelWriter;
import dev.javelin.kernels.testing.OrtRunner;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MatMulInteger through the launch path vs ONNX Runtime (exact int32 equality), and, where ONNX Runtime's CPU
 * kernel does not implement what the spec allows (a per-row a_zero_point), vs a plain long-arithmetic reference.
 */
class MatMulIntegerTest {
    private static final Random R = new Random(23);

    @BeforeAll
    static void gpu() {
        FakeGpu.start();
    }

    private static HostTensor random(ScalarType t, long... shape) {
        HostTensor h = HostTensor.allocate(t, shape);
        byte[] b = new byte[(int) h.bytes()];
        R.nextBytes(b);
        h.data().put(0, b);
        return h;
    }

    private static HostTensor fill(ScalarType t, int value, long... shape) {
        HostTensor h = HostTensor.allocate(t, shape);
        byte[] b = new byte[(int) h.bytes()];
        Arrays.fill(b, (byte) value);
        h.data().put(0, b);
        return h;
    }

    /** Y from the kernels. */
    private static int[] kernel(HostTensor a, HostTensor b, HostTensor za, HostTensor zb) {
        long[] out = MatMulIntegerKernel.outputShape(a.shape(), b.shape());
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            DeviceTensor y = s.empty("y", ScalarType.INT32, out);
            FakeGpu.run(MatMulIntegerKernel.plan(s.upload("A", a), s.upload("B", b), za == null ? null : s.upload("a_zero_point", za),
                    zb == null ? null : s.upload("b_zero_point", zb), y));
            return s.download(y).toInts();
        }
    }

    /** Y from ONNX Runtime. */
    private static int[] ort(HostTensor a, HostTensor b, HostTensor za, HostTensor zb) {
        OnnxModelWriter w = OnnxModelWriter.op("MatMulInteger", 10).input("A", a.type().onnxCode(), a.shape())
                .input("B", b.type().onnxCode(), b.shape());
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("A", a);
        in.put("B", b);
        if (za != null) {
            w.input("a_zero_point", za.type().onnxCode(), za.shape());
            in.put("a_zero_point", za);
        } else if (zb != null) {
            w.absentInput();
        }
        if (zb != null) {
            w.input("b_zero_point", zb.type().onnxCode(), zb.shape());
            in.put("b_zero_point", zb);
        }
        return OrtRunner.run(w.output("Y", 6).build(), in, List.of("Y")).get("Y").toInts();
    }

    private static void againstOrt(String what, HostTensor a, HostTensor b, HostTensor za, HostTensor zb) {
        assertArrayEquals(ort(a, b, za, zb), kernel(a, b, za, zb), what);
    }

    @Test
    void uint8TimesUint8WithScalarZeroPoints() {
        for (int[] mkn : new int[][] {{1, 1, 1}, {5, 3, 7}, {64, 64, 64}, {70, 130, 33}, {3, 200, 65}}) {
            againstOrt(Arrays.toString(mkn), random(ScalarType.UINT8, mkn[0], mkn[1]), random(ScalarType.UINT8, mkn[1], mkn[2]),
                    HostTensor.bytes(ScalarType.UINT8, new byte[] {(byte) R.nextInt(256)}), HostTensor.bytes(ScalarType.UINT8,
                            new byte[] {(byte) R.nextInt(256)}));
        }
        againstOrt("no zero points", random(ScalarType.UINT8, 9, 17), random(ScalarType.UINT8, 17, 5), null, null);
    }

    @Test
    void uint8TimesInt8WithPerColumnZeroPointsLikeDynamicallyQuantizedTransformers() {
        // The pattern of ONNX Runtime's dynamic quantization: activations [batch, seq, K] uint8 from
        // DynamicQuantizeLinear, weights [K, N] int8 with a zero point per output column.
        HostTensor a = random(ScalarType.UINT8, 2, 7, 96);
        HostTensor b = random(ScalarType.INT8, 96, 40);
        againstOrt("scalar", a, b, HostTensor.bytes(ScalarType.UINT8, new byte[] {(byte) 131}), HostTensor.bytes(ScalarType.INT8,
                new byte[] {-3}));
        againstOrt("per column", a, b, HostTensor.bytes(ScalarType.UINT8, new byte[] {(byte) 131}), random(ScalarType.INT8, 40));
    }

    @Test
    void batchBroadcasting() {
        againstOrt("A batched, B shared", random(ScalarType.UINT8, 2, 3, 5, 8), random(ScalarType.UINT8, 8, 6), null, null);
        againstOrt("A shared, B batched", random(ScalarType.UINT8, 5, 8), random(ScalarType.UINT8, 3, 8, 6), null, null);
        againstOrt("both broadcast", random(ScalarType.UINT8, 2, 1, 4, 9), random(ScalarType.UINT8, 1, 3, 9, 2),
                HostTensor.bytes(ScalarType.UINT8, new byte[] {7}), HostTensor.bytes(ScalarType.UINT8, new byte[] {(byte) 200}));
        againstOrt("1-D A", random(ScalarType.UINT8, 11), random(ScalarType.UINT8, 11, 4), null, null);
        againstOrt("1-D B", random(ScalarType.UINT8, 3, 11), random(ScalarType.UINT8, 11), null, null);
    }

    @Test
    void extremeZeroPointsAndValues() {
        againstOrt("255 - 255 everywhere", fill(ScalarType.UINT8, 255, 33, 70), fill(ScalarType.UINT8, 255, 70, 20),
                HostTensor.bytes(ScalarType.UINT8, new byte[] {0}), HostTensor.bytes(ScalarType.UINT8, new byte[] {0}));
        againstOrt("zero points 255 against zeros", fill(ScalarType.UINT8, 0, 4, 300), fill(ScalarType.UINT8, 0, 300, 3),
                HostTensor.bytes(ScalarType.UINT8, new byte[] {(byte) 255}), HostTensor.bytes(ScalarType.UINT8, new byte[] {(byte) 255}));
        againstOrt("-128 weights, zero point 127", random(ScalarType.UINT8, 5, 64), fill(ScalarType.INT8, -128, 64, 9),
                HostTensor.bytes(ScalarType.UINT8, new byte[] {(byte) 255}), HostTensor.bytes(ScalarType.INT8, new byte[] {(byte) 127}));
    }

    @Test
    void int32AccumulationWrapsLikeOnnxRuntime() {
        // 255 * 255 * 40000 = 2.6e9 > 2^31: both wrap modulo 2^32.
        againstOrt("wrap", fill(ScalarType.UINT8, 255, 1, 40000), fill(ScalarType.UINT8, 255, 40000, 1), null, null);
    }

    @Test
    void emptyAndDegenerateShapes() {
        // An empty sum is 0. (ONNX Runtime 1.24's CPU kernel returns its output buffer uninitialised for K = 0,
        // so the closed form is the reference here.)
        assertArrayEquals(new int[12], kernel(random(ScalarType.UINT8, 3, 0), random(ScalarType.UINT8, 0, 4),
                HostTensor.bytes(ScalarType.UINT8, new byte[] {9}), null), "K = 0 gives zeros");
        assertArrayEquals(new int[0], kernel(random(ScalarType.UINT8, 0, 5), random(ScalarType.UINT8, 5, 4), null, null), "M = 0");
    }

    /** What the spec allows beyond ONNX Runtime's CPU kernel: per-row a_zero_point and int8 A. Reference: long arithmetic. */
    @Test
    void perRowZeroPointsAndInt8AAgainstClosedForm() {
        HostTensor a = random(ScalarType.INT8, 2, 37, 50);
        HostTensor b = random(ScalarType.INT8, 50, 19);
        HostTensor za = random(ScalarType.INT8, 2, 37, 1);
        HostTensor zb = random(ScalarType.INT8, 19);
        assertArrayEquals(reference(a, b, za, zb, 2, 37, 50, 19), kernel(a, b, za, zb));
        HostTensor a2 = random(ScalarType.UINT8, 37, 50);
        HostTensor za2 = random(ScalarType.UINT8, 37);
        HostTensor b2 = random(ScalarType.UINT8, 50, 19);
        assertArrayEquals(reference(a2, b2, za2, null, 1, 37, 50, 19), kernel(a2, b2, za2, null));
        OrtRunner.OrtFailure e = assertThrows(OrtRunner.OrtFailure.class, () -> ort(a2, b2, za2, null),
                "ONNX Runtime's CPU kernel takes only a scalar a_zero_point; if this starts passing, compare with it directly");
        assertTrue(e.getMessage().contains("zero point"), e.getMessage());
    }

    private static int value(HostTensor t, long i) {
        byte v = t.data().get((int) i);
        return t.type() == ScalarType.INT8 ? v : v & 0xFF;
    }

    private static int[] reference(HostTensor a, HostTensor b, HostTensor za, HostTensor zb, int batch, int m, int k, int n) {
        int[] y = new int[batch * m * n];
        for (int z = 0; z < batch; z++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long acc = 0;
                    for (int p = 0; p < k; p++) {
                        long av = value(a, (long) z * m * k + (long) i * k + p) - (za == null ? 0 : value(za, za.elements() == m ? i : z * m + i));
                        long bv = value(b, (long) p * n + j) - (zb == null ? 0 : value(zb, j));
                        acc += av * bv;
                    }
                    y[z * m * n + i * n + j] = (int) acc;
                }
            }
        }
        return y;
    }
}

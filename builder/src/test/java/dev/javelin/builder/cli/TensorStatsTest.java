package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import org.junit.jupiter.api.Test;

class TensorStatsTest {
    @Test
    void nanAreCountedAndLeftOutLikeNumpyNanFunctions() {
        try (Tensor t = Tensor.of(new float[] {1f, Float.NaN, -3f, 6f, Float.NaN}, Shape.of(5))) {
            TensorStats s = TensorStats.of(t);
            assertEquals(new TensorStats(5, 2, -3, 6, 4.0 / 3), s);
        }
        try (Tensor t = Tensor.of(new float[] {Float.NaN, Float.NaN}, Shape.of(2))) {
            TensorStats s = TensorStats.of(t);
            assertEquals(2, s.nanCount());
            assertTrue(Double.isNaN(s.min()) && Double.isNaN(s.max()) && Double.isNaN(s.mean()));
        }
        try (Tensor t = Tensor.of(new float[] {Float.NEGATIVE_INFINITY, 2f}, Shape.of(2))) {
            TensorStats s = TensorStats.of(t);
            assertEquals(Double.NEGATIVE_INFINITY, s.min());
            assertEquals(Double.NEGATIVE_INFINITY, s.mean());
        }
    }

    @Test
    void everyDtype() {
        try (Tensor t = Tensor.ofFloat16(new float[] {0.5f, -2f, Float.NaN}, Shape.of(3))) {
            assertEquals(new TensorStats(3, 1, -2, 0.5, -0.75), TensorStats.of(t));
        }
        try (Tensor t = Tensor.of(DType.UINT8, new byte[] {0, (byte) 255, 3}, Shape.of(3))) {
            assertEquals(new TensorStats(3, 0, 0, 255, 86), TensorStats.of(t));
        }
        try (Tensor t = Tensor.of(DType.INT8, new byte[] {-128, 127, 4}, Shape.of(3))) {
            assertEquals(new TensorStats(3, 0, -128, 127, 1), TensorStats.of(t));
        }
        try (Tensor t = Tensor.of(DType.BOOL, new byte[] {1, 0, 1, 1}, Shape.of(2, 2))) {
            assertEquals(new TensorStats(4, 0, 0, 1, 0.75), TensorStats.of(t));
        }
        try (Tensor t = Tensor.of(new int[] {-7, 9}, Shape.of(2))) {
            assertEquals(new TensorStats(2, 0, -7, 9, 1), TensorStats.of(t));
        }
        try (Tensor t = Tensor.of(new long[] {-(1L << 40), 1L << 40, 6}, Shape.of(3))) {
            assertEquals(new TensorStats(3, 0, -(1L << 40), 1L << 40, 2), TensorStats.of(t));
        }
        try (Tensor t = Tensor.allocate(DType.FLOAT32, Shape.of(0, 4))) {
            assertEquals(0, TensorStats.of(t).count());
        }
    }

    @Test
    void meanKeepsPrecisionOverManyElements() {
        float[] v = new float[1_000_001];
        java.util.Arrays.fill(v, 0.1f);
        v[0] = 1e7f;
        try (Tensor t = Tensor.of(v, Shape.of(v.length))) {
            double exact = (1e7 + 1_000_000 * (double) 0.1f) / v.length;
            assertEquals(exact, TensorStats.of(t).mean(), 1e-9);
        }
    }

    @Test
    void formatting() {
        assertEquals("0.333333", TensorStats.format(1.0 / 3, DType.FLOAT32));
        assertEquals("-12.5", TensorStats.format(-12.5, DType.FLOAT32));
        assertEquals("1.00000e-07", TensorStats.format(1e-7, DType.FLOAT32));
        assertEquals("1.23457e+09", TensorStats.format(1234567890.0, DType.FLOAT32));
        assertEquals("1234567890", TensorStats.format(1234567890.0, DType.INT64));
        assertEquals("0", TensorStats.format(0, DType.FLOAT16));
        assertEquals("nan", TensorStats.format(Double.NaN, DType.FLOAT32));
        assertEquals("-inf", TensorStats.format(Double.NEGATIVE_INFINITY, DType.FLOAT32));
    }
}

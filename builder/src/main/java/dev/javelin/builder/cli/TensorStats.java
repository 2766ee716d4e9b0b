package dev.javelin.builder.cli;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.Float16;
import dev.javelin.runtime.Tensor;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Summary of a tensor's values as {@code javelin run} prints it. NaN-aware like numpy's
 * {@code nanmin/nanmax/nanmean}: NaNs are counted and left out of min, max and mean; infinities count.
 *
 * @param count    number of elements
 * @param nanCount how many of them are NaN (floating types only)
 * @param min      smallest non-NaN value (NaN if there is none)
 * @param max      largest non-NaN value (NaN if there is none)
 * @param mean     mean of the non-NaN values (NaN if there is none); for bool, the fraction that is true
 */
public record TensorStats(long count, long nanCount, double min, double max, double mean) {

    /** Computes the summary of any tensor type. */
    public static TensorStats of(Tensor t) {
        ByteBuffer b = t.buffer();
        int n = Math.toIntExact(t.elementCount());
        DType dtype = t.dtype();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        // Kahan summation: outputs of millions of elements would otherwise lose the mean's low digits.
        double sum = 0;
        double carry = 0;
        long nan = 0;
        for (int i = 0; i < n; i++) {
            double v = switch (dtype) {
                case FLOAT32 -> b.getFloat(i * 4);
                case FLOAT16 -> Float16.toFloat(b.getShort(i * 2));
                case INT8, BOOL -> b.get(i);
                case UINT8 -> b.get(i) & 0xff;
                case INT32 -> b.getInt(i * 4);
                case INT64 -> b.getLong(i * 8);
            };
            if (Double.isNaN(v)) {
                nan++;
                continue;
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
            double y = v - carry;
            double s = sum + y;
            carry = Double.isInfinite(s) ? 0 : (s - sum) - y;
            sum = s;
        }
        long valid = n - nan;
        if (valid == 0) {
            return new TensorStats(n, nan, Double.NaN, Double.NaN, Double.NaN);
        }
        return new TensorStats(n, nan, min, max, sum / valid);
    }

    /** Formats a value with about six significant digits; integral types print as integers (exactly up to 2^53). */
    public static String format(double v, DType dtype) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        boolean integral = dtype != DType.FLOAT32 && dtype != DType.FLOAT16;
        if (integral && v == Math.rint(v) && Math.abs(v) < 0x1p53) {
            return Long.toString((long) v);
        }
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e7) {
            return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, "%.5e", v);
    }
}

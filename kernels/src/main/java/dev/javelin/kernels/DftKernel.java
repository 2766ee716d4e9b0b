package dev.javelin.kernels;

import dev.javelin.bindings.cuda.Dim3;
import dev.javelin.bindings.cuda.KernelArgs;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code DFT} (opset 17: {@code axis} attribute, default 1; opset 20: {@code axis} input, default -2).
 * Input [batch, d1, ..., dk, 1 or 2] (real or complex), float32 or float16; output the same with the transformed
 * axis of length {@code dft_length} (or {@code dft_length/2 + 1} when onesided) and a last dimension of 2.
 * The signal is zero-padded or truncated to {@code dft_length}; the inverse divides by it. Like ONNX Runtime,
 * onesided keeps the first half of the full transform whatever the input (the spec only defines it for real
 * input); onesided with inverse is rejected, as by the ONNX schema.
 *
 * <p>Geometry, per transformed line (one (outer, inner) index pair): power-of-two lengths up to
 * {@value #MAX_RADIX2} use {@code dft_radix2} (one block per line, 32..256 threads, 12 n bytes of shared
 * memory; 5 n log2 n flops over 8 n (+ 8 n out) bytes: intensity 0.3 log2 n flop/byte, compute-bound from
 * n ~ 64); other lengths up to {@value #MAX_BLUESTEIN} use {@code dft_bluestein} (one block, 256 threads,
 * 20 M bytes, M = 2^ceil(log2(2n-1)): three M-point FFTs); longer ones {@code dft_direct} (O(n^2): 8 n flops per
 * output bin with a sincos each, grid (lines, ceil(n_out/256))).
 */
public final class DftKernel {
    /** Longest power-of-two length transformed in shared memory. */
    public static final int MAX_RADIX2 = 4096;
    /** Longest other length transformed with Bluestein in shared memory (its FFT length is at most 2048). */
    public static final int MAX_BLUESTEIN = 1024;
    static final int THREADS = 256;
    private static final String OP = "DFT";

    private DftKernel() {
    }

    /**
     * DFT attributes as the op states them.
     *
     * @param axis      the transformed axis, negative counting from the end; valid: [-r, -2] and [0, r - 2]
     * @param inverse   inverse transform (scaled by 1/n)
     * @param onesided  keep bins [0, n/2]
     * @param dftLength the transform length, or 0 for the axis length
     */
    public record Attributes(long axis, boolean inverse, boolean onesided, long dftLength) {
        /** Opset 17 defaults: axis 1, forward, full. */
        public static Attributes opset17() {
            return new Attributes(1, false, false, 0);
        }

        /** Opset 20 defaults: axis -2, forward, full. */
        public static Attributes opset20() {
            return new Attributes(-2, false, false, 0);
        }
    }

    /** Which kernel a length uses. */
    enum Algorithm { RADIX2, BLUESTEIN, DIRECT }

    static Algorithm algorithm(long n) {
        if (Long.bitCount(n) == 1 && n <= MAX_RADIX2) {
            return Algorithm.RADIX2;
        }
        return n <= MAX_BLUESTEIN ? Algorithm.BLUESTEIN : Algorithm.DIRECT;
    }

    private static int normalizedAxis(long[] x, long axis) {
        int r = x.length;
        if (r < 3) {
            throw new KernelArgumentException(OP + ": input must be [batch, signal dims..., 1 or 2] (rank >= 3), got "
                    + Arrays.toString(x));
        }
        if (x[r - 1] != 1 && x[r - 1] != 2) {
            throw new KernelArgumentException(OP + ": the last dimension of the input must be 1 (real) or 2 (complex), got "
                    + Arrays.toString(x));
        }
        if (axis < -r || axis > r - 2 || axis == -1) {
            throw new KernelArgumentException(OP + ": axis " + axis + " is outside [-" + r + ", -2] and [0, " + (r - 2)
                    + "] for input " + Arrays.toString(x));
        }
        return (int) (axis < 0 ? axis + r : axis);
    }

    /** The output shape. */
    public static long[] outputShape(long[] x, Attributes attrs) {
        int axis = normalizedAxis(x, attrs.axis());
        long n = attrs.dftLength() > 0 ? attrs.dftLength() : x[axis];
        if (attrs.dftLength() < 0) {
            throw new KernelArgumentException(OP + ": dft_length must be positive, got " + attrs.dftLength());
        }
        if (attrs.onesided() && attrs.inverse()) {
            throw new KernelArgumentException(OP + ": onesided and inverse cannot both be set (the ONNX schema rejects it)");
        }
        long[] out = x.clone();
        out[axis] = attrs.onesided() ? n / 2 + 1 : n;
        out[out.length - 1] = 2;
        return out;
    }

    /**
     * The launches computing {@code y} from {@code x}.
     *
     * @throws KernelArgumentException naming the tensor when a type, shape or attribute is not what the op takes
     */
    public static LaunchPlan plan(DeviceTensor x, DeviceTensor y, Attributes attrs) {
        Checks.type(OP, x, ScalarType.FLOAT, ScalarType.FLOAT16);
        Checks.sameType(OP, x, y);
        long[] xs = x.shape();
        int axis = normalizedAxis(xs, attrs.axis());
        long[] out = outputShape(xs, attrs);
        Checks.shape(OP, y, out);
        long n = attrs.dftLength() > 0 ? attrs.dftLength() : xs[axis];
        String op = OP + " " + x.describe();
        if (n == 0) {
            throw new KernelArgumentException(op + ": the transform length is 0 (dft_length must be positive)");
        }
        long outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= xs[i];
        }
        long inner = 1;
        for (int i = axis + 1; i < xs.length - 1; i++) {
            inner *= xs[i];
        }
        long lines = outer * inner;
        if (lines == 0) {
            return new LaunchPlan(op, List.of());
        }
        int nIn = Checks.toInt(OP, "input length", xs[axis]);
        int len = Checks.toInt(OP, "dft_length", n);
        int nOut = (int) out[axis];
        int gridX = Checks.toInt(OP, "number of transformed lines", lines);
        boolean half = x.type() == ScalarType.FLOAT16;
        KernelArgs args = new KernelArgs().pointer(x.address()).pointer(y.address()).int64(inner).int32(nIn).int32(len).int32(nOut)
                .int32((int) xs[xs.length - 1]).int32(attrs.inverse() ? 1 : 0);
        Launch launch = switch (algorithm(n)) {
            case RADIX2 -> new Launch(half ? KernelEntry.DFT_RADIX2_F16 : KernelEntry.DFT_RADIX2_F32, Dim3.of(gridX),
                    Dim3.of(radix2Threads(len)), radix2SharedBytes(len), args);
            case BLUESTEIN -> new Launch(half ? KernelEntry.DFT_BLUESTEIN_F16 : KernelEntry.DFT_BLUESTEIN_F32, Dim3.of(gridX),
                    Dim3.of(THREADS), bluesteinSharedBytes(len), args);
            case DIRECT -> new Launch(half ? KernelEntry.DFT_DIRECT_F16 : KernelEntry.DFT_DIRECT_F32,
                    new Dim3(gridX, (nOut + THREADS - 1) / THREADS, 1), Dim3.of(THREADS), 0, args);
        };
        return new LaunchPlan(op, List.of(launch));
    }

    /** n/2 butterflies per stage, one per thread, in whole warps: 32..256 threads. */
    static int radix2Threads(int n) {
        int t = ((n / 2 + 31) / 32) * 32;
        return Math.max(32, Math.min(THREADS, t));
    }

    /** n complex samples and n/2 twiddles of 8 bytes. */
    static int radix2SharedBytes(int n) {
        return 8 * n + 8 * (n / 2);
    }

    /** The Bluestein FFT length: the power of two >= 2n - 1. */
    static int bluesteinLength(int n) {
        return Integer.highestOneBit(2 * n - 2) << 1;
    }

    /** Two M-point arrays and M/2 twiddles. */
    static int bluesteinSharedBytes(int n) {
        int m = bluesteinLength(n);
        return 16 * m + 4 * m;
    }
}

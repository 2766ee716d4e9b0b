package dev.javelin.kernels;

import dev.javelin.bindings.cuda.Dim3;
import dev.javelin.bindings.cuda.KernelArgs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code MatMulInteger} (opset 10): Y (int32) = (A - a_zero_point) @ (B - b_zero_point), A and B uint8 or
 * int8, numpy matmul semantics (1-D operands promoted, batch dimensions broadcast, up to 4 of them).
 * a_zero_point: absent, one element, [M] (A of rank <= 2), or A's batch dims + [M, 1] (per row).
 * b_zero_point: absent, one element, [N], or B's batch dims + [1, N] (per column). Zero points have their
 * operand's type. Accumulation is int32 and wraps, as in ONNX Runtime.
 *
 * <p>Geometry: 64x64 output tile per block of {@value #THREADS} threads (4x4 per thread), K in slices of 16
 * through 8 KiB of shared memory; grid (ceil(N/64), ceil(M/64), batch). Per K-slice a block loads 2 KiB and does
 * 64*64*16 = 65536 multiply-adds: 64 MAC per byte from global memory (L2), so large GEMMs are compute-bound on
 * the int32 pipe (a dp4a/IMMA variant would be the next step).
 */
public final class MatMulIntegerKernel {
    /** Threads per block. */
    public static final int THREADS = 256;
    /** Output tile edge. */
    public static final int TILE = 64;
    /** Batch dimensions the kernel takes. */
    public static final int MAX_BATCH_DIMS = 4;
    private static final String OP = "MatMulInteger";

    private MatMulIntegerKernel() {
    }

    /**
     * Y's shape for A and B (numpy.matmul rules).
     *
     * @throws KernelArgumentException if a shape is a scalar, the inner dimensions differ or the batch dimensions do not broadcast
     */
    public static long[] outputShape(long[] a, long[] b) {
        Geometry g = geometry(a, b);
        long[] out = Arrays.copyOf(g.batch, g.batch.length + 2);
        out[g.batch.length] = g.m;
        out[g.batch.length + 1] = g.n;
        if (b.length == 1) {
            out = Arrays.copyOf(out, out.length - 1);
        }
        if (a.length == 1) {
            long[] o = new long[out.length - 1];
            System.arraycopy(out, 0, o, 0, g.batch.length);
            System.arraycopy(out, g.batch.length + 1, o, g.batch.length, o.length - g.batch.length);
            out = o;
        }
        return out;
    }

    private record Geometry(long m, long n, long k, long[] batch, long[] a2, long[] b2) {
    }

    private static Geometry geometry(long[] a, long[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new KernelArgumentException(OP + ": A and B must have rank >= 1, got " + Arrays.toString(a) + " and "
                    + Arrays.toString(b));
        }
        long[] a2 = a.length == 1 ? new long[] {1, a[0]} : a;
        long[] b2 = b.length == 1 ? new long[] {b[0], 1} : b;
        long m = a2[a2.length - 2];
        long k = a2[a2.length - 1];
        long kb = b2[b2.length - 2];
        long n = b2[b2.length - 1];
        if (k != kb) {
            throw new KernelArgumentException(OP + ": A " + Arrays.toString(a) + " has " + k + " columns but B " + Arrays.toString(b)
                    + " has " + kb + " rows");
        }
        int ra = a2.length - 2;
        int rb = b2.length - 2;
        int r = Math.max(ra, rb);
        long[] batch = new long[r];
        for (int i = 0; i < r; i++) {
            long da = i - (r - ra) >= 0 ? a2[i - (r - ra)] : 1;
            long db = i - (r - rb) >= 0 ? b2[i - (r - rb)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new KernelArgumentException(OP + ": batch dimensions of A " + Arrays.toString(a) + " and B "
                        + Arrays.toString(b) + " do not broadcast");
            }
            batch[i] = da == 1 ? db : da;
        }
        return new Geometry(m, n, k, batch, a2, b2);
    }

    /**
     * Element strides over the output's batch dimensions (right-aligned) of a tensor whose own batch dims are
     * {@code dims[0, rank - 2)} and whose matrix holds {@code matrix} elements; 0 where it broadcasts.
     */
    private static long[] batchStrides(long[] dims, long[] outBatch, long matrix) {
        int own = dims.length - 2;
        long[] s = new long[outBatch.length];
        long stride = matrix;
        for (int i = own - 1; i >= 0; i--) {
            int o = i + outBatch.length - own;
            s[o] = dims[i] == 1 ? 0 : stride;
            stride *= dims[i];
        }
        return s;
    }

    /** Zero-point layout: pointer stride along the row/column and strides over the output batch. */
    private record ZeroPoint(long address, long stride, long[] batch) {
    }

    private static ZeroPoint zeroPoint(DeviceTensor zp, DeviceTensor operand, long[] operandDims, long[] outBatch, long length,
                                       boolean rows) {
        String which = rows ? "a_zero_point" : "b_zero_point";
        if (zp == null) {
            return new ZeroPoint(0, 0, new long[outBatch.length]);
        }
        Checks.sameType(OP, operand, zp);
        if (zp.elements() == 1) {
            return new ZeroPoint(zp.address(), 0, new long[outBatch.length]);
        }
        long[] s = zp.shape();
        if (s.length == 1 && s[0] == length && (!rows || operandDims.length <= 2)) {
            return new ZeroPoint(zp.address(), 1, new long[outBatch.length]);
        }
        // Per row [..., M, 1] / per column [..., 1, N] with the operand's batch dims (or 1s).
        if (s.length == operandDims.length && s.length >= 2
                && s[s.length - 2] == (rows ? length : 1) && s[s.length - 1] == (rows ? 1 : length)) {
            boolean batchOk = true;
            for (int i = 0; i < s.length - 2; i++) {
                batchOk &= s[i] == operandDims[i] || s[i] == 1;
            }
            if (batchOk) {
                return new ZeroPoint(zp.address(), 1, batchStrides(s, outBatch, length));
            }
        }
        String expected = rows ? "one element, [M] for 2-D A, or A's batch dims + [M, 1] (M = " + length + ")"
                : "one element, [N], or B's batch dims + [1, N] (N = " + length + ")";
        throw new KernelArgumentException(OP + ": " + which + " " + zp.describe() + " must be " + expected);
    }

    /**
     * The launch computing {@code y}; zero points may be {@code null}.
     *
     * @throws KernelArgumentException naming the tensor when a type or shape is not what the op takes
     */
    public static LaunchPlan plan(DeviceTensor a, DeviceTensor b, DeviceTensor aZeroPoint, DeviceTensor bZeroPoint, DeviceTensor y) {
        Checks.type(OP, a, ScalarType.UINT8, ScalarType.INT8);
        Checks.type(OP, b, ScalarType.UINT8, ScalarType.INT8);
        Checks.type(OP, y, ScalarType.INT32);
        Geometry g = geometry(a.shape(), b.shape());
        Checks.shape(OP, y, outputShape(a.shape(), b.shape()));
        if (g.batch.length > MAX_BATCH_DIMS) {
            throw new KernelArgumentException(OP + ": " + g.batch.length + " batch dimensions (at most " + MAX_BATCH_DIMS + ")");
        }
        ZeroPoint za = zeroPoint(aZeroPoint, a, g.a2, g.batch, g.m, true);
        ZeroPoint zb = zeroPoint(bZeroPoint, b, g.b2, g.batch, g.n, false);
        long items = DeviceTensor.elements(g.batch);
        String op = OP + " " + a.describe() + " x " + b.describe();
        if (g.m == 0 || g.n == 0 || items == 0) {
            return new LaunchPlan(op, List.of());
        }
        long gx = (g.n + TILE - 1) / TILE;
        long gy = (g.m + TILE - 1) / TILE;
        if (gy > 65535 || items > 65535) {
            throw new KernelArgumentException(op + ": " + g.m + " rows and " + items + " batch items exceed the grid limits "
                    + "(65535 row tiles of 64, 65535 batch items)");
        }
        long[] sa = batchStrides(g.a2, g.batch, g.m * g.k);
        long[] sb = batchStrides(g.b2, g.batch, g.k * g.n);
        ByteBuffer batch = ByteBuffer.allocate(5 * MAX_BATCH_DIMS * 8).order(ByteOrder.LITTLE_ENDIAN);
        long[][] columns = {g.batch, sa, sb, za.batch(), zb.batch()};
        for (int c = 0; c < columns.length; c++) {
            long[] v = columns[c];
            int pad = MAX_BATCH_DIMS - v.length;
            for (int i = 0; i < MAX_BATCH_DIMS; i++) {
                // Leading unused dimensions: size 1 for the dims column, stride 0 for the others.
                batch.putLong(i < pad ? (c == 0 ? 1 : 0) : v[i - pad]);
            }
        }
        int flags = (a.type() == ScalarType.INT8 ? 1 : 0) | (b.type() == ScalarType.INT8 ? 2 : 0);
        KernelArgs args = new KernelArgs().pointer(a.address()).pointer(b.address()).pointer(za.address()).pointer(zb.address())
                .pointer(y.address()).int64(g.m).int64(g.n).int64(g.k).int32(flags).int64(za.stride()).int64(zb.stride())
                .struct(batch.array(), 8);
        return new LaunchPlan(op, List.of(new Launch(KernelEntry.MATMUL_INTEGER,
                new Dim3(Checks.toInt(OP, "column tiles", gx), (int) gy, (int) items), Dim3.of(THREADS), 0, args)));
    }
}

package dev.javelin.kernels;

import dev.javelin.bindings.cuda.Dim3;
import dev.javelin.bindings.cuda.KernelArgs;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code AffineGrid} (opset 20): theta [N, 2, 3] with size (N, C, H, W) gives grid [N, H, W, 2]; theta
 * [N, 3, 4] with size (N, C, D, H, W) gives [N, D, H, W, 3]. float32 and float16 (arithmetic in float32).
 * {@code size} is host data: it fixes the output shape, so the executor reads it before launching.
 *
 * <p>Geometry: one thread per output point, {@value #THREADS} per block, {@code min(ceil(points/256), 65535)}
 * blocks (grid-stride). Each point reads 6 (12) theta values (cached) and writes 2 (3) values: 4 (9) flops for
 * 8 (12) bytes written in float32 — bandwidth-bound on the output.
 */
public final class AffineGridKernel {
    /** Threads per block. */
    public static final int THREADS = 256;
    static final int MAX_BLOCKS = 65535;
    private static final String OP = "AffineGrid";

    private AffineGridKernel() {
    }

    /**
     * The grid's shape for {@code size} ([N, C, H, W] or [N, C, D, H, W]).
     *
     * @throws KernelArgumentException if size has another length or a negative entry
     */
    public static long[] outputShape(long[] size) {
        if (size.length != 4 && size.length != 5) {
            throw new KernelArgumentException(OP + ": input 'size' must have 4 (2-D) or 5 (3-D) elements, got " + Arrays.toString(size));
        }
        for (long s : size) {
            if (s < 0) {
                throw new KernelArgumentException(OP + ": input 'size' has a negative entry: " + Arrays.toString(size));
            }
        }
        return size.length == 4 ? new long[] {size[0], size[2], size[3], 2} : new long[] {size[0], size[2], size[3], size[4], 3};
    }

    /**
     * The launch computing {@code grid} from {@code theta}.
     *
     * @throws KernelArgumentException naming the tensor when a type or shape does not match {@code size}
     */
    public static LaunchPlan plan(DeviceTensor theta, long[] size, boolean alignCorners, DeviceTensor grid) {
        Checks.type(OP, theta, ScalarType.FLOAT, ScalarType.FLOAT16);
        Checks.sameType(OP, theta, grid);
        long[] out = outputShape(size);
        boolean twoD = size.length == 4;
        long n = size[0];
        Checks.shape(OP, theta, twoD ? new long[] {n, 2, 3} : new long[] {n, 3, 4});
        Checks.shape(OP, grid, out);
        long points = grid.elements() / (twoD ? 2 : 3);
        if (points == 0) {
            return new LaunchPlan(OP + " " + theta.describe(), List.of());
        }
        boolean half = theta.type() == ScalarType.FLOAT16;
        KernelArgs args = new KernelArgs().pointer(theta.address()).pointer(grid.address()).int64(n);
        KernelEntry entry;
        if (twoD) {
            args.int64(size[2]).int64(size[3]);
            entry = half ? KernelEntry.AFFINE_GRID_2D_F16 : KernelEntry.AFFINE_GRID_2D_F32;
        } else {
            args.int64(size[2]).int64(size[3]).int64(size[4]);
            entry = half ? KernelEntry.AFFINE_GRID_3D_F16 : KernelEntry.AFFINE_GRID_3D_F32;
        }
        args.int32(alignCorners ? 1 : 0);
        return new LaunchPlan(OP + " " + theta.describe(), List.of(
                new Launch(entry, Dim3.of(Checks.blocks(points, THREADS, MAX_BLOCKS)), Dim3.of(THREADS), 0, args)));
    }
}

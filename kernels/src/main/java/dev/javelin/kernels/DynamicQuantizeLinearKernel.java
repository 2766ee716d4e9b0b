package dev.javelin.kernels;

import dev.javelin.bindings.cuda.Dim3;
import dev.javelin.bindings.cuda.KernelArgs;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code DynamicQuantizeLinear} (opset 11): x (float32, or float16 as an extension for fp16 graphs) to
 * y (uint8, same shape), y_scale (float32 scalar) and y_zero_point (uint8 scalar), with ONNX Runtime's exact
 * rounding (an all-zero x gives scale 1 and zero point 0; NaN elements are ignored by the range and quantize
 * to 0).
 *
 * <p>Geometry: {@code dql_reduce} with {@value #THREADS} threads per block and {@code min(ceil(n/256), 1024)}
 * blocks (grid-stride), one (min, max) pair per block into the workspace; {@code dql_params} as one block;
 * {@code dql_quantize} with {@code min(ceil(n/256), 65535)} blocks. Memory traffic: x is read twice, y written
 * once: for float32 9 bytes per element, about 0.2 flop per byte — bandwidth-bound.
 */
public final class DynamicQuantizeLinearKernel {
    /** Threads per block of all three kernels. */
    public static final int THREADS = 256;
    /** At most this many partial (min, max) pairs, folded by one block. */
    public static final int MAX_REDUCE_BLOCKS = 1024;
    static final int MAX_QUANTIZE_BLOCKS = 65535;
    private static final String OP = "DynamicQuantizeLinear";

    private DynamicQuantizeLinearKernel() {
    }

    static int reduceBlocks(long n) {
        return Checks.blocks(n, THREADS, MAX_REDUCE_BLOCKS);
    }

    /** Workspace bytes for {@code n} elements (the per-block min/max pairs). */
    public static long workspaceBytes(long n) {
        return 8L * reduceBlocks(n);
    }

    /**
     * The launches computing {@code y}, {@code yScale} and {@code yZeroPoint} from {@code x}.
     *
     * @param workspace device memory of at least {@link #workspaceBytes} bytes (any type)
     * @throws KernelArgumentException naming the tensor when a type or shape is not what the op takes
     */
    public static LaunchPlan plan(DeviceTensor x, DeviceTensor y, DeviceTensor yScale, DeviceTensor yZeroPoint,
                                  DeviceTensor workspace) {
        Checks.type(OP, x, ScalarType.FLOAT, ScalarType.FLOAT16);
        Checks.type(OP, y, ScalarType.UINT8);
        Checks.shape(OP, y, x.shape());
        Checks.scalar(OP, yScale, ScalarType.FLOAT);
        Checks.scalar(OP, yZeroPoint, ScalarType.UINT8);
        long n = x.elements();
        Checks.workspace(OP, workspace, workspaceBytes(n));
        boolean half = x.type() == ScalarType.FLOAT16;
        int blocks = reduceBlocks(n);
        List<Launch> launches = new ArrayList<>();
        launches.add(new Launch(half ? KernelEntry.DQL_REDUCE_F16 : KernelEntry.DQL_REDUCE_F32, Dim3.of(blocks), Dim3.of(THREADS), 0,
                new KernelArgs().pointer(x.address()).int64(n).pointer(workspace.address())));
        launches.add(new Launch(KernelEntry.DQL_PARAMS, Dim3.of(1), Dim3.of(THREADS), 0,
                new KernelArgs().pointer(workspace.address()).int32(blocks).pointer(yScale.address()).pointer(yZeroPoint.address())));
        if (n > 0) {
            launches.add(new Launch(half ? KernelEntry.DQL_QUANTIZE_F16 : KernelEntry.DQL_QUANTIZE_F32,
                    Dim3.of(Checks.blocks(n, THREADS, MAX_QUANTIZE_BLOCKS)), Dim3.of(THREADS), 0, new KernelArgs()
                    .pointer(x.address()).int64(n).pointer(yScale.address()).pointer(yZeroPoint.address()).pointer(y.address())));
        }
        return new LaunchPlan(OP + " " + x.describe(), launches);
    }
}

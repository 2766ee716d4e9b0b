package dev.javelin.kernels;

import dev.javelin.bindings.core.NativeMemory;
import dev.javelin.bindings.cuda.CudaStream;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.bindings.cuda.Dim3;
import dev.javelin.bindings.cuda.KernelArgs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code Unique} (opset 11) over the flattened input (no {@code axis}), sorted or in order of first
 * occurrence, with all four outputs: Y [U], indices [U], inverse_indices [n], counts [U] (int64). Input types:
 * float32, float16, double, int64, int32, int8, uint8. Floats compare as numpy does: -0 equals +0 (Y keeps the
 * first one's bits) and all NaNs are one value, sorted last.
 *
 * <p>U depends on the data, so the op runs in two passes with one 8-byte device-to-host read between them:
 * <ol>
 *   <li>{@link #countPlan} sorts (value key, index) pairs — bitonic sort of 1024-pair tiles in shared memory, then
 *       log2(n/1024) merge passes — flags where values change and prefix-sums the flags; {@link #readCount}
 *       reads U;</li>
 *   <li>the caller allocates the outputs for U, and {@link #fillPlan} writes them.</li>
 * </ol>
 * Both passes share a workspace of {@link #workspaceBytes} (about 64 bytes per element) that must stay
 * untouched in between.
 *
 * <p>Geometry: element-wise kernels 256 threads and {@code min(ceil(n/256), 65535)} blocks; the tile sort 512
 * threads per 1024 pairs (16 KiB of shared memory, 55 compare-exchange stages); each merge pass n threads with
 * a binary search of log2(run) steps; the scan 1024 elements per 256-thread block, one block for the tile
 * totals. Sorting dominates: O(n log^2 n) compares on 16-byte pairs, memory-bound.
 */
public final class UniqueKernel {
    static final int THREADS = 256;
    static final int SORT_THREADS = 512;
    /** Pairs sorted per block before the merge passes. */
    public static final int SORT_TILE = 1024;
    static final int SCAN_TILE = 1024;
    static final int MAX_BLOCKS = 65535;
    private static final String OP = "Unique";
    private static final long ALIGN = 256;

    private UniqueKernel() {
    }

    /** Byte offsets of the workspace regions for n elements. */
    record Layout(long pairsA, long pairsB, long seg, long tileSums, long headPos, long firstIdx, long rank, long total) {
        static Layout of(long n) {
            long at = 0;
            long pairsA = at;
            at = align(at + 16 * n);
            long pairsB = at;
            at = align(at + 16 * n);
            long seg = at;
            at = align(at + 8 * n);
            long tileSums = at;
            at = align(at + 8 * Math.max(1, tiles(n)));
            long headPos = at;
            at = align(at + 8 * n);
            long firstIdx = at;
            at = align(at + 8 * n);
            long rank = at;
            at = align(at + 8 * n);
            return new Layout(pairsA, pairsB, seg, tileSums, headPos, firstIdx, rank, Math.max(at, ALIGN));
        }

        private static long align(long x) {
            return (x + ALIGN - 1) / ALIGN * ALIGN;
        }
    }

    static long tiles(long n) {
        return (n + SCAN_TILE - 1) / SCAN_TILE;
    }

    /** Merge passes after the tile sort: ceil(log2(n / 1024)). */
    static int mergePasses(long n) {
        int p = 0;
        for (long run = SORT_TILE; run < n; run *= 2) {
            p++;
        }
        return p;
    }

    /** Workspace bytes for {@code n} input elements. */
    public static long workspaceBytes(long n) {
        return Layout.of(n).total();
    }

    /** Byte offset in the workspace of U (an int64) once the count pass has run, for n > 0. */
    public static long countOffset(long n) {
        return Layout.of(n).seg() + 8 * (n - 1);
    }

    private static void checkInput(DeviceTensor x, DeviceTensor workspace) {
        Checks.type(OP, x, ScalarType.FLOAT, ScalarType.FLOAT16, ScalarType.DOUBLE, ScalarType.INT64, ScalarType.INT32,
                ScalarType.INT8, ScalarType.UINT8);
        Checks.workspace(OP, workspace, workspaceBytes(x.elements()));
    }

    private static long at(DeviceTensor workspace, long offset) {
        return workspace.address() + offset;
    }

    /** The first pass: sort, flag, scan. Empty for an empty input (U = 0). */
    public static LaunchPlan countPlan(DeviceTensor x, DeviceTensor workspace) {
        checkInput(x, workspace);
        long n = x.elements();
        String op = OP + " (count) " + x.describe();
        List<Launch> l = new ArrayList<>();
        if (n == 0) {
            return new LaunchPlan(op, l);
        }
        Layout w = Layout.of(n);
        int grid = Checks.blocks(n, THREADS, MAX_BLOCKS);
        long a = at(workspace, w.pairsA());
        long b = at(workspace, w.pairsB());
        l.add(new Launch(KernelEntry.UNIQUE_KEYS, Dim3.of(grid), Dim3.of(THREADS), 0,
                new KernelArgs().pointer(x.address()).int64(n).int32(x.type().onnxCode()).pointer(a)));
        l.add(new Launch(KernelEntry.UNIQUE_SORT_TILES, Dim3.of(Checks.toInt(OP, "sort tiles", (n + SORT_TILE - 1) / SORT_TILE)),
                Dim3.of(SORT_THREADS), 0, new KernelArgs().pointer(a).int64(n)));
        long src = a;
        long dst = b;
        for (long run = SORT_TILE; run < n; run *= 2) {
            l.add(new Launch(KernelEntry.UNIQUE_MERGE, Dim3.of(grid), Dim3.of(THREADS), 0,
                    new KernelArgs().pointer(src).pointer(dst).int64(n).int64(run)));
            long t = src;
            src = dst;
            dst = t;
        }
        long seg = at(workspace, w.seg());
        l.add(new Launch(KernelEntry.UNIQUE_FLAGS, Dim3.of(grid), Dim3.of(THREADS), 0,
                new KernelArgs().pointer(src).int64(n).pointer(seg)));
        scan(l, seg, n, at(workspace, w.tileSums()));
        return new LaunchPlan(op, l);
    }

    /** In-place inclusive scan of n int64 at {@code data}: tiles, tile totals, offsets. */
    private static void scan(List<Launch> l, long data, long n, long tileSums) {
        long tiles = tiles(n);
        l.add(new Launch(KernelEntry.SCAN_TILES, Dim3.of(Checks.toInt(OP, "scan tiles", tiles)), Dim3.of(THREADS), 0,
                new KernelArgs().pointer(data).int64(n).pointer(tileSums)));
        l.add(new Launch(KernelEntry.SCAN_SUMS, Dim3.of(1), Dim3.of(THREADS), 0, new KernelArgs().pointer(tileSums).int64(tiles)));
        l.add(new Launch(KernelEntry.SCAN_ADD, Dim3.of(Checks.blocks(n, THREADS, MAX_BLOCKS)), Dim3.of(THREADS), 0,
                new KernelArgs().pointer(data).int64(n).pointer(tileSums)));
    }

    /**
     * Reads U after {@link #countPlan} for {@code n} elements has been queued on {@code stream}: copies 8 bytes
     * from the workspace (at {@code workspaceOffset} in {@code buffer}) to the host and waits for the stream.
     * 0 for an empty input.
     */
    public static long readCount(long n, DeviceBuffer buffer, long workspaceOffset, CudaStream stream) {
        if (n == 0) {
            return 0;
        }
        ByteBuffer host = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        buffer.copyToHost(NativeMemory.address(host), workspaceOffset + countOffset(n), 8, stream);
        stream.synchronize();
        return host.getLong(0);
    }

    /**
     * The second pass, for U unique values; any output may be {@code null} when the model does not use it.
     *
     * @throws KernelArgumentException naming the output whose type or shape does not match U and the input
     */
    public static LaunchPlan fillPlan(DeviceTensor x, DeviceTensor workspace, long uniqueCount, boolean sorted, DeviceTensor y,
                                      DeviceTensor indices, DeviceTensor inverseIndices, DeviceTensor counts) {
        checkInput(x, workspace);
        long n = x.elements();
        if (uniqueCount < 0 || uniqueCount > n || (n > 0 && uniqueCount == 0)) {
            throw new KernelArgumentException(OP + ": " + uniqueCount + " unique values is impossible for " + n + " elements");
        }
        if (y != null) {
            Checks.sameType(OP, x, y);
            Checks.shape(OP, y, uniqueCount);
        }
        for (DeviceTensor t : new DeviceTensor[] {indices, counts}) {
            if (t != null) {
                Checks.type(OP, t, ScalarType.INT64);
                Checks.shape(OP, t, uniqueCount);
            }
        }
        if (inverseIndices != null) {
            Checks.type(OP, inverseIndices, ScalarType.INT64);
            Checks.shape(OP, inverseIndices, n);
        }
        String op = OP + " (fill) " + x.describe();
        List<Launch> l = new ArrayList<>();
        if (n == 0) {
            return new LaunchPlan(op, l);
        }
        Layout w = Layout.of(n);
        int grid = Checks.blocks(n, THREADS, MAX_BLOCKS);
        int uGrid = Checks.blocks(uniqueCount, THREADS, MAX_BLOCKS);
        long sortedPairs = at(workspace, mergePasses(n) % 2 == 0 ? w.pairsA() : w.pairsB());
        long seg = at(workspace, w.seg());
        long head = at(workspace, w.headPos());
        long first = at(workspace, w.firstIdx());
        l.add(new Launch(KernelEntry.UNIQUE_HEADS, Dim3.of(grid), Dim3.of(THREADS), 0,
                new KernelArgs().pointer(sortedPairs).pointer(seg).int64(n).pointer(head).pointer(first)));
        long rank = 0;
        if (!sorted) {
            rank = at(workspace, w.rank());
            l.add(new Launch(KernelEntry.UNIQUE_FILL, Dim3.of(grid), Dim3.of(THREADS), 0, new KernelArgs().pointer(rank).int64(n).int64(0)));
            l.add(new Launch(KernelEntry.UNIQUE_MARK, Dim3.of(uGrid), Dim3.of(THREADS), 0,
                    new KernelArgs().pointer(first).int64(uniqueCount).pointer(rank)));
            scan(l, rank, n, at(workspace, w.tileSums()));
        }
        if (y != null || indices != null || counts != null) {
            l.add(new Launch(KernelEntry.UNIQUE_OUTPUTS, Dim3.of(uGrid), Dim3.of(THREADS), 0, new KernelArgs()
                    .pointer(x.address()).int32(x.type().bytes()).pointer(head).pointer(first).pointer(rank).int64(uniqueCount)
                    .int64(n).pointer(y == null ? 0 : y.address()).pointer(indices == null ? 0 : indices.address())
                    .pointer(counts == null ? 0 : counts.address())));
        }
        if (inverseIndices != null) {
            l.add(new Launch(KernelEntry.UNIQUE_INVERSE, Dim3.of(grid), Dim3.of(THREADS), 0, new KernelArgs()
                    .pointer(sortedPairs).pointer(seg).pointer(first).pointer(rank).int64(n).pointer(inverseIndices.address())));
        }
        return new LaunchPlan(op, l);
    }
}

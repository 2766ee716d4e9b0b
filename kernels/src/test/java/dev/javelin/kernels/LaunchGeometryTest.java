package dev.javelin.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.cuda.Dim3;
import dev.javelin.bindings.cuda.KernelArgs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Launch geometry and argument validation in plain Java: no driver, tensors at made-up device addresses.
 * Every figure here is derived by hand from the kernels' contracts (block sizes, tiles, shared memory).
 */
class LaunchGeometryTest {
    private static long next = 0x7000_0000_0000L;

    private static DeviceTensor t(String name, ScalarType type, long... shape) {
        long bytes = Math.max(1, DeviceTensor.elements(shape) * type.bytes());
        DeviceTensor d = new DeviceTensor(name, next, bytes, type, shape);
        next += (bytes + 255) / 256 * 256;
        return d;
    }

    @Test
    void dynamicQuantizeLinear() {
        DeviceTensor x = t("x", ScalarType.FLOAT, 4, 1000);
        DeviceTensor ws = t("ws", ScalarType.UINT8, DynamicQuantizeLinearKernel.workspaceBytes(4000));
        assertEquals(8 * 16, ws.bytes(), "16 blocks of 256 threads: one (min, max) pair each");
        LaunchPlan p = DynamicQuantizeLinearKernel.plan(x, t("y", ScalarType.UINT8, 4, 1000), t("s", ScalarType.FLOAT),
                t("z", ScalarType.UINT8), ws);
        assertEquals(List.of(KernelEntry.DQL_REDUCE_F32, KernelEntry.DQL_PARAMS, KernelEntry.DQL_QUANTIZE_F32),
                p.launches().stream().map(Launch::entry).toList());
        assertEquals(new Dim3(16, 1, 1), p.launches().get(0).grid());
        assertEquals(new Dim3(256, 1, 1), p.launches().get(0).block());
        assertEquals(new Dim3(1, 1, 1), p.launches().get(1).grid());
        assertEquals(16, p.launches().get(1).args().longValue(1), "dql_params folds 16 pairs");
        assertEquals(x.address(), p.launches().get(2).args().longValue(0));
        assertEquals(4000, p.launches().get(2).args().longValue(1));
        // Large inputs cap the reduction at 1024 blocks (grid-stride loops do the rest).
        assertEquals(8 * 1024, DynamicQuantizeLinearKernel.workspaceBytes(100_000_000));
        // Empty input: range and parameters, no quantize launch.
        LaunchPlan empty = DynamicQuantizeLinearKernel.plan(t("x", ScalarType.FLOAT16, 0), t("y", ScalarType.UINT8, 0),
                t("s", ScalarType.FLOAT), t("z", ScalarType.UINT8), t("w", ScalarType.UINT8, 8));
        assertEquals(List.of(KernelEntry.DQL_REDUCE_F16, KernelEntry.DQL_PARAMS), empty.launches().stream().map(Launch::entry).toList());

        KernelArgumentException e = assertThrows(KernelArgumentException.class, () -> DynamicQuantizeLinearKernel.plan(
                t("x", ScalarType.INT32, 4), t("y", ScalarType.UINT8, 4), t("s", ScalarType.FLOAT), t("z", ScalarType.UINT8), ws));
        assertEquals("DynamicQuantizeLinear: input 'x' (int32 [4]) must be float or float16", e.getMessage());
        e = assertThrows(KernelArgumentException.class, () -> DynamicQuantizeLinearKernel.plan(x, t("y", ScalarType.UINT8, 4000),
                t("s", ScalarType.FLOAT), t("z", ScalarType.UINT8), ws));
        assertEquals("DynamicQuantizeLinear: 'y' (uint8 [4000]) must have shape [4, 1000]", e.getMessage());
        e = assertThrows(KernelArgumentException.class, () -> DynamicQuantizeLinearKernel.plan(x, t("y", ScalarType.UINT8, 4, 1000),
                t("s", ScalarType.FLOAT, 2), t("z", ScalarType.UINT8), ws));
        assertEquals("DynamicQuantizeLinear: 's' (float [2]) must be a float scalar", e.getMessage());
        e = assertThrows(KernelArgumentException.class, () -> DynamicQuantizeLinearKernel.plan(x, t("y", ScalarType.UINT8, 4, 1000),
                t("s", ScalarType.FLOAT), t("z", ScalarType.UINT8), t("ws", ScalarType.UINT8, 64)));
        assertEquals("DynamicQuantizeLinear: workspace 'ws' (uint8 [64]) holds 64 bytes, needs 128", e.getMessage());
    }

    @Test
    void matMulIntegerShapesTilesAndBatchStruct() {
        assertArrayEquals(new long[] {2, 3, 5, 6}, MatMulIntegerKernel.outputShape(new long[] {2, 3, 5, 8}, new long[] {8, 6}));
        assertArrayEquals(new long[] {3, 4}, MatMulIntegerKernel.outputShape(new long[] {7}, new long[] {3, 7, 4}));
        assertArrayEquals(new long[] {3}, MatMulIntegerKernel.outputShape(new long[] {3, 7}, new long[] {7}));
        assertArrayEquals(new long[] {}, MatMulIntegerKernel.outputShape(new long[] {7}, new long[] {7}));
        assertArrayEquals(new long[] {2, 3, 4, 2}, MatMulIntegerKernel.outputShape(new long[] {2, 1, 4, 9}, new long[] {1, 3, 9, 2}));
        assertEquals("MatMulInteger: A [2, 3] has 3 columns but B [4, 5] has 4 rows", assertThrows(KernelArgumentException.class,
                () -> MatMulIntegerKernel.outputShape(new long[] {2, 3}, new long[] {4, 5})).getMessage());
        assertTrue(assertThrows(KernelArgumentException.class, () -> MatMulIntegerKernel.outputShape(new long[] {2, 3, 4},
                new long[] {5, 4, 2})).getMessage().contains("do not broadcast"));

        DeviceTensor a = t("A", ScalarType.UINT8, 2, 1, 100, 70);
        DeviceTensor b = t("B", ScalarType.INT8, 3, 70, 130);
        DeviceTensor zb = t("b_zp", ScalarType.INT8, 3, 1, 130);
        DeviceTensor y = t("Y", ScalarType.INT32, 2, 3, 100, 130);
        LaunchPlan p = MatMulIntegerKernel.plan(a, b, t("a_zp", ScalarType.UINT8), zb, y);
        Launch l = p.launches().get(0);
        assertEquals(new Dim3(3, 2, 6), l.grid(), "ceil(130/64) column tiles, ceil(100/64) row tiles, 2 x 3 batch items");
        assertEquals(new Dim3(256, 1, 1), l.block());
        KernelArgs args = l.args();
        assertEquals(100, args.longValue(5));
        assertEquals(130, args.longValue(6));
        assertEquals(70, args.longValue(7));
        assertEquals(2, args.longValue(8), "flags: B signed");
        assertEquals(0, args.longValue(9), "a zero point is a scalar");
        assertEquals(1, args.longValue(10), "b zero point per column");
        ByteBuffer batch = ByteBuffer.wrap(args.value(11)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(160, batch.capacity());
        long[] expected = {
            1, 1, 2, 3,                // dims (padded in front)
            0, 0, 100 * 70, 0,         // A: [2, 1] batch, broadcast over the second
            0, 0, 0, 70 * 130,         // B: [3] batch, broadcast over the first
            0, 0, 0, 0,                // a zero point: scalar
            0, 0, 0, 130};             // b zero point: [3, 1, 130]
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], batch.getLong(8 * i), "batch struct long " + i);
        }
        assertTrue(assertThrows(KernelArgumentException.class, () -> MatMulIntegerKernel.plan(a, b, t("a_zp", ScalarType.UINT8, 100),
                zb, y)).getMessage().contains("a_zero_point 'a_zp' (uint8 [100]) must be one element, [M] for 2-D A, or A's batch "
                + "dims + [M, 1] (M = 100)"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> MatMulIntegerKernel.plan(a, b, null, t("b_zp", ScalarType.UINT8),
                y)).getMessage().contains("must have the type of 'B'"));
        assertTrue(MatMulIntegerKernel.plan(t("A", ScalarType.UINT8, 0, 5), t("B", ScalarType.UINT8, 5, 3), null, null,
                t("Y", ScalarType.INT32, 0, 3)).launches().isEmpty());
    }

    @Test
    void dftChoosesTheAlgorithmByLength() {
        assertEquals(DftKernel.Algorithm.RADIX2, DftKernel.algorithm(1));
        assertEquals(DftKernel.Algorithm.RADIX2, DftKernel.algorithm(4096));
        assertEquals(DftKernel.Algorithm.DIRECT, DftKernel.algorithm(8192));
        assertEquals(DftKernel.Algorithm.BLUESTEIN, DftKernel.algorithm(3));
        assertEquals(DftKernel.Algorithm.BLUESTEIN, DftKernel.algorithm(1000));
        assertEquals(DftKernel.Algorithm.DIRECT, DftKernel.algorithm(1025));
        assertEquals(8, DftKernel.bluesteinLength(3));
        assertEquals(2048, DftKernel.bluesteinLength(1024));
        assertEquals(256, DftKernel.bluesteinLength(100));
        assertEquals(32, DftKernel.radix2Threads(1));
        assertEquals(32, DftKernel.radix2Threads(64));
        assertEquals(64, DftKernel.radix2Threads(128));
        assertEquals(256, DftKernel.radix2Threads(4096));
        assertEquals(49152, DftKernel.radix2SharedBytes(4096), "the largest radix-2 length fills exactly 48 KiB");
        assertEquals(40960, DftKernel.bluesteinSharedBytes(1024));

        DeviceTensor x = t("x", ScalarType.FLOAT, 2, 3, 100, 5, 2);
        DftKernel.Attributes a = new DftKernel.Attributes(2, false, true, 0);
        assertArrayEquals(new long[] {2, 3, 51, 5, 2}, DftKernel.outputShape(x.shape(), a));
        LaunchPlan p = DftKernel.plan(x, t("y", ScalarType.FLOAT, 2, 3, 51, 5, 2), a);
        Launch l = p.launches().get(0);
        assertEquals(KernelEntry.DFT_BLUESTEIN_F32, l.entry());
        assertEquals(new Dim3(30, 1, 1), l.grid(), "outer 2*3 x inner 5 lines");
        assertEquals(256 * 20, l.sharedBytes());
        assertEquals(List.of(5L, 100L, 100L, 51L, 2L, 0L), List.of(l.args().longValue(2), l.args().longValue(3), l.args().longValue(4),
                l.args().longValue(5), l.args().longValue(6), l.args().longValue(7)));

        Launch direct = DftKernel.plan(t("x", ScalarType.FLOAT16, 4, 3000, 1), t("y", ScalarType.FLOAT16, 4, 3000, 2),
                DftKernel.Attributes.opset20()).launches().get(0);
        assertEquals(KernelEntry.DFT_DIRECT_F16, direct.entry());
        assertEquals(new Dim3(4, 12, 1), direct.grid(), "4 lines x ceil(3000/256) bin blocks");
        Launch padded = DftKernel.plan(t("x", ScalarType.FLOAT, 1, 10, 1), t("y", ScalarType.FLOAT, 1, 16, 2),
                new DftKernel.Attributes(1, false, false, 16)).launches().get(0);
        assertEquals(KernelEntry.DFT_RADIX2_F32, padded.entry());
        assertEquals(192, padded.sharedBytes());

        assertTrue(assertThrows(KernelArgumentException.class, () -> DftKernel.outputShape(new long[] {2, 8}, DftKernel.Attributes
                .opset17())).getMessage().contains("rank >= 3"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> DftKernel.outputShape(new long[] {2, 8, 3}, DftKernel.Attributes
                .opset17())).getMessage().contains("must be 1 (real) or 2 (complex)"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> DftKernel.outputShape(new long[] {2, 8, 1},
                new DftKernel.Attributes(-1, false, false, 0))).getMessage().contains("axis -1 is outside [-3, -2] and [0, 1]"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> DftKernel.outputShape(new long[] {2, 8, 1},
                new DftKernel.Attributes(1, true, true, 0))).getMessage().contains("onesided and inverse"));
    }

    @Test
    void affineGrid() {
        assertArrayEquals(new long[] {2, 7, 9, 2}, AffineGridKernel.outputShape(new long[] {2, 3, 7, 9}));
        assertArrayEquals(new long[] {1, 4, 7, 9, 3}, AffineGridKernel.outputShape(new long[] {1, 3, 4, 7, 9}));
        Launch l = AffineGridKernel.plan(t("theta", ScalarType.FLOAT, 1, 3, 4), new long[] {1, 3, 40, 70, 90}, true,
                t("grid", ScalarType.FLOAT, 1, 40, 70, 90, 3)).launches().get(0);
        assertEquals(KernelEntry.AFFINE_GRID_3D_F32, l.entry());
        assertEquals(new Dim3(985, 1, 1), l.grid(), "ceil(252000 points / 256)");
        assertEquals(1, l.args().longValue(6));
        Launch capped = AffineGridKernel.plan(t("theta", ScalarType.FLOAT16, 8, 2, 3), new long[] {8, 1, 4096, 4096}, false,
                t("grid", ScalarType.FLOAT16, 8, 4096, 4096, 2)).launches().get(0);
        assertEquals(new Dim3(65535, 1, 1), capped.grid(), "grid-stride beyond 65535 blocks");
        assertTrue(assertThrows(KernelArgumentException.class, () -> AffineGridKernel.plan(t("theta", ScalarType.FLOAT, 2, 2, 3),
                new long[] {1, 3, 4, 4}, false, t("grid", ScalarType.FLOAT, 1, 4, 4, 2))).getMessage()
                .contains("'theta' (float [2, 2, 3]) must have shape [1, 2, 3]"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> AffineGridKernel.outputShape(new long[] {1, 2, 3}))
                .getMessage().contains("4 (2-D) or 5 (3-D)"));
    }

    @Test
    void uniqueWorkspaceAndPasses() {
        assertEquals(0, UniqueKernel.mergePasses(1024));
        assertEquals(1, UniqueKernel.mergePasses(1025));
        assertEquals(3, UniqueKernel.mergePasses(5000));
        UniqueKernel.Layout w = UniqueKernel.Layout.of(5000);
        assertEquals(0, w.pairsA());
        assertEquals(80_128, w.pairsB(), "16 bytes per pair, 256-aligned");
        assertEquals(w.seg() + 8 * 4999, UniqueKernel.countOffset(5000));
        assertTrue(UniqueKernel.workspaceBytes(5000) >= 64 * 5000);

        DeviceTensor x = t("X", ScalarType.INT64, 5000);
        DeviceTensor ws = t("ws", ScalarType.UINT8, UniqueKernel.workspaceBytes(5000));
        LaunchPlan count = UniqueKernel.countPlan(x, ws);
        assertEquals(List.of(KernelEntry.UNIQUE_KEYS, KernelEntry.UNIQUE_SORT_TILES, KernelEntry.UNIQUE_MERGE, KernelEntry.UNIQUE_MERGE,
                KernelEntry.UNIQUE_MERGE, KernelEntry.UNIQUE_FLAGS, KernelEntry.SCAN_TILES, KernelEntry.SCAN_SUMS, KernelEntry.SCAN_ADD),
                count.launches().stream().map(Launch::entry).toList());
        assertEquals(new Dim3(5, 1, 1), count.launches().get(1).grid(), "five 1024-pair tiles");
        assertEquals(new Dim3(512, 1, 1), count.launches().get(1).block());
        assertEquals(7, count.launches().get(0).args().longValue(2), "ONNX int64 code");
        // Three merges ping-pong A -> B -> A -> B: the flags read B.
        assertEquals(ws.address() + w.pairsB(), count.launches().get(5).args().longValue(0));

        LaunchPlan fill = UniqueKernel.fillPlan(x, ws, 300, false, t("Y", ScalarType.INT64, 300), null, t("inv", ScalarType.INT64, 5000),
                t("c", ScalarType.INT64, 300));
        assertEquals(List.of(KernelEntry.UNIQUE_HEADS, KernelEntry.UNIQUE_FILL, KernelEntry.UNIQUE_MARK, KernelEntry.SCAN_TILES,
                KernelEntry.SCAN_SUMS, KernelEntry.SCAN_ADD, KernelEntry.UNIQUE_OUTPUTS, KernelEntry.UNIQUE_INVERSE),
                fill.launches().stream().map(Launch::entry).toList());
        assertEquals(0, fill.launches().get(6).args().longValue(8), "indices not wanted: null");
        assertTrue(assertThrows(KernelArgumentException.class, () -> UniqueKernel.fillPlan(x, ws, 300, true, t("Y", ScalarType.INT64, 299),
                null, null, null)).getMessage().contains("must have shape [300]"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> UniqueKernel.fillPlan(x, ws, 0, true, null, null, null, null))
                .getMessage().contains("0 unique values is impossible for 5000 elements"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> UniqueKernel.countPlan(t("X", ScalarType.INT64, 5000),
                t("ws", ScalarType.UINT8, 1000))).getMessage().contains("needs " + UniqueKernel.workspaceBytes(5000)));
    }

    @Test
    void launchesCheckTheirArgumentsAgainstTheEntry() {
        KernelArgs wrong = new KernelArgs().pointer(1).int32(5).pointer(2);
        assertEquals("dql_reduce_f32 parameter 1 is INT64, got INT32", assertThrows(IllegalArgumentException.class,
                () -> new Launch(KernelEntry.DQL_REDUCE_F32, Dim3.of(1), Dim3.of(256), 0, wrong)).getMessage());
        KernelArgs ok = new KernelArgs().pointer(1).int64(5).pointer(2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Launch(KernelEntry.DQL_REDUCE_F32, Dim3.of(1), Dim3.of(512), 0,
                ok)).getMessage().contains("at most 256 threads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Launch(KernelEntry.DQL_REDUCE_F32, Dim3.of(1), Dim3.of(256),
                64 * 1024, ok)).getMessage().contains("dynamic shared memory"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Launch(KernelEntry.DQL_REDUCE_F32, new Dim3(1, 70000, 1),
                Dim3.of(256), 0, ok)).getMessage().contains("CUDA limits"));
        assertTrue(assertThrows(KernelArgumentException.class, () -> new DeviceTensor("t", 0x1000, 10, ScalarType.FLOAT, new long[] {3}))
                .getMessage().contains("does not fit the 10 bytes"));
    }
}

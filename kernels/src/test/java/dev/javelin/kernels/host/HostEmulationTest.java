package dev.javelin.kernels.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.javelin.kernels.ScalarType;
import dev.javelin.kernels.testing.HalfBits;
import dev.javelin.kernels.testing.HostTensor;
import dev.javelin.kernels.testing.NativeBuild;
import dev.javelin.kernels.testing.OnnxModelWriter;
import dev.javelin.kernels.testing.OrtRunner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host build called directly through JNA (no driver): the block-cooperative building blocks under the
 * host emulation of a block at sizes the op launchers never use (so a bug hidden by one block size shows), and
 * the per-element float16 conversions against ONNX Runtime's Cast.
 */
class HostEmulationTest {
    private static NativeLibrary host;

    @BeforeAll
    static void load() {
        host = NativeLibrary.getInstance(NativeBuild.hostKernels().toString());
    }

    /** Launches a kernel of the host build; arguments: Long (long long), Integer (int), Float, Pointer (a T*). */
    private static void launch(String name, int grid, int block, Object... args) {
        Pointer k = host.getFunction("jk_host_find").invokePointer(new Object[] {name});
        assertTrue(k != null, name);
        assertEquals(args.length, host.getFunction("jk_host_param_count").invokeInt(new Object[] {k}), name + " parameters");
        Memory values = new Memory(8L * Math.max(1, args.length));
        Memory table = new Memory(8L * Math.max(1, args.length));
        List<Object> keep = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Long l) {
                values.setLong(8L * i, l);
            } else if (a instanceof Integer v) {
                values.setInt(8L * i, v);
            } else if (a instanceof Float f) {
                values.setFloat(8L * i, f);
            } else {
                values.setPointer(8L * i, (Pointer) a);
                keep.add(a);
            }
            table.setPointer(8L * i, values.share(8L * i));
        }
        int status = host.getFunction("jk_host_launch").invokeInt(new Object[] {k, new int[] {grid, 1, 1}, new int[] {block, 1, 1}, 0,
                table});
        assertEquals(0, status, name);
        assertTrue(keep.size() <= args.length);
    }

    @Test
    void blockReductionAtEveryWarpCount() {
        Random r = new Random(3);
        for (int block : new int[] {32, 64, 96, 256, 1024}) {
            int n = block * 3 - 7;  // the last block partly empty
            Memory x = new Memory(4L * n);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) r.nextGaussian();
                x.setFloat(4L * i, v[i]);
            }
            int grid = (n + block - 1) / block;
            Memory out = new Memory(8L * grid);
            launch("jk_test_block_minmax", grid, block, x, (long) n, out);
            for (int b = 0; b < grid; b++) {
                float mn = Float.POSITIVE_INFINITY, mx = Float.NEGATIVE_INFINITY;
                for (int i = b * block; i < Math.min(n, (b + 1) * block); i++) {
                    mn = Math.min(mn, v[i]);
                    mx = Math.max(mx, v[i]);
                }
                assertEquals(mn, out.getFloat(8L * b), "min of block " + b + " at " + block + " threads");
                assertEquals(mx, out.getFloat(8L * b + 4), "max of block " + b + " at " + block + " threads");
            }
        }
    }

    @Test
    void blockScanWithWarpShufflesAtEveryWarpCount() {
        Random r = new Random(4);
        for (int block : new int[] {32, 64, 160, 1024}) {
            Memory x = new Memory(8L * block);
            long[] v = new long[block];
            for (int i = 0; i < block; i++) {
                v[i] = r.nextInt(1000) - 300;
                x.setLong(8L * i, v[i]);
            }
            Memory out = new Memory(8L * block);
            Memory total = new Memory(8);
            launch("jk_test_block_scan", 1, block, x, out, total);
            long run = 0;
            for (int i = 0; i < block; i++) {
                assertEquals(run, out.getLong(8L * i), "exclusive prefix " + i + " at " + block + " threads");
                run += v[i];
            }
            assertEquals(run, total.getLong(0), "block total at " + block + " threads");
        }
    }

    @Test
    void threadsThatExitEarlyStopCountingAtTheBarrier() {
        // Every third thread returns before __syncthreads; the others read their neighbour's value after it.
        for (int block : new int[] {32, 96, 256}) {
            Memory out = new Memory(4L * block);
            out.clear();
            launch("jk_test_early_exit", 1, block, out);
            for (int t = 0; t < block; t++) {
                int partner = t % 3 == 1 ? t + 1 : t - 1;
                int expected = t % 3 == 0 ? 0 : (partner < block ? partner : -1);
                assertEquals(expected, out.getInt(4L * t), "thread " + t + " of " + block);
            }
        }
    }

    @Test
    void float16ConversionsMatchOnnxRuntimeCast() {
        Function toFloat = host.getFunction("jk_host_half_to_float");
        Function toHalf = host.getFunction("jk_host_float_to_half");
        // Every half value to float.
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        byte[] toF = OnnxModelWriter.op("Cast", 13).input("x", 10, all.length).attr("to", 1L).output("y", 1).build();
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("x", HostTensor.halves(all, all.length));
        float[] ref = OrtRunner.run(toF, in, List.of("y")).get("y").toFloats();
        for (int i = 0; i < all.length; i++) {
            float got = toFloat.invokeFloat(new Object[] {all[i]});
            assertTrue(Float.floatToRawIntBits(got) == Float.floatToRawIntBits(ref[i]) || (Float.isNaN(got) && Float.isNaN(ref[i])),
                    "half 0x" + Integer.toHexString(i) + ": " + got + " vs " + ref[i]);
        }
        // Floats to half: edges of every range and random values over the whole exponent range.
        Random r = new Random(9);
        List<Float> values = new ArrayList<>(List.of(0f, -0f, 65504f, 65519.996f, 65520f, -65520f, 1e-8f, 2.9802322e-8f,
                2.9802326e-8f, 5.9604645e-8f, 8.940697e-8f, 6.1035156e-5f, 6.1035152e-5f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, 1.0009766f, 1.0004883f, 1.0014648f));
        for (int i = 0; i < 20000; i++) {
            values.add(Float.intBitsToFloat(r.nextInt()));
            values.add((float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 26)));
        }
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = values.get(i);
        }
        byte[] toH = OnnxModelWriter.op("Cast", 13).input("x", 1, f.length).attr("to", 10L).output("y", 10).build();
        in.clear();
        in.put("x", HostTensor.floats(f, f.length));
        HostTensor h = OrtRunner.run(toH, in, List.of("y")).get("y");
        for (int i = 0; i < f.length; i++) {
            short want = h.data().getShort(2 * i);
            short got = (short) toHalf.invokeInt(new Object[] {f[i]});
            short helper = HalfBits.of(f[i]);
            if (Float.isNaN(f[i])) {
                assertTrue((got & 0x7C00) == 0x7C00 && (got & 0x3FF) != 0, "NaN stays NaN");
                continue;
            }
            assertEquals(want, got, "float " + f[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f[i])) + ")");
            assertEquals(want, helper, "the tests' own HalfBits for " + f[i]);
        }
    }

    @Test
    void hostLibraryListsTheShippedKernels() {
        int count = host.getFunction("jk_host_kernel_count").invokeInt(new Object[0]);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add(host.getFunction("jk_host_kernel_name").invokeString(new Object[] {i}, false));
        }
        List<String> declared = new ArrayList<>();
        for (dev.javelin.kernels.KernelEntry e : dev.javelin.kernels.KernelEntry.values()) {
            declared.add(e.symbol());
        }
        assertEquals(declared.stream().sorted().toList(), names.stream().sorted().toList(),
                "the host build registers exactly the kernels the Java catalogue declares");
        // And each one's parameter sizes are the Java kinds' sizes.
        for (dev.javelin.kernels.KernelEntry e : dev.javelin.kernels.KernelEntry.values()) {
            Pointer k = host.getFunction("jk_host_find").invokePointer(new Object[] {e.symbol()});
            for (int i = 0; i < e.params().size(); i++) {
                int size = host.getFunction("jk_host_param_size").invokeInt(new Object[] {k, i});
                int expected = e.params().get(i).bytes() == 0 ? 160 : e.params().get(i).bytes();
                assertEquals(expected, size, e.symbol() + " parameter " + i);
            }
        }
        assertEquals(ScalarType.values().length, 7);
    }
}

package dev.javelin.kernels.fake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.ScalarType;
import dev.javelin.kernels.UniqueKernel;
import dev.javelin.kernels.testing.HalfBits;
import dev.javelin.kernels.testing.HostTensor;
import dev.javelin.kernels.testing.OnnxModelWriter;
import dev.javelin.kernels.testing.OrtRunner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Unique through the two-pass launch path (count, read U, fill) vs ONNX Runtime, exact. Types ONNX Runtime's CPU
 * kernel lacks (int32, uint8, float16) are compared with its result on the same values widened to int64 / float;
 * NaN, where ONNX Runtime's std::map ordering is undefined, against a closed-form reference.
 */
class UniqueTest {
    private static final Random R = new Random(53);

    @BeforeAll
    static void gpu() {
        FakeGpu.start();
    }

    /** The four outputs. */
    record Outputs(HostTensor y, long[] indices, long[] inverse, long[] counts) {
    }

    static Outputs kernel(HostTensor x, boolean sorted) {
        long n = x.elements();
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            DeviceTensor dx = s.upload("X", x);
            DeviceTensor ws = s.empty("workspace", ScalarType.UINT8, UniqueKernel.workspaceBytes(n));
            FakeGpu.run(UniqueKernel.countPlan(dx, ws));
            long u = UniqueKernel.readCount(n, s.owner(ws), 0, FakeGpu.stream());
            DeviceTensor y = s.empty("Y", x.type(), u);
            DeviceTensor idx = s.empty("indices", ScalarType.INT64, u);
            DeviceTensor inv = s.empty("inverse_indices", ScalarType.INT64, n);
            DeviceTensor cnt = s.empty("counts", ScalarType.INT64, u);
            FakeGpu.run(UniqueKernel.fillPlan(dx, ws, u, sorted, y, idx, inv, cnt));
            return new Outputs(s.download(y), s.download(idx).toLongs(), s.download(inv).toLongs(), s.download(cnt).toLongs());
        }
    }

    static Outputs ort(HostTensor x, boolean sorted) {
        byte[] model = OnnxModelWriter.op("Unique", 11).input("X", x.type().onnxCode(), x.shape()).attr("sorted", sorted ? 1L : 0L)
                .output("Y", x.type().onnxCode()).output("indices", 7).output("inverse_indices", 7).output("counts", 7).build();
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("X", x);
        Map<String, HostTensor> r = OrtRunner.run(model, in, List.of("Y", "indices", "inverse_indices", "counts"));
        return new Outputs(r.get("Y"), r.get("indices").toLongs(), r.get("inverse_indices").toLongs(), r.get("counts").toLongs());
    }

    private static void same(String what, Outputs expected, Outputs got, boolean compareYBytes) {
        assertArrayEquals(expected.indices(), got.indices(), what + ": indices");
        assertArrayEquals(expected.inverse(), got.inverse(), what + ": inverse_indices");
        assertArrayEquals(expected.counts(), got.counts(), what + ": counts");
        if (compareYBytes) {
            assertArrayEquals(expected.y().toBytes(), got.y().toBytes(), what + ": Y");
        }
    }

    private static HostTensor randomInts(ScalarType t, int n, int range) {
        HostTensor h = HostTensor.allocate(t, n);
        for (int i = 0; i < n; i++) {
            long v = R.nextInt(range) - range / 2;
            switch (t) {
                case INT64 -> h.data().putLong(8 * i, v * 1_000_000_007L);
                case INT32 -> h.data().putInt(4 * i, (int) v * 65_537);
                case INT8 -> h.data().put(i, (byte) v);
                case UINT8 -> h.data().put(i, (byte) (v + range / 2));
                case DOUBLE -> h.data().putDouble(8 * i, v / 7.0);
                case FLOAT -> h.data().putFloat(4 * i, v / 7f);
                default -> throw new IllegalArgumentException();
            }
        }
        return h;
    }

    @Test
    void typesOnnxRuntimeImplementsSortedAndUnsorted() {
        for (ScalarType t : new ScalarType[] {ScalarType.FLOAT, ScalarType.DOUBLE, ScalarType.INT64, ScalarType.INT8}) {
            for (int n : new int[] {1, 17, 1000, 2500}) {
                HostTensor x = randomInts(t, n, t == ScalarType.INT8 ? 256 : 300);
                for (boolean sorted : new boolean[] {true, false}) {
                    same(t + " n=" + n + (sorted ? " sorted" : " unsorted"), ort(x, sorted), kernel(x, sorted), true);
                }
            }
        }
    }

    @Test
    void typesComparedThroughAWiderType() {
        HostTensor i32 = randomInts(ScalarType.INT32, 1500, 100);
        HostTensor u8 = randomInts(ScalarType.UINT8, 1300, 256);
        HostTensor asLong32 = HostTensor.allocate(ScalarType.INT64, 1500);
        for (int i = 0; i < 1500; i++) {
            asLong32.data().putLong(8 * i, i32.data().getInt(4 * i));
        }
        HostTensor asLong8 = HostTensor.allocate(ScalarType.INT64, 1300);
        for (int i = 0; i < 1300; i++) {
            asLong8.data().putLong(8 * i, u8.data().get(i) & 0xFF);
        }
        short[] halves = new short[1200];
        float[] asFloat = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = HalfBits.of((R.nextInt(200) - 100) / 8f);
            asFloat[i] = dev.javelin.kernels.testing.Half.toFloat(halves[i]);
        }
        for (boolean sorted : new boolean[] {true, false}) {
            Outputs a = kernel(i32, sorted);
            Outputs b = ort(asLong32, sorted);
            same("int32", b, a, false);
            for (int i = 0; i < b.y().elements(); i++) {
                assertEquals(b.y().data().getLong(8 * i), a.y().data().getInt(4 * i), "int32 Y[" + i + "]");
            }
            Outputs c = kernel(u8, sorted);
            Outputs d = ort(asLong8, sorted);
            same("uint8", d, c, false);
            for (int i = 0; i < d.y().elements(); i++) {
                assertEquals(d.y().data().getLong(8 * i), c.y().data().get(i) & 0xFF, "uint8 Y[" + i + "]");
            }
            Outputs e = kernel(HostTensor.halves(halves, halves.length), sorted);
            Outputs f = ort(HostTensor.floats(asFloat, asFloat.length), sorted);
            same("float16", f, e, false);
            assertArrayEquals(f.y().toFloats(), e.y().toFloats(), "float16 Y");
        }
    }

    @Test
    void edgeCases() {
        for (boolean sorted : new boolean[] {true, false}) {
            HostTensor empty = HostTensor.allocate(ScalarType.FLOAT, 0);
            same("empty", ort(empty, sorted), kernel(empty, sorted), true);
            HostTensor one = HostTensor.floats(new float[] {4.5f}, 1);
            same("one element", ort(one, sorted), kernel(one, sorted), true);
            HostTensor allSame = HostTensor.longs(new long[3000], 3000);
            same("3000 equal values", ort(allSame, sorted), kernel(allSame, sorted), true);
            long[] distinct = new long[2049];
            for (int i = 0; i < distinct.length; i++) {
                distinct[i] = (i * 7919L) % 2049 - 1000;  // a permutation: all distinct
            }
            HostTensor d = HostTensor.longs(distinct, distinct.length);
            same("2049 distinct values", ort(d, sorted), kernel(d, sorted), true);
            HostTensor extremes = HostTensor.longs(new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 0, -1, Long.MAX_VALUE, Long.MIN_VALUE}, 6);
            same("int64 extremes", ort(extremes, sorted), kernel(extremes, sorted), true);
            HostTensor zeros = HostTensor.floats(new float[] {-0f, 0f, Float.NEGATIVE_INFINITY, 1, Float.POSITIVE_INFINITY, 0f, -0f}, 7);
            same("signed zeros and infinities (Y keeps the first zero's sign)", ort(zeros, sorted), kernel(zeros, sorted), true);
            HostTensor multi = HostTensor.floats(flat(24), 2, 3, 4);
            same("a rank-3 input is flattened", ort(multi, sorted), kernel(multi, sorted), true);
        }
    }

    private static float[] flat(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (i * 5) % 7;
        }
        return f;
    }

    /** NaNs: one value, after +inf (numpy's rule); ONNX Runtime's std::map ordering of NaN is undefined, so a closed form. */
    @Test
    void nanIsOneValueSortedLast() {
        float nan2 = Float.intBitsToFloat(0x7FC00001);
        float[] v = {Float.NaN, 1f, nan2, -2f, Float.POSITIVE_INFINITY, 1f, Float.NaN};
        for (boolean sorted : new boolean[] {true, false}) {
            Outputs got = kernel(HostTensor.floats(v, v.length), sorted);
            Outputs want = reference(v, sorted);
            same("NaN " + (sorted ? "sorted" : "unsorted"), want, got, false);
            float[] y = got.y().toFloats();
            for (int i = 0; i < y.length; i++) {
                assertEquals(Float.floatToRawIntBits(v[(int) got.indices()[i]]), Float.floatToRawIntBits(y[i]),
                        "Y holds the first occurrence's bits");
            }
        }
    }

    /** numpy.unique(equal_nan=True) semantics written out: keys with all NaNs equal and -0 == +0. */
    private static Outputs reference(float[] v, boolean sorted) {
        TreeMap<Float, List<Integer>> groups = new TreeMap<>((a, b) -> Float.compare(a == 0f ? 0f : a, b == 0f ? 0f : b));
        for (int i = 0; i < v.length; i++) {
            groups.computeIfAbsent(Float.isNaN(v[i]) ? Float.NaN : v[i], k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> order = new ArrayList<>(groups.values());
        if (!sorted) {
            order.sort((a, b) -> Integer.compare(a.get(0), b.get(0)));
        }
        long[] idx = new long[order.size()];
        long[] cnt = new long[order.size()];
        long[] inv = new long[v.length];
        float[] y = new float[order.size()];
        for (int u = 0; u < order.size(); u++) {
            idx[u] = order.get(u).get(0);
            cnt[u] = order.get(u).size();
            y[u] = v[(int) idx[u]];
            for (int i : order.get(u)) {
                inv[i] = u;
            }
        }
        return new Outputs(HostTensor.floats(y, y.length), idx, inv, cnt);
    }
}

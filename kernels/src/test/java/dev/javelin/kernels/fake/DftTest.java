package dev.javelin.kernels.fake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.DftKernel;
import dev.javelin.kernels.ScalarType;
import dev.javelin.kernels.testing.HalfBits;
import dev.javelin.kernels.testing.HostTensor;
import dev.javelin.kernels.testing.OnnxModelWriter;
import dev.javelin.kernels.testing.OrtRunner;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DFT through the launch path vs ONNX Runtime (opset 17 and 20 models) and vs a direct O(n^2) DFT in double
 * precision. Tolerance, as a fraction of the largest output magnitude: float32 within 1e-6 * (log2 n + 1) of the
 * double reference (ONNX Runtime within max(1e-5 * (log2 n + 1), 5e-7 n): it computes twiddles and chirps in
 * float, so its error grows with n), and the two within the sum of both; float16 within 2e-3 (fp16 rounding of inputs is excluded: both sides see the
 * same fp16 values, the output is rounded to fp16 once: 2^-11 relative plus accumulation).
 */
class DftTest {
    private static final Random R = new Random(31);

    @BeforeAll
    static void gpu() {
        FakeGpu.start();
    }

    /** One case: input shape, axis, attributes, opset of the ONNX Runtime model. */
    private record Case(long[] shape, long axis, boolean inverse, boolean onesided, long dftLength, int opset, boolean half) {
        @Override
        public String toString() {
            return "shape " + Arrays.toString(shape) + " axis " + axis + (inverse ? " inverse" : "") + (onesided ? " onesided" : "")
                    + (dftLength > 0 ? " dft_length " + dftLength : "") + " opset " + opset + (half ? " float16" : "");
        }
    }

    private static float[] randomSignal(long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) R.nextGaussian();
        }
        return v;
    }

    private static void check(Case c) {
        long count = 1;
        for (long d : c.shape) {
            count *= d;
        }
        float[] x = randomSignal(count);
        HostTensor input;
        if (c.half) {
            short[] h = new short[x.length];
            for (int i = 0; i < h.length; i++) {
                h[i] = HalfBits.of(x[i]);
            }
            input = HostTensor.halves(h, c.shape);
            x = input.toFloats();
        } else {
            input = HostTensor.floats(x, c.shape);
        }
        DftKernel.Attributes attrs = new DftKernel.Attributes(c.axis, c.inverse, c.onesided, c.dftLength);
        long[] outShape = DftKernel.outputShape(c.shape, attrs);
        float[] mine;
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            DeviceTensor y = s.empty("output", input.type(), outShape);
            FakeGpu.run(DftKernel.plan(s.upload("input", input), y, attrs));
            mine = s.download(y).toFloats();
        }
        float[] ort = ort(c, x, outShape);
        double[] ref = reference(x, c.shape, attrs, outShape);
        double scale = 1;
        for (double v : ref) {
            scale = Math.max(scale, Math.abs(v));
        }
        long n = c.dftLength > 0 ? c.dftLength : c.shape[(int) (c.axis < 0 ? c.axis + c.shape.length : c.axis)];
        double logn = Math.log(n) / Math.log(2) + 1;
        double mineErr = maxErr(mine, ref) / scale;
        double ortErr = maxErr(ort, ref) / scale;
        double mineTol = c.half ? 2e-3 : 1e-6 * logn;
        // ONNX Runtime computes its twiddles and Bluestein chirps in float from angles like pi * j^2 / n, whose
        // rounding error grows with n: allow for it (the kernel reduces j^2 mod 2n in integers first).
        double ortTol = Math.max(1e-5 * logn, 5e-7 * n);
        if (Boolean.getBoolean("javelin.test.verbose")) {
            System.out.printf("%s: kernel %.2e, ONNX Runtime %.2e%n", c, mineErr, ortErr);
        }
        assertTrue(mineErr <= mineTol, c + ": kernel error " + mineErr + " > " + mineTol);
        assertTrue(ortErr <= ortTol, c + ": ONNX Runtime's own error " + ortErr + " > " + ortTol + " (the reference is off?)");
        double both = maxErr(mine, toDouble(ort)) / scale;
        assertTrue(both <= mineTol + ortTol, c + ": kernel vs ONNX Runtime " + both);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double maxErr(float[] got, double[] ref) {
        assertTrue(got.length == ref.length, "lengths " + got.length + " vs " + ref.length);
        double e = 0;
        for (int i = 0; i < got.length; i++) {
            e = Math.max(e, Math.abs(got[i] - ref[i]));
        }
        return e;
    }

    private static float[] ort(Case c, float[] x, long[] outShape) {
        OnnxModelWriter w = OnnxModelWriter.op("DFT", c.opset).input("input", 1, c.shape);
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("input", HostTensor.floats(x, c.shape));
        if (c.dftLength > 0) {
            w.input("dft_length", 7);
            in.put("dft_length", HostTensor.longs(new long[] {c.dftLength}));
        } else if (c.opset >= 20) {
            w.absentInput();
        }
        if (c.opset >= 20) {
            w.input("axis", 7);
            in.put("axis", HostTensor.longs(new long[] {c.axis}));
        } else {
            w.attr("axis", c.axis);
        }
        w.attr("inverse", c.inverse ? 1L : 0L).attr("onesided", c.onesided ? 1L : 0L).output("output", 1);
        HostTensor out = OrtRunner.run(w.build(), in, List.of("output")).get("output");
        assertArrayEquals(outShape, out.shape(), "ONNX Runtime's output shape");
        return out.toFloats();
    }

    /** The definition, in double precision, one output bin at a time. */
    private static double[] reference(float[] x, long[] shape, DftKernel.Attributes a, long[] outShape) {
        int r = shape.length;
        int axis = (int) (a.axis() < 0 ? a.axis() + r : a.axis());
        int nIn = (int) shape[axis];
        int n = a.dftLength() > 0 ? (int) a.dftLength() : nIn;
        int channels = (int) shape[r - 1];
        long outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        long inner = 1;
        for (int i = axis + 1; i < r - 1; i++) {
            inner *= shape[i];
        }
        int nOut = (int) outShape[axis];
        double[] y = new double[(int) (outer * nOut * inner * 2)];
        double sign = a.inverse() ? 1 : -1;
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                for (int k = 0; k < nOut; k++) {
                    double re = 0, im = 0;
                    for (int j = 0; j < Math.min(n, nIn); j++) {
                        long at = ((o * nIn + j) * inner + i) * channels;
                        double xr = x[(int) at];
                        double xi = channels == 2 ? x[(int) at + 1] : 0;
                        double ang = sign * 2 * Math.PI * (((long) j * k) % n) / n;
                        re += xr * Math.cos(ang) - xi * Math.sin(ang);
                        im += xr * Math.sin(ang) + xi * Math.cos(ang);
                    }
                    if (a.inverse()) {
                        re /= n;
                        im /= n;
                    }
                    long out = ((o * nOut + k) * inner + i) * 2;
                    y[(int) out] = re;
                    y[(int) out + 1] = im;
                }
            }
        }
        return y;
    }

    @Test
    void powersOfTwoRealAndComplexForwardAndInverse() {
        for (int n : new int[] {1, 2, 8, 64, 256, 2048}) {
            check(new Case(new long[] {2, n, 1}, 1, false, false, 0, 17, false));
            check(new Case(new long[] {3, n, 2}, 1, true, false, 0, 17, false));
        }
        check(new Case(new long[] {2, 4096, 1}, 1, false, true, 0, 20, false));
    }

    @Test
    void otherLengthsUseBluesteinOrTheDirectSum() {
        for (int n : new int[] {3, 5, 12, 100, 1000}) {
            check(new Case(new long[] {2, n, 2}, 1, false, false, 0, 17, false));
            check(new Case(new long[] {1, n, 1}, 1, false, true, 0, 20, false));
            check(new Case(new long[] {1, n, 1}, 1, true, false, 0, 20, false));
        }
        check(new Case(new long[] {1, 1201, 2}, 1, false, false, 0, 17, false));  // > 1024: direct
        check(new Case(new long[] {2, 1100, 1}, -2, false, true, 0, 20, false));
    }

    @Test
    void onesidedPaddingTruncationAndAxes() {
        check(new Case(new long[] {2, 10, 1}, 1, false, true, 16, 17, false));   // zero-padded to 16
        check(new Case(new long[] {2, 10, 1}, 1, false, true, 7, 17, false));    // truncated to 7
        check(new Case(new long[] {2, 37, 2}, 1, true, false, 64, 20, false));
        check(new Case(new long[] {2, 5, 6, 1}, 1, false, false, 0, 17, false)); // strided lines: inner = 6
        check(new Case(new long[] {2, 5, 6, 2}, 2, false, true, 0, 17, false));
        check(new Case(new long[] {2, 5, 6, 2}, -3, true, false, 0, 20, false));
        check(new Case(new long[] {4, 3, 2}, 0, false, false, 0, 17, false));   // the batch axis itself
    }

    @Test
    void float16() {
        check(new Case(new long[] {2, 64, 1}, 1, false, false, 0, 17, true));
        check(new Case(new long[] {2, 30, 2}, 1, true, false, 0, 20, true));
        check(new Case(new long[] {1, 1100, 1}, 1, false, true, 0, 20, true));
    }

    @Test
    void emptyBatchLaunchesNothing() {
        DftKernel.Attributes a = DftKernel.Attributes.opset17();
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            var plan = DftKernel.plan(s.upload("input", HostTensor.allocate(ScalarType.FLOAT, 0, 8, 1)),
                    s.empty("output", ScalarType.FLOAT, 0, 8, 2), a);
            assertTrue(plan.launches().isEmpty());
            FakeGpu.run(plan);
        }
    }
}

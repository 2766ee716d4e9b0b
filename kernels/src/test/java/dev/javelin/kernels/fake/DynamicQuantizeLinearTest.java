package dev.javelin.kernels.fake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.DynamicQuantizeLinearKernel;
import dev.javelin.kernels.ScalarType;
import dev.javelin.kernels.testing.HalfBits;
import dev.javelin.kernels.testing.HostTensor;
import dev.javelin.kernels.testing.OnnxModelWriter;
import dev.javelin.kernels.testing.OrtRunner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DynamicQuantizeLinear through the launch path vs ONNX Runtime's CPU kernel. Tolerance: none — y, y_scale and
 * y_zero_point must be bit-identical, because the kernel reproduces ONNX Runtime's roundings.
 */
class DynamicQuantizeLinearTest {
    private static final byte[] MODEL = OnnxModelWriter.op("DynamicQuantizeLinear", 11)
            .input("x", ScalarType.FLOAT.onnxCode(), -1).output("y", 2).output("y_scale", 1).output("y_zero_point", 2).build();

    @BeforeAll
    static void gpu() {
        FakeGpu.start();
    }

    /** Runs the kernels on x (float32, or float16 bits compared against ONNX Runtime on the exact float values). */
    private static void check(String what, float[] values, boolean half) {
        HostTensor x = half ? HostTensor.halves(toHalfBits(values), values.length) : HostTensor.floats(values, values.length);
        float[] exact = x.toFloats();
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("x", HostTensor.floats(exact, exact.length));
        Map<String, HostTensor> ref = OrtRunner.run(MODEL, in, List.of("y", "y_scale", "y_zero_point"));
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            DeviceTensor dx = s.upload("x", x);
            DeviceTensor y = s.empty("y", ScalarType.UINT8, values.length);
            DeviceTensor scale = s.empty("y_scale", ScalarType.FLOAT);
            DeviceTensor zp = s.empty("y_zero_point", ScalarType.UINT8);
            DeviceTensor ws = s.empty("workspace", ScalarType.UINT8, DynamicQuantizeLinearKernel.workspaceBytes(values.length));
            FakeGpu.run(DynamicQuantizeLinearKernel.plan(dx, y, scale, zp, ws));
            assertEquals(Float.floatToRawIntBits(ref.get("y_scale").toFloats()[0]), Float.floatToRawIntBits(s.download(scale).toFloats()[0]),
                    what + ": y_scale " + ref.get("y_scale").toFloats()[0] + " vs " + s.download(scale).toFloats()[0]);
            assertEquals(ref.get("y_zero_point").toBytes()[0], s.download(zp).toBytes()[0], what + ": y_zero_point");
            assertArrayEquals(ref.get("y").toBytes(), s.download(y).toBytes(), what + ": y");
        }
    }

    private static short[] toHalfBits(float[] v) {
        short[] h = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            h[i] = HalfBits.of(v[i]);
        }
        return h;
    }

    @Test
    void randomInputsOfAwkwardLengths() {
        Random r = new Random(11);
        for (int n : new int[] {1, 7, 255, 1000, 4099, 70_001}) {
            float[] v = new float[n];
            float scale = (float) Math.pow(10, r.nextInt(7) - 3);
            float shift = r.nextFloat() * 2 - 1;
            for (int i = 0; i < n; i++) {
                v[i] = (float) (r.nextGaussian() + shift) * scale;
            }
            check("n=" + n, v, false);
        }
    }

    @Test
    void float16InputQuantizesLikeItsFloat32Value() {
        Random r = new Random(5);
        float[] v = new float[3001];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian() * 40;
        }
        check("float16", v, true);
    }

    @Test
    void edgeCases() {
        check("empty", new float[0], false);
        check("all zeros: scale 1, zero point 0", new float[64], false);
        check("all positive: range starts at 0", new float[] {0.5f, 3f, 2f, 1e-3f}, false);
        check("all negative: zero point 255", new float[] {-0.5f, -3f, -2f}, false);
        check("ties round half to even", new float[] {-1f, 254f, 0.5f, 1.5f, 2.5f, 127.5f}, false);
        check("extremes", new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0f, 1e-40f}, false);
        check("huge positive only", new float[] {3e38f, 1f}, false);
        check("denormals only", new float[] {Float.MIN_VALUE, 2 * Float.MIN_VALUE, -Float.MIN_VALUE}, false);
        check("infinity", new float[] {Float.POSITIVE_INFINITY, 1f, -2f}, false);
        check("minus infinity", new float[] {Float.NEGATIVE_INFINITY, 1f, -2f}, false);
        check("NaN among numbers", new float[] {1f, Float.NaN, -3f, 2f, Float.NaN}, false);
    }
}

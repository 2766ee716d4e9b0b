package dev.javelin.kernels.fake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.kernels.AffineGridKernel;
import dev.javelin.kernels.DeviceTensor;
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
 * AffineGrid through the launch path vs ONNX Runtime (opset 20). The kernel rounds like ONNX Runtime's
 * Eigen code, so float32 results must agree to 2 ulp (allowing Eigen a different summation order); float16
 * within one half-precision ulp of ONNX Runtime's float32 result on the same (fp16) theta.
 */
class AffineGridTest {
    private static final Random R = new Random(41);

    @BeforeAll
    static void gpu() {
        FakeGpu.start();
    }

    private static void check(long[] size, boolean align, boolean half) {
        boolean twoD = size.length == 4;
        long[] thetaShape = twoD ? new long[] {size[0], 2, 3} : new long[] {size[0], 3, 4};
        float[] theta = new float[(int) (thetaShape[0] * thetaShape[1] * thetaShape[2])];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) R.nextGaussian();
        }
        HostTensor input;
        if (half) {
            short[] h = new short[theta.length];
            for (int i = 0; i < h.length; i++) {
                h[i] = HalfBits.of(theta[i]);
            }
            input = HostTensor.halves(h, thetaShape);
            theta = input.toFloats();
        } else {
            input = HostTensor.floats(theta, thetaShape);
        }
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("theta", HostTensor.floats(theta, thetaShape));
        in.put("size", HostTensor.longs(size, size.length));
        byte[] model = OnnxModelWriter.op("AffineGrid", 20).input("theta", 1, thetaShape).input("size", 7, size.length)
                .attr("align_corners", align ? 1L : 0L).output("grid", 1).build();
        HostTensor ref = OrtRunner.run(model, in, List.of("grid")).get("grid");
        String what = Arrays.toString(size) + (align ? " align_corners" : "") + (half ? " float16" : "");
        long[] out = AffineGridKernel.outputShape(size);
        assertArrayEquals(ref.shape(), out, what + ": shape");
        float[] got;
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            DeviceTensor grid = s.empty("grid", input.type(), out);
            FakeGpu.run(AffineGridKernel.plan(s.upload("theta", input), size, align, grid));
            got = s.download(grid).toFloats();
        }
        float[] expected = ref.toFloats();
        for (int i = 0; i < got.length; i++) {
            float e = half ? dev.javelin.kernels.testing.Half.toFloat(HalfBits.of(expected[i])) : expected[i];
            float tol = half ? Math.ulp(Math.abs(e)) * 8192 : 2 * Math.ulp(Math.max(Math.abs(e), 1f));  // fp16 ulp = 2^13 float ulps
            assertTrue(Math.abs(got[i] - e) <= tol, what + ": element " + i + " " + got[i] + " vs " + e);
        }
    }

    @Test
    void twoD() {
        for (boolean align : new boolean[] {false, true}) {
            check(new long[] {2, 3, 5, 7}, align, false);
            check(new long[] {1, 1, 16, 16}, align, false);
            check(new long[] {3, 2, 1, 4}, align, false);   // one row
            check(new long[] {1, 1, 1, 1}, align, false);   // one point: ONNX Runtime's 1 aligned, 0 otherwise
            check(new long[] {2, 1, 33, 70}, align, true);
        }
    }

    @Test
    void threeD() {
        for (boolean align : new boolean[] {false, true}) {
            check(new long[] {2, 3, 4, 5, 6}, align, false);
            check(new long[] {1, 1, 1, 3, 1}, align, false);
            check(new long[] {1, 2, 3, 8, 9}, align, true);
        }
    }

    @Test
    void identityThetaGivesTheBaseGrid() {
        // Closed form: with theta = [I | 0] the grid is the normalised coordinates: (2w + 1) / W - 1 without
        // align_corners, -1 + 2w / (W - 1) with it.
        float[] identity = {1, 0, 0, 0, 1, 0};
        for (boolean align : new boolean[] {false, true}) {
            try (FakeGpu.Scope s = new FakeGpu.Scope()) {
                DeviceTensor grid = s.empty("grid", ScalarType.FLOAT, 1, 3, 4, 2);
                FakeGpu.run(AffineGridKernel.plan(s.upload("theta", HostTensor.floats(identity, 1, 2, 3)), new long[] {1, 1, 3, 4}, align,
                        grid));
                float[] g = s.download(grid).toFloats();
                for (int h = 0; h < 3; h++) {
                    for (int w = 0; w < 4; w++) {
                        float x = align ? -1 + 2f * w / 3 : (2f * w + 1) / 4 - 1;
                        float y = align ? -1 + 2f * h / 2 : (2f * h + 1) / 3 - 1;
                        assertEquals(x, g[(h * 4 + w) * 2], 1e-6, "x at " + h + "," + w);
                        assertEquals(y, g[(h * 4 + w) * 2 + 1], 1e-6, "y at " + h + "," + w);
                    }
                }
            }
        }
    }

    @Test
    void emptyOutputLaunchesNothing() {
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            var plan = AffineGridKernel.plan(s.upload("theta", HostTensor.allocate(ScalarType.FLOAT, 2, 2, 3)), new long[] {2, 1, 0, 5},
                    false, s.empty("grid", ScalarType.FLOAT, 2, 0, 5, 2));
            assertTrue(plan.launches().isEmpty());
        }
    }
}

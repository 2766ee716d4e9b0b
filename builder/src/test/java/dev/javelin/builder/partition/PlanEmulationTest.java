package dev.javelin.builder.partition;

import static dev.javelin.builder.partition.PlanHarness.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.plan.EngineSegment;
import dev.javelin.runtime.plan.KernelNode;
import dev.javelin.runtime.plan.PartitionPlan;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * For each op with a Javelin kernel, a model with the op in the middle (ops before and after it) gives the same outputs
 * under the CPU emulation of its partition plan (segments on ONNX Runtime CPU, the kernel on its host build, the
 * intermediates at their arena offsets) as ONNX Runtime on the whole, unsplit model. Integer outputs must be
 * bit-identical; float tolerances are stated per test.
 */
class PlanEmulationTest {
    @TempDir
    Path dir;

    private static final long[] SCALAR = new long[0];

    /** segment, kernel, segment: the plan shape every test below must have. */
    private static void assertSandwich(PartitionPlan plan, String op) {
        assertEquals(3, plan.steps().size(), plan.describe().toString());
        assertInstanceOf(EngineSegment.class, plan.steps().get(0));
        KernelNode k = assertInstanceOf(KernelNode.class, plan.steps().get(1));
        assertEquals(op, k.op());
        assertInstanceOf(EngineSegment.class, plan.steps().get(2));
        assertNotNull(plan.arena(), "inputs are bounded, so the plan has an arena: " + plan.arenaNote());
    }

    @Test
    void dynamicQuantizeLinearInTheMiddleIsBitExact() {
        ModelProto m = OnnxGraphBuilder.graph("dql")
                .input("x", ElementType.FLOAT, 3, 40)
                .initializer(Tensors.floats("w", new long[] {40}, weights(40, 7)))
                .node("Mul").name("pre").inputs("x", "w").outputs("t").add()
                .node("DynamicQuantizeLinear").name("dql").inputs("t").outputs("q", "s", "zp").add()
                .node("Cast").name("qf").inputs("q").outputs("qf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .node("Cast").name("zf").inputs("zp").outputs("zf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .node("Sub").name("centre").inputs("qf", "zf").outputs("d").add()
                .node("Mul").name("dequant").inputs("d", "s").outputs("deq").add()
                .output("q", ElementType.UINT8, 3, 40)
                .output("deq", ElementType.FLOAT, 3, 40)
                .buildModel();
        Path model = PlanHarness.write(dir, "dql", m);
        Random r = new Random(1);
        for (float scale : new float[] {1f, 1e-3f, 300f}) {
            try (Tensor x = PlanHarness.floats(Shape.of(3, 40), r, scale)) {
                // NaN and infinities too: the range skips NaN, which quantizes to 0 (ONNX Runtime's rule).
                x.buffer().asFloatBuffer().put(5, Float.NaN);
                Map<String, Tensor> in = Map.of("x", x);
                Partition p = PlanHarness.partition(model, in, PartitionOptions.defaults(), dir);
                assertSandwich(p.plan(), "DynamicQuantizeLinear");
                try (Result whole = PlanHarness.whole(model, in); Result plan = PlanHarness.emulated(dir, in)) {
                    assertSame(whole, plan, 0, 0);
                }
            }
        }
    }

    @Test
    void matMulIntegerInTheMiddleWithConstantWeightsAndZeroPointsIsBitExact() {
        int m = 5;
        int k = 33;
        int n = 7;
        Random r = new Random(2);
        byte[] b = new byte[k * n];
        r.nextBytes(b);
        ModelProto model = OnnxGraphBuilder.graph("mmi")
                .input("x", ElementType.FLOAT, m, k)
                .initializer(Tensors.floats("qs", SCALAR, 0.05f))
                .initializer(Tensors.raw("qz", ElementType.UINT8, SCALAR, new byte[] {(byte) 131}))
                .initializer(Tensors.raw("B", ElementType.UINT8, new long[] {k, n}, b))
                .initializer(Tensors.raw("azp", ElementType.UINT8, SCALAR, new byte[] {(byte) 131}))
                .initializer(Tensors.raw("bzp", ElementType.UINT8, new long[] {n}, new byte[] {0, 1, (byte) 128, (byte) 255, 7, 9, 100}))
                .initializer(Tensors.floats("bias", new long[] {n}, weights(n, 3)))
                .node("Relu").name("relu").inputs("x").outputs("xr").add()
                .node("QuantizeLinear").name("quant").inputs("xr", "qs", "qz").outputs("xq").add()
                .node("MatMulInteger").name("mmi").inputs("xq", "B", "azp", "bzp").outputs("acc").add()
                .node("Cast").name("accf").inputs("acc").outputs("accf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .node("Add").name("bias_add").inputs("accf", "bias").outputs("y").add()
                .output("acc", ElementType.INT32, m, n)
                .output("y", ElementType.FLOAT, m, n)
                .buildModel();
        Path file = PlanHarness.write(dir, "mmi", model);
        try (Tensor x = PlanHarness.floats(Shape.of(m, k), r, 8f)) {
            Map<String, Tensor> in = Map.of("x", x);
            Partition p = PlanHarness.partition(file, in, PartitionOptions.defaults(), dir);
            assertSandwich(p.plan(), "MatMulInteger");
            KernelNode mmi = p.plan().kernels().get(0);
            assertEquals(List.of("xq", "B", "azp", "bzp"), mmi.inputs());
            assertEquals(3, p.plan().constants().size(), "B and both zero points are constants the kernel reads");
            try (Result whole = PlanHarness.whole(file, in); Result plan = PlanHarness.emulated(dir, in)) {
                assertSame(whole, plan, 0, 0);
            }
        }
    }

    @Test
    void dynamicallyQuantizedMatMulRunsTwoKernelsBetweenTwoSegments() {
        // ONNX Runtime's dynamic quantization pattern: DynamicQuantizeLinear(x) feeds MatMulInteger with int8 weights.
        int k = 24;
        int n = 10;
        Random r = new Random(3);
        byte[] w = new byte[k * n];
        r.nextBytes(w);
        ModelProto model = OnnxGraphBuilder.graph("dyn")
                .input("x", ElementType.FLOAT, 2, 3, k)
                .initializer(Tensors.raw("W", ElementType.INT8, new long[] {k, n}, w))
                .initializer(Tensors.raw("wzp", ElementType.INT8, SCALAR, new byte[] {0}))
                .initializer(Tensors.floats("wscale", SCALAR, 0.02f))
                .node("Tanh").name("pre").inputs("x").outputs("t").add()
                .node("DynamicQuantizeLinear").name("dql").inputs("t").outputs("q", "s", "zp").add()
                .node("MatMulInteger").name("mmi").inputs("q", "W", "zp", "wzp").outputs("acc").add()
                .node("Cast").name("accf").inputs("acc").outputs("accf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .node("Mul").name("scale").inputs("s", "wscale").outputs("sw").add()
                .node("Mul").name("dequant").inputs("accf", "sw").outputs("y").add()
                .output("y", ElementType.FLOAT, 2, 3, n)
                .buildModel();
        Path file = PlanHarness.write(dir, "dyn", model);
        try (Tensor x = PlanHarness.floats(Shape.of(2, 3, k), r, 3f)) {
            Map<String, Tensor> in = Map.of("x", x);
            Partition p = PlanHarness.partition(file, in, PartitionOptions.defaults(), dir);
            assertEquals(4, p.plan().steps().size(), p.plan().describe().toString());
            assertEquals(List.of("DynamicQuantizeLinear", "MatMulInteger"), p.plan().kernels().stream().map(KernelNode::op).toList());
            try (Result whole = PlanHarness.whole(file, in); Result plan = PlanHarness.emulated(dir, in)) {
                // Same integers, and the same float ops after them in the same order: exact.
                assertSame(whole, plan, 0, 0);
            }
        }
    }

    @Test
    void dftInTheMiddleOpset17MatchesWithinTolerance() {
        for (int len : new int[] {16, 12, 1}) {
            ModelProto model = OnnxGraphBuilder.graph("dft17")
                    .input("x", ElementType.FLOAT, 2, len, 1)
                    .initializer(Tensors.floats("g", SCALAR, 1.5f))
                    .initializer(Tensors.int64s("last", new long[] {1}, 2))
                    .node("Mul").name("gain").inputs("x", "g").outputs("xs").add()
                    .node("DFT").name("dft").inputs("xs").outputs("X").attr("axis", 1L).add()
                    .node("Mul").name("power").inputs("X", "X").outputs("p").add()
                    .node("ReduceSum").name("sum").inputs("p", "last").outputs("e").attr("keepdims", 0L).add()
                    .output("X", ElementType.FLOAT, 2, len, 2)
                    .output("e", ElementType.FLOAT, 2, len)
                    .buildModel();
            Path file = PlanHarness.write(dir, "dft17_" + len, model);
            try (Tensor x = PlanHarness.floats(Shape.of(2, len, 1), new Random(len), 1f)) {
                Map<String, Tensor> in = Map.of("x", x);
                Partition p = PlanHarness.partition(file, in, PartitionOptions.defaults(), dir);
                assertSandwich(p.plan(), "DFT");
                try (Result whole = PlanHarness.whole(file, in); Result plan = PlanHarness.emulated(dir, in)) {
                    // Tolerance: 1e-5 of the largest magnitude; the kernel is within 1e-6 (log2 n + 1) of a double
                    // reference (kernels/README.md) and ONNX Runtime's float DFT a little further at these lengths.
                    double scale = maxAbs(whole.get("X").toFloatArray());
                    assertSame(whole, plan, 1e-5, 1e-5 * scale * scale * len);
                    assertTrue(PlanHarness.relativeError(whole, plan, "X") <= 1e-5, "DFT length " + len);
                }
            }
        }
    }

    @Test
    void dftOpset20WithConstantLengthAndAxisFoldsThemIntoTheKernelStep() {
        ModelProto model = OnnxGraphBuilder.graph("dft20")
                .opset("", 20)
                .input("x", ElementType.FLOAT, 3, 10, 2)
                .initializer(Tensors.int64s("len", SCALAR, 16))
                .initializer(Tensors.int64s("axis", SCALAR, -2))
                .node("Neg").name("pre").inputs("x").outputs("xn").add()
                .node("DFT").name("dft").inputs("xn", "len", "axis").outputs("X").attr("onesided", 1L).add()
                .node("Abs").name("post").inputs("X").outputs("a").add()
                .output("a", ElementType.FLOAT, 3, 9, 2)
                .buildModel();
        Path file = PlanHarness.write(dir, "dft20", model);
        try (Tensor x = PlanHarness.floats(Shape.of(3, 10, 2), new Random(20), 2f)) {
            Map<String, Tensor> in = Map.of("x", x);
            Partition p = PlanHarness.partition(file, in, PartitionOptions.defaults(), dir);
            assertSandwich(p.plan(), "DFT");
            KernelNode dft = p.plan().kernels().get(0);
            assertEquals(Map.of("axis", -2L, "dft_length", 16L, "inverse", 0L, "onesided", 1L), dft.attributes());
            assertEquals(List.of("xn"), dft.inputs(), "constant length and axis are folded, not read at run time");
            try (Result whole = PlanHarness.whole(file, in); Result plan = PlanHarness.emulated(dir, in)) {
                assertTrue(PlanHarness.relativeError(whole, plan, "a") <= 1e-5);
                assertSame(whole, plan, 1e-5, 1e-5 * maxAbs(whole.get("a").toFloatArray()));
            }
        }
    }

    @Test
    void affineGridInTheMiddleMatchesWithinFourUlp() {
        for (long align : new long[] {0, 1}) {
            ModelProto model = OnnxGraphBuilder.graph("affine")
                    .opset("", 20)
                    .input("t", ElementType.FLOAT, 2, 6)
                    .initializer(Tensors.int64s("theta_shape", new long[] {3}, 2, 2, 3))
                    .initializer(Tensors.int64s("size", new long[] {4}, 2, 3, 5, 7))
                    .initializer(Tensors.floats("half", SCALAR, 0.5f))
                    .node("Mul").name("pre").inputs("t", "half").outputs("th").add()
                    .node("Reshape").name("to_theta").inputs("th", "theta_shape").outputs("theta").add()
                    .node("AffineGrid").name("grid").inputs("theta", "size").outputs("grid").attr("align_corners", align).add()
                    .node("Sigmoid").name("post").inputs("grid").outputs("g").add()
                    .output("grid", ElementType.FLOAT, 2, 5, 7, 2)
                    .output("g", ElementType.FLOAT, 2, 5, 7, 2)
                    .buildModel();
            Path file = PlanHarness.write(dir, "affine" + align, model);
            try (Tensor t = PlanHarness.floats(Shape.of(2, 6), new Random(4 + align), 2f)) {
                Map<String, Tensor> in = Map.of("t", t);
                Partition p = PlanHarness.partition(file, in, PartitionOptions.defaults(), dir);
                assertSandwich(p.plan(), "AffineGrid");
                assertEquals(List.of(2L, 3L, 5L, 7L), p.plan().kernels().get(0).listAttributes().get("size"));
                try (Result whole = PlanHarness.whole(file, in); Result plan = PlanHarness.emulated(dir, in)) {
                    // 4 ulp: the kernel follows ONNX Runtime's roundings to within 2 ulp (kernels/README.md), and the
                    // Sigmoid after it can at most keep that relative error.
                    assertSame(whole, plan, 4 * Math.ulp(1f), 1e-7);
                }
            }
        }
    }

    @Test
    void uniqueInTheMiddleWithDataDependentLengthIsBitExact() {
        for (long sorted : new long[] {1, 0}) {
            ModelProto model = OnnxGraphBuilder.graph("unique")
                    .input("x", ElementType.FLOAT, 50)
                    .initializer(Tensors.floats("k", SCALAR, 4f))
                    .initializer(Tensors.floats("two", SCALAR, 2f))
                    .node("Mul").name("pre").inputs("x", "k").outputs("xk").add()
                    .node("Round").name("round").inputs("xk").outputs("xr").add()
                    .node("Unique").name("u").inputs("xr").outputs("y", "idx", "inv", "cnt").attr("sorted", sorted).add()
                    .node("Mul").name("post").inputs("y", "two").outputs("y2").add()
                    .node("Cast").name("cntf").inputs("cnt").outputs("cf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                    .node("Mul").name("weighted").inputs("y2", "cf").outputs("w").add()
                    .output("w", ElementType.FLOAT, "U")
                    .output("idx", ElementType.INT64, "U")
                    .output("inv", ElementType.INT64, 50)
                    .output("cnt", ElementType.INT64, "U")
                    .buildModel();
            Path file = PlanHarness.write(dir, "unique" + sorted, model);
            try (Tensor x = PlanHarness.floats(Shape.of(50), new Random(5 + sorted), 2f)) {
                x.buffer().asFloatBuffer().put(7, -0f).put(8, 0f);
                Map<String, Tensor> in = Map.of("x", x);
                Partition p = PlanHarness.partition(file, in, PartitionOptions.defaults(), dir);
                assertSandwich(p.plan(), "Unique");
                assertEquals("unique(u)", p.plan().tensor("y").orElseThrow().shape().get(0).symbol());
                assertEquals(50L * 4, p.plan().tensor("y").orElseThrow().maxBytes(), "U <= 50 elements");
                try (Result whole = PlanHarness.whole(file, in); Result plan = PlanHarness.emulated(dir, in)) {
                    assertTrue(whole.get("w").shape().dim(0) < 50, "the input has duplicates");
                    assertSame(whole, plan, 0, 0);
                }
            }
        }
    }

    private static float[] weights(int n, int seed) {
        Random r = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = r.nextFloat() * 2 - 1;
        }
        return w;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }
}

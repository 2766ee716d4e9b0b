package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Float16;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Fp16Converter} on small generated models. Each converted model is loaded and run by ONNX Runtime CPU
 * (which rejects any type mismatch the rewrite could leave) and compared with the float32 original; the
 * expected float16 error is bounded by a few float16 ulps of the values involved (2^-11 relative).
 */
class Fp16ConverterTest {
    @TempDir
    Path tmp;

    private static final Random RANDOM = new Random(7);

    private static float[] random(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (RANDOM.nextGaussian() * scale);
        }
        return v;
    }

    private static final float[] W = random(32, 0.5f);

    /** x[2,8] -> MatMul(W) -> Add(b) -> Softmax -> Mul(s) -> y. */
    private static OnnxModel chain() {
        return OnnxModel.of(OnnxGraphBuilder.graph("chain")
                .input("x", ElementType.FLOAT, 2, 8)
                .initializer(Tensors.floats("W", new long[] {8, 4}, W))
                .initializer(Tensors.floats("b", new long[] {4}, 0.1f, -0.2f, 0.3f, 0f))
                .initializer(Tensors.floats("s", new long[] {1}, 3f))
                .node("MatMul").name("matmul").inputs("x", "W").outputs("mm").add()
                .node("Add").name("add").inputs("mm", "b").outputs("logits").add()
                .node("Softmax").name("softmax").inputs("logits").outputs("p").attr("axis", -1L).add()
                .node("Mul").name("scale").inputs("p", "s").outputs("y").add()
                .output("y", ElementType.FLOAT, 2, 4)
                .buildModel(), null);
    }

    private static Map<String, Fp16Report.NodeDecision> byNode(Fp16Report r) {
        return r.decisions().stream().collect(Collectors.toMap(Fp16Report.NodeDecision::node, Function.identity()));
    }

    private static Map<String, ElementType> types(OnnxModel m) {
        return Fp16TypeInference.infer(m.proto().getGraph(), m.graph().sortedNodes(), Map.of());
    }

    private static TensorProto initializer(OnnxModel m, String name) {
        return m.proto().getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no initializer " + name));
    }

    @Test
    void chainComputesInFloat16KeepsSoftmaxFloat32AndCastsAtEachBoundary() {
        OnnxModel original = chain();
        Fp16Converter.Converted c = Fp16Converter.convert(original, Fp16Converter.Options.defaults());
        Map<String, Fp16Report.NodeDecision> d = byNode(c.report());
        assertTrue(d.get("matmul").float16() && d.get("add").float16() && d.get("scale").float16(), d.toString());
        assertFalse(d.get("softmax").float16());
        assertEquals(Fp16BlockList.reason("Softmax").orElseThrow(), d.get("softmax").reason());
        assertEquals(0.75, c.report().fractionConverted(), 1e-12);
        // x -> float16 for MatMul, logits -> float32 for Softmax, p -> float16 for Mul, y -> float32 output.
        assertEquals(List.of("x -> float16", "logits -> float32", "p -> float16", "y -> float32"), c.report().casts());
        Map<String, ElementType> t = types(c.model());
        assertEquals(ElementType.FLOAT16, t.get("mm"));
        assertEquals(ElementType.FLOAT, t.get("p"));
        for (String w : List.of("W", "b", "s")) {
            assertEquals(ElementType.FLOAT16.onnx(), initializer(c.model(), w).getDataType(), w);
        }
        assertEquals(3, c.report().weightsConverted());
        assertEquals(4L * (32 + 4 + 1), c.report().floatWeightBytesBefore());
        assertEquals(2L * (32 + 4 + 1), c.report().floatWeightBytesAfter());
        // The model's signature is unchanged: same names, float32.
        GraphProto g = c.model().proto().getGraph();
        assertEquals("x", g.getInput(0).getName());
        assertEquals(ElementType.FLOAT.onnx(), g.getInput(0).getType().getTensorType().getElemType());
        assertEquals("y", g.getOutput(0).getName());
        assertEquals(ElementType.FLOAT.onnx(), g.getOutput(0).getType().getTensorType().getElemType());

        float[] x = random(16, 1f);
        Map<String, Tensor> in = Map.of("x", Tensor.of(x, Shape.of(2, 8)));
        float[] y32 = PrecisionTests.run(original, tmp.resolve("a.onnx"), in, PrecisionTests.CPU).get("y");
        float[] y16 = PrecisionTests.run(PrecisionTests.withFloat16Barriers(c.model()), tmp.resolve("b.onnx"), in,
                PrecisionTests.CPU_AS_WRITTEN).get("y");
        // Outputs are 3 * probabilities (<= 3); float16 rounding of x, W, logits and p: a few 2^-11 relative.
        double err = PrecisionTests.maxAbsDiff(y32, y16);
        assertTrue(err > 0 && err < 3 * 8 * 0x1p-11, "max abs error " + err);
    }

    @Test
    void float16InputsAndOutputsWhenIoTypesAreNotKept() {
        Fp16Converter.Converted c = Fp16Converter.convert(chain(),
                Fp16Converter.Options.builder().keepIoTypes(false).build());
        GraphProto g = c.model().proto().getGraph();
        assertEquals(ElementType.FLOAT16.onnx(), g.getInput(0).getType().getTensorType().getElemType());
        assertEquals(ElementType.FLOAT16.onnx(), g.getOutput(0).getType().getTensorType().getElemType());
        assertEquals(List.of("logits -> float32", "p -> float16"), c.report().casts());
        float[] x = random(16, 1f);
        Map<String, float[]> y32 = PrecisionTests.run(chain(), tmp.resolve("a.onnx"),
                Map.of("x", Tensor.of(x, Shape.of(2, 8))), PrecisionTests.CPU);
        Tensor x16 = Tensor.ofFloat16(x, Shape.of(2, 8));
        assertEquals(DType.FLOAT16, x16.dtype());
        Map<String, float[]> y16 = PrecisionTests.run(c.model(), tmp.resolve("b.onnx"), Map.of("x", x16),
                PrecisionTests.CPU_AS_WRITTEN);
        assertTrue(PrecisionTests.maxAbsDiff(y32.get("y"), y16.get("y")) < 3 * 8 * 0x1p-11);
    }

    /** An input with an initializer as its default: the default takes the input's float16 type. */
    @Test
    void inputDefaultsFollowTheInputType() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("defaults")
                .input("x", ElementType.FLOAT, 2)
                .input("scale", ElementType.FLOAT, 2)
                .initializer(Tensors.floats("scale", new long[] {2}, 3f, 0.5f))
                .node("Mul").name("mul").inputs("x", "scale").outputs("y").add()
                .output("y", ElementType.FLOAT, 2)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.builder().keepIoTypes(false).build());
        assertEquals(ElementType.FLOAT16.onnx(), initializer(c.model(), "scale").getDataType());
        float[] y = PrecisionTests.run(c.model(), tmp.resolve("d.onnx"), Map.of("x", Tensor.of(new float[] {2f, 4f},
                Shape.of(2))), PrecisionTests.CPU_AS_WRITTEN).get("y");
        assertArrayEquals(new float[] {6f, 2f}, y, 0f, "the default is used when 'scale' is not fed");
    }

    @Test
    void blockAndAllowListsOverrideByOperatorTypeAndByNodeName() {
        Map<String, Fp16Report.NodeDecision> allowSoftmax = byNode(Fp16Converter.convert(chain(),
                Fp16Converter.Options.builder().allowOps("Softmax").build()).report());
        assertTrue(allowSoftmax.values().stream().allMatch(Fp16Report.NodeDecision::float16));

        Map<String, Fp16Report.NodeDecision> blockAdd = byNode(Fp16Converter.convert(chain(),
                Fp16Converter.Options.builder().blockOps("Add").blockNodes("matmul").allowNodes("softmax").build())
                .report());
        assertFalse(blockAdd.get("add").float16());
        assertEquals("operator type listed in blockOps", blockAdd.get("add").reason());
        assertFalse(blockAdd.get("matmul").float16());
        assertEquals("node listed in blockNodes", blockAdd.get("matmul").reason());
        assertTrue(blockAdd.get("softmax").float16(), "allowNodes overrides the default block list");
        assertTrue(blockAdd.get("scale").float16());

        assertThrows(IllegalArgumentException.class, () -> Fp16Converter.Options.builder().blockNodes("a")
                .allowNodes("a").build());
        assertThrows(IllegalArgumentException.class, () -> Fp16Converter.Options.builder().autoMargin(0.5).build());
    }

    /**
     * Integer and boolean tensors, and shape inputs in particular, keep their types and values: the model
     * reshapes by a shape computed from Shape/Gather/Concat (int64), selects with Where (bool), and gathers rows
     * with int64 indices.
     */
    @Test
    void integerAndBooleanTensorsAndShapeInputsAreUntouched() {
        OnnxModel original = OnnxModel.of(OnnxGraphBuilder.graph("ints")
                .input("x", ElementType.FLOAT, 2, 6)
                .input("mask", ElementType.BOOL, 2, 6)
                .input("rows", ElementType.INT64, 3)
                .initializer(Tensors.int64s("zero", new long[] {1}, 0))
                .initializer(Tensors.int64s("minus1", new long[] {1}, -1))
                .initializer(Tensors.floats("w", new long[] {6}, 1, 2, 3, 4, 5, 6))
                .node("Shape").inputs("x").outputs("shape").add()
                .node("Gather").inputs("shape", "zero").outputs("batch").attr("axis", 0L).add()
                .node("Concat").inputs("batch", "minus1").outputs("newshape").attr("axis", 0L).add()
                .node("Mul").name("mul").inputs("x", "w").outputs("xw").add()
                .node("Neg").name("neg").inputs("xw").outputs("nxw").add()
                .node("Where").name("where").inputs("mask", "xw", "nxw").outputs("sel").add()
                .node("Reshape").name("reshape").inputs("sel", "newshape").outputs("flat").add()
                .node("Gather").name("rowgather").inputs("flat", "rows").outputs("picked").attr("axis", 0L).add()
                .node("Cast").name("toint").inputs("picked").outputs("ints").attr("to", (long) ElementType.INT64.onnx()).add()
                .output("picked", ElementType.FLOAT, 3, 6)
                .output("ints", ElementType.INT64, 3, 6)
                .output("shape", ElementType.INT64, 2)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(original, Fp16Converter.Options.defaults());
        Map<String, ElementType> before = types(original);
        Map<String, ElementType> after = types(c.model());
        before.forEach((name, type) -> {
            if (type != ElementType.FLOAT) {
                assertEquals(type, after.get(name), "type of non-float tensor '" + name + "'");
            }
        });
        for (String name : List.of("zero", "minus1")) {
            assertEquals(original.proto().getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name))
                    .findFirst().orElseThrow(), initializer(c.model(), name), "int64 initializer " + name);
        }
        NodeProto reshape = c.model().proto().getGraph().getNodeList().stream()
                .filter(n -> n.getName().equals("reshape")).findFirst().orElseThrow();
        assertEquals("newshape", reshape.getInput(1), "the shape input still reads the int64 shape");
        assertEquals(ElementType.FLOAT16, after.get("flat"), "the data path is float16");
        assertEquals(1.0, c.report().fractionConverted());

        float[] x = random(12, 2f);
        byte[] mask = {1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1};
        Map<String, Tensor> in = Map.of("x", Tensor.of(x, Shape.of(2, 6)),
                "mask", Tensor.of(DType.BOOL, mask, Shape.of(2, 6)),
                "rows", Tensor.of(new long[] {1, 0, 1}, Shape.of(3)));
        Map<String, float[]> y32 = PrecisionTests.run(original, tmp.resolve("a.onnx"), in, PrecisionTests.CPU);
        Map<String, float[]> y16 = PrecisionTests.run(c.model(), tmp.resolve("b.onnx"), in, PrecisionTests.CPU_AS_WRITTEN);
        assertArrayEquals(y32.get("shape"), y16.get("shape"));
        // x*w: |values| < 6 * 8 sigma; the float16 product rounds at 2^-11 relative, Cast to int truncates.
        assertTrue(PrecisionTests.maxAbsDiff(y32.get("picked"), y16.get("picked")) < 64 * 0x1p-10);
        assertTrue(PrecisionTests.maxAbsDiff(y32.get("ints"), y16.get("ints")) <= 1);
    }

    /**
     * Float arithmetic on a shape (Shape -> Cast -> Mul -> Cast -> ConstantOfShape) stays float32: in float16
     * 4099 * 1 would already round to 4100.
     */
    @Test
    void floatArithmeticOnShapesStaysFloat32() {
        OnnxModel original = OnnxModel.of(OnnxGraphBuilder.graph("shapes")
                .input("x", ElementType.FLOAT, 1, 4099)
                .initializer(Tensors.floats("one", new long[] {1}, 1f))
                .node("Shape").inputs("x").outputs("s").add()
                .node("Cast").name("tofloat").inputs("s").outputs("sf").attr("to", (long) ElementType.FLOAT.onnx()).add()
                .node("Mul").name("scale").inputs("sf", "one").outputs("sf2").add()
                .node("Cast").name("toint").inputs("sf2").outputs("s2").attr("to", (long) ElementType.INT64.onnx()).add()
                .node("ConstantOfShape").name("zeros").inputs("s2").outputs("z").add()
                .node("Add").name("add").inputs("x", "z").outputs("y").add()
                .output("y", ElementType.FLOAT, 1, null)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(original, Fp16Converter.Options.defaults());
        Map<String, Fp16Report.NodeDecision> d = byNode(c.report());
        assertFalse(d.get("scale").float16());
        assertTrue(d.get("scale").reason().startsWith("float arithmetic on tensor dimensions"), d.get("scale").reason());
        assertFalse(d.get("tofloat").float16(), "its reader is float32");
        assertTrue(d.get("add").float16());
        assertTrue(d.get("zeros").float16(), "ConstantOfShape feeding a float16 Add produces float16 zeros");
        float[] x = random(4099, 1f);
        float[] y = PrecisionTests.run(PrecisionTests.withFloat16Barriers(c.model()), tmp.resolve("b.onnx"),
                Map.of("x", Tensor.of(x, Shape.of(1, 4099))), PrecisionTests.CPU_AS_WRITTEN).get("y");
        assertEquals(4099, y.length, "the shape was computed exactly");
        // With the rounding kept (see withFloat16Barriers), y is x rounded to float16: the Add ran on float16 data.
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float16.toFloat(Float16.fromFloat(x[i])), y[i], 0, "element " + i);
        }
    }

    /**
     * Operator versions whose ONNX type constraints have no float16 stay float32 whatever the options say:
     * CumSum-11 (float16 only from CumSum-14) and Range-11; Resize converts its data but its scales stay
     * tensor(float).
     */
    @Test
    void onnxTypeConstraintsWithoutFloat16AreHonoured() {
        for (long opset : new long[] {11, 14}) {
            OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("cumsum")
                    .input("x", ElementType.FLOAT, 1, 5)
                    .initializer(Tensors.int64s("axis", new long[0], 1))
                    .initializer(Tensors.floats("start", new long[0], 0.5f))
                    .initializer(Tensors.floats("delta", new long[0], 1f))
                    .initializer(Tensors.floats("limit", new long[0], 5.5f))
                    .node("CumSum").name("cumsum").inputs("x", "axis").outputs("cs").add()
                    .node("Range").name("range").inputs("start", "limit", "delta").outputs("r").add()
                    .node("Add").name("add").inputs("cs", "r").outputs("y").add()
                    .output("y", ElementType.FLOAT, 1, 5)
                    .opset("", opset)
                    .buildModel(), null);
            Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.builder()
                    .allowOps("CumSum", "Range").build());
            Map<String, Fp16Report.NodeDecision> d = byNode(c.report());
            assertFalse(d.get("range").float16(), "Range-11 has no float16 (opset " + opset + ")");
            assertTrue(d.get("range").detail().contains("Range-11"), d.get("range").detail());
            assertEquals(opset >= 14, d.get("cumsum").float16(), "CumSum at opset " + opset);
            float[] x = {1, 2, 3, 4, 5};
            float[] y = PrecisionTests.run(c.model(), tmp.resolve("cs" + opset + ".onnx"),
                    Map.of("x", Tensor.of(x, Shape.of(1, 5))), PrecisionTests.CPU_AS_WRITTEN).get("y");
            assertArrayEquals(new float[] {1.5f, 4.5f, 8.5f, 13.5f, 19.5f}, y, 0f);
        }

        OnnxModel resize = OnnxModel.of(OnnxGraphBuilder.graph("resize")
                .input("x", ElementType.FLOAT, 1, 1, 2, 2)
                .initializer(Tensors.floats("roi", new long[] {0}))
                .initializer(Tensors.floats("scales", new long[] {4}, 1, 1, 2, 2))
                .node("Resize").name("resize").inputs("x", "roi", "scales").outputs("y").attr("mode", "nearest").add()
                .output("y", ElementType.FLOAT, 1, 1, 4, 4)
                .opset("", 13)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(resize, Fp16Converter.Options.builder().allowOps("Resize").build());
        assertTrue(byNode(c.report()).get("resize").float16());
        assertEquals(ElementType.FLOAT.onnx(), initializer(c.model(), "scales").getDataType(), "scales is tensor(float)");
        assertEquals(ElementType.FLOAT16.onnx(), initializer(c.model(), "roi").getDataType(), "roi is T2 (float16 allowed)");
        float[] y = PrecisionTests.run(c.model(), tmp.resolve("resize.onnx"),
                Map.of("x", Tensor.of(new float[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2))), PrecisionTests.CPU_AS_WRITTEN).get("y");
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, y, 0f);
    }

    /**
     * A weight float16 cannot hold keeps its reader float32 (BatchNorm variances of 1e7 exist in real models);
     * forced with allowNodes, it is clamped to 65504 instead of becoming infinite. An epsilon that rounds to 0
     * keeps its reader float32 too. A weight read by both precisions is stored twice.
     */
    @Test
    void weightsOutsideFloat16RangeAndSharedWeights() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("weights")
                .input("x", ElementType.FLOAT, 4)
                .initializer(Tensors.floats("big", new long[] {4}, 1e6f, -2e6f, 3f, 4f))
                .initializer(Tensors.floats("eps", new long[] {1}, 1e-12f))
                .initializer(Tensors.floats("shared", new long[] {4}, 0.5f, 0.25f, 2f, 1f))
                .node("Mul").name("mulbig").inputs("x", "big").outputs("ya").add()
                .node("Add").name("addeps").inputs("x", "eps").outputs("b").add()
                .node("Mul").name("mul16").inputs("b", "shared").outputs("c").add()
                .node("Sub").name("sub32").inputs("c", "shared").outputs("yb").add()
                .output("ya", ElementType.FLOAT, 4)
                .output("yb", ElementType.FLOAT, 4)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.builder().blockNodes("sub32").build());
        Map<String, Fp16Report.NodeDecision> d = byNode(c.report());
        assertFalse(d.get("mulbig").float16());
        assertEquals("reads a weight beyond float16's range (|x| > 65504)", d.get("mulbig").reason());
        assertEquals("'big' up to 2000000.0", d.get("mulbig").detail());
        assertFalse(d.get("addeps").float16());
        assertTrue(d.get("addeps").reason().contains("round to 0"), d.get("addeps").reason());
        assertTrue(d.get("mul16").float16());
        assertEquals(1, c.report().weightCopies());
        assertEquals(ElementType.FLOAT.onnx(), initializer(c.model(), "shared").getDataType());
        assertEquals(ElementType.FLOAT16.onnx(), initializer(c.model(), "shared_fp16").getDataType());
        assertEquals(ElementType.FLOAT.onnx(), initializer(c.model(), "big").getDataType());
        assertEquals(0, c.report().valuesClamped());
        Map<String, Tensor> in = Map.of("x", Tensor.of(new float[] {1e-3f, 1e-3f, 1f, 2f}, Shape.of(4)));
        Map<String, float[]> y32 = PrecisionTests.run(m, tmp.resolve("a.onnx"), in, PrecisionTests.CPU);
        Map<String, float[]> y16 = PrecisionTests.run(PrecisionTests.withFloat16Barriers(c.model()), tmp.resolve("b.onnx"),
                in, PrecisionTests.CPU_AS_WRITTEN);
        assertArrayEquals(y32.get("ya"), y16.get("ya"), 0f, "float32 all the way");
        // b = x exactly (the epsilon vanishes in float32 too); c = x16 * shared in float16: 2^-11 relative.
        assertArrayEquals(y32.get("yb"), y16.get("yb"), 1e-3f);

        Fp16Converter.Converted forced = Fp16Converter.convert(m, Fp16Converter.Options.builder()
                .allowNodes("mulbig").blockNodes("sub32").build());
        assertTrue(byNode(forced.report()).get("mulbig").float16());
        assertEquals(2, forced.report().valuesClamped());
        float[] clamped = PrecisionTests.run(forced.model(), tmp.resolve("c.onnx"), in, PrecisionTests.CPU_AS_WRITTEN)
                .get("ya");
        // 1e-3 * 65504 = 65.5 instead of 1000: the documented cost of forcing the node.
        float x16 = Float16.toFloat(Float16.fromFloat(1e-3f));
        assertEquals(65504f * x16, clamped[0], 0.1f);
        assertEquals(-65504f * x16, clamped[1], 0.1f);
    }

    /**
     * A multiplication by a weight beyond float16's range (a spectrogram scaled by 2^20 before log(1 + x), as
     * in Silero VAD) keeps float32 what feeds it (its rounding error would be multiplied by 2^20) and what reads
     * its result up to the Log that brings it back into range; after the Log, float16 again.
     */
    @Test
    void hugeMultipliersKeepTheirInputChainAndTheirResultsFloat32() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("amplifier")
                .input("x", ElementType.FLOAT, 4)
                .initializer(Tensors.floats("half", new long[] {1}, 0.5f))
                .initializer(Tensors.floats("big", new long[] {1}, 1048576f))
                .initializer(Tensors.floats("one", new long[] {1}, 1f))
                .initializer(Tensors.floats("tenth", new long[] {1}, 0.1f))
                .node("Abs").name("abs").inputs("x").outputs("ax").add()
                .node("Mul").name("pre").inputs("ax", "half").outputs("a").add()
                .node("Mul").name("amp").inputs("a", "big").outputs("b").add()
                .node("Add").name("add1").inputs("b", "one").outputs("c").add()
                .node("Log").name("log").inputs("c").outputs("d").add()
                .node("Mul").name("post").inputs("d", "tenth").outputs("y").add()
                .output("y", ElementType.FLOAT, 4)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.defaults());
        Map<String, Fp16Report.NodeDecision> d = byNode(c.report());
        assertEquals("'big' up to 1048576.0", d.get("amp").detail());
        for (String upstream : List.of("abs", "pre")) {
            assertFalse(d.get(upstream).float16(), upstream);
            assertEquals("into 'amp' ('big' up to 1048576.0)", d.get(upstream).detail(), upstream);
        }
        assertFalse(d.get("add1").float16());
        assertEquals("'b' (from weight 'big')", d.get("add1").detail());
        assertFalse(d.get("log").float16());
        assertEquals("'c' (from weight 'big')", d.get("log").detail());
        assertTrue(d.get("post").float16(), "the Log output is back in range");

        float[] x = {1e-6f, 3e-5f, 0.01f, 2f};
        Map<String, Tensor> in = Map.of("x", Tensor.of(x, Shape.of(4)));
        float[] y32 = PrecisionTests.run(m, tmp.resolve("a.onnx"), in, PrecisionTests.CPU).get("y");
        float[] y16 = PrecisionTests.run(PrecisionTests.withFloat16Barriers(c.model()), tmp.resolve("b.onnx"), in,
                PrecisionTests.CPU_AS_WRITTEN).get("y");
        // Only the last Mul is float16: y <= 1.4, so 2^-11 relative.
        assertArrayEquals(y32, y16, 1e-3f);
    }

    /**
     * An If whose branches read a tensor the main graph computes in float16: the bodies stay float32 and read
     * the tensor under its original name, now produced by a Cast back to float32.
     */
    @Test
    void subgraphsStayFloat32AndReadCapturedValuesAsFloat32() {
        GraphProto then = OnnxGraphBuilder.graph("then")
                .node("Add").name("then_add").inputs("t", "one").outputs("r_then").add()
                .output("r_then", ElementType.FLOAT, 3)
                .build();
        GraphProto otherwise = OnnxGraphBuilder.graph("else")
                .node("Sub").name("else_sub").inputs("t", "one").outputs("r_else").add()
                .output("r_else", ElementType.FLOAT, 3)
                .build();
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("if")
                .input("x", ElementType.FLOAT, 3)
                .input("cond", ElementType.BOOL)
                .initializer(Tensors.floats("two", new long[] {1}, 2f))
                .initializer(Tensors.floats("one", new long[] {1}, 1f))
                .node("Mul").name("mul").inputs("x", "two").outputs("t").add()
                .node("Relu").name("relu").inputs("t").outputs("u").add()
                .node("If").name("if").inputs("cond").outputs("r").attr("then_branch", then).attr("else_branch", otherwise).add()
                .node("Add").name("sum").inputs("r", "u").outputs("y").add()
                .output("y", ElementType.FLOAT, 3)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.defaults());
        Map<String, Fp16Report.NodeDecision> d = byNode(c.report());
        assertTrue(d.get("mul").float16() && d.get("relu").float16() && d.get("sum").float16());
        assertFalse(d.get("if").float16());
        assertTrue(d.get("if").reason().startsWith("control flow"), d.get("if").reason());
        assertTrue(c.report().notes().stream().anyMatch(n -> n.contains("bodies stay float32")), c.report().notes().toString());
        GraphProto g = c.model().proto().getGraph();
        NodeProto mul = g.getNodeList().stream().filter(n -> n.getName().equals("mul")).findFirst().orElseThrow();
        assertEquals("t_fp16", mul.getOutput(0), "the float16 producer writes a new name");
        assertTrue(g.getNodeList().stream().anyMatch(n -> n.getOpType().equals("Cast") && n.getOutput(0).equals("t")),
                "a Cast gives the subgraphs their float32 't'");
        assertEquals(ElementType.FLOAT.onnx(), initializer(c.model(), "one").getDataType(), "read inside the bodies");
        for (boolean cond : new boolean[] {true, false}) {
            Map<String, Tensor> in = Map.of("x", Tensor.of(new float[] {1.5f, -2f, 3.25f}, Shape.of(3)),
                    "cond", Tensor.of(DType.BOOL, new byte[] {(byte) (cond ? 1 : 0)}, Shape.scalar()));
            float[] y = PrecisionTests.run(c.model(), tmp.resolve("if.onnx"), in, PrecisionTests.CPU_AS_WRITTEN).get("y");
            float[] expected = cond ? new float[] {7f, -3f, 14f} : new float[] {5f, -5f, 12f};
            assertArrayEquals(expected, y, 0f, "cond " + cond);
        }
    }

    /** Constant nodes (value tensor and value_float) read only by float16 nodes are stored as float16. */
    @Test
    void constantNodesAreConverted() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("constants")
                .input("x", ElementType.FLOAT, 2)
                .node("Constant").name("c1").outputs("k1").attr("value", Tensors.floats("v", new long[] {2}, 1.5f, -0.5f)).add()
                .node("Constant").name("c2").outputs("k2").attr("value_float", 0.25f).add()
                .node("Mul").name("mul").inputs("x", "k1").outputs("a").add()
                .node("Add").name("add").inputs("a", "k2").outputs("y").add()
                .output("y", ElementType.FLOAT, 2)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.defaults());
        assertEquals(2, c.report().weightsConverted());
        for (NodeProto n : c.model().proto().getGraph().getNodeList()) {
            if (n.getOpType().equals("Constant")) {
                assertEquals("value", n.getAttribute(0).getName());
                assertEquals(ElementType.FLOAT16.onnx(), n.getAttribute(0).getT().getDataType(), n.getName());
            }
        }
        float[] y = PrecisionTests.run(c.model(), tmp.resolve("c.onnx"),
                Map.of("x", Tensor.of(new float[] {2f, 4f}, Shape.of(2))), PrecisionTests.CPU_AS_WRITTEN).get("y");
        assertArrayEquals(new float[] {3.25f, -1.75f}, y, 0f);
    }

    /** A custom-domain op stays float32 (its constraints are unknown), and so does what reads its untyped output. */
    @Test
    void customDomainOperatorsAndUnknownTypesStayFloat32() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("contrib")
                .input("x", ElementType.FLOAT, 4)
                .node("Relu").name("relu").inputs("x").outputs("r").add()
                .node("Gelu").domain("com.microsoft").name("gelu").inputs("r").outputs("g").add()
                .node("Neg").name("neg").inputs("g").outputs("y").add()
                .output("y", ElementType.FLOAT, 4)
                .opset("com.microsoft", 1)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.defaults());
        Map<String, Fp16Report.NodeDecision> d = byNode(c.report());
        assertTrue(d.get("relu").float16());
        assertFalse(d.get("gelu").float16());
        assertEquals("domain 'com.microsoft'", d.get("gelu").detail());
        assertFalse(d.get("neg").float16());
        assertEquals("input 'g'", d.get("neg").detail());
        float[] y = PrecisionTests.run(c.model(), tmp.resolve("g.onnx"),
                Map.of("x", Tensor.of(new float[] {-1f, 0.5f, 1f, 2f}, Shape.of(4))), PrecisionTests.CPU_AS_WRITTEN).get("y");
        // -gelu(relu(x)); gelu(0.5) = 0.345731, gelu(1) = 0.841345, gelu(2) = 1.954500; inputs exact in float16.
        assertArrayEquals(new float[] {0f, -0.345731f, -0.841345f, -1.954500f}, y, 1e-5f);
    }

    @Test
    void invalidGraphIsRejectedNamingTheNode() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("bad")
                .input("x", ElementType.FLOAT, 2)
                .node("Add").name("add").inputs("x", "missing").outputs("y").add()
                .output("y", ElementType.FLOAT, 2)
                .buildModel(), null);
        ModelException e = assertThrows(ModelException.class, () -> Fp16Converter.convert(m, Fp16Converter.Options.defaults()));
        assertTrue(e.getMessage().contains("'add'") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void valueInfoFollowsTheNewTypes() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("vi")
                .input("x", ElementType.FLOAT, 2)
                .node("Relu").name("relu").inputs("x").outputs("r").add()
                .node("Exp").name("exp").inputs("r").outputs("y").add()
                .valueInfo("r", ElementType.FLOAT, 2)
                .output("y", ElementType.FLOAT, 2)
                .buildModel(), null);
        Fp16Converter.Converted c = Fp16Converter.convert(m, Fp16Converter.Options.defaults());
        Map<String, Integer> vi = c.model().proto().getGraph().getValueInfoList().stream()
                .collect(Collectors.toMap(ValueInfoProto::getName, v -> v.getType().getTensorType().getElemType()));
        assertEquals(Map.of("r", ElementType.FLOAT16.onnx(), "r_fp32", ElementType.FLOAT.onnx()), vi);
    }
}

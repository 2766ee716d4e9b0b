package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The automatic FP16 mode: the policy on hand-given ranges, then end to end with ranges observed on ORT. */
class Fp16AutoPolicyTest {
    @TempDir
    Path tmp;

    @Test
    void limitIs65504OverTheMargin() {
        assertEquals(16376, new Fp16AutoPolicy(Map.of()).limit(), 0);
        assertEquals(65504, new Fp16AutoPolicy(Map.of(), 1).limit(), 0);
        assertEquals(8188, new Fp16AutoPolicy(Map.of(), 8).limit(), 0);
        assertThrows(IllegalArgumentException.class, () -> new Fp16AutoPolicy(Map.of(), 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Fp16AutoPolicy(Map.of(), Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Fp16AutoPolicy(Map.of(), Double.POSITIVE_INFINITY));
    }

    @Test
    void unsafeTensorsAreThoseAboveTheLimitOrNotFinite() {
        Fp16AutoPolicy p = new Fp16AutoPolicy(Map.of("small", 3.0, "edge", 16376.0, "over", 16377.0, "huge", 1e9,
                "nan", Double.NaN, "inf", Double.POSITIVE_INFINITY));
        assertFalse(p.unsafe("small"));
        assertFalse(p.unsafe("edge"), "the limit itself is safe");
        assertTrue(p.unsafe("over"));
        assertTrue(p.unsafe("nan"));
        assertTrue(p.unsafe("inf"));
        assertFalse(p.unsafe("unseen"), "no evidence, no decision");
        assertFalse(p.observed("unseen"));
        assertEquals(Optional.of("huge"), p.worstUnsafe(List.of("small", "over", "huge", "unseen")));
        assertEquals(Optional.of("nan"), p.worstUnsafe(List.of("huge", "nan", "inf")));
        assertEquals(Optional.empty(), p.worstUnsafe(List.of("small", "edge", "unseen")));
        assertTrue(p.reason().contains("16376") && p.reason().contains("margin 4"), p.reason());
        assertEquals("tensor 'huge' reached |x| = 1.000e+09", p.detail("huge"));
        assertEquals("tensor 'over' reached |x| = 16377", p.detail("over"));
    }

    /** In the converter, exactly the nodes reading or writing an unsafe tensor stay float32. */
    @Test
    void converterKeepsEveryNodeTouchingAnUnsafeTensor() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("chain")
                .input("x", ElementType.FLOAT, 4)
                .initializer(Tensors.floats("k", new long[] {1}, 2f))
                .node("Mul").name("n1").inputs("x", "k").outputs("a").add()
                .node("Mul").name("n2").inputs("a", "a").outputs("b").add()
                .node("Sqrt").name("n3").inputs("b").outputs("c").add()
                .node("Neg").name("n4").inputs("c").outputs("y").add()
                .output("y", ElementType.FLOAT, 4)
                .buildModel(), null);
        Map<String, Fp16Report.NodeDecision> d = decisions(m, Map.of("x", 100.0, "a", 200.0, "b", 40000.0, "c", 200.0));
        assertTrue(d.get("n1").float16());
        assertFalse(d.get("n2").float16());
        assertFalse(d.get("n3").float16());
        assertTrue(d.get("n4").float16());
        assertEquals(new Fp16AutoPolicy(Map.of()).reason(), d.get("n2").reason());
        assertEquals("tensor 'b' reached |x| = 40000", d.get("n3").detail());

        Map<String, Fp16Report.NodeDecision> safe = decisions(m, Map.of("b", 40000.0));
        assertFalse(safe.get("n2").float16(), "ranges may cover only some tensors");
        assertTrue(decisions(m, Map.of("b", 40000.0), 1).get("n2").float16(), "margin 1: 40000 <= 65504");
        assertTrue(Fp16Converter.convert(m, Fp16Converter.Options.builder().autoRanges(Map.of("b", 40000.0))
                .allowNodes("n2").build()).report().decisions().stream()
                .filter(x -> x.node().equals("n2")).findFirst().orElseThrow().float16(), "allowNodes wins");
    }

    private static Map<String, Fp16Report.NodeDecision> decisions(OnnxModel m, Map<String, Double> ranges) {
        return decisions(m, ranges, Fp16AutoPolicy.DEFAULT_MARGIN);
    }

    private static Map<String, Fp16Report.NodeDecision> decisions(OnnxModel m, Map<String, Double> ranges, double margin) {
        return Fp16Converter.convert(m, Fp16Converter.Options.builder().autoRanges(ranges).autoMargin(margin).build())
                .report().decisions().stream().collect(Collectors.toMap(Fp16Report.NodeDecision::node, x -> x));
    }

    /**
     * End to end: y = (300x)^2 * 1e-4 + x has an intermediate up to 9e6 for |x| <= 10, which float16 turns into
     * infinity. Ranges observed by running the float32 model with its intermediates exposed on ONNX Runtime keep
     * the two nodes around it in float32, and the output becomes finite and close to float32; without them it is
     * infinite (with float16 activations kept rounded, as on a GPU).
     */
    @Test
    void observedRangesKeepOverflowingNodesFloat32() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("overflow")
                .input("x", ElementType.FLOAT, 8)
                .initializer(Tensors.floats("k300", new long[] {1}, 300f))
                .initializer(Tensors.floats("k1e-4", new long[] {1}, 1e-4f))
                .node("Mul").name("scale").inputs("x", "k300").outputs("a").add()
                .node("Mul").name("square").inputs("a", "a").outputs("b").add()
                .node("Mul").name("shrink").inputs("b", "k1e-4").outputs("c").add()
                .node("Add").name("add").inputs("c", "x").outputs("y").add()
                .output("y", ElementType.FLOAT, 8)
                .buildModel(), null);
        float[] x = {-10f, -7.5f, -3f, -0.5f, 0.25f, 2f, 6f, 9.75f};
        Map<String, Tensor> sample = Map.of("x", Tensor.of(x, Shape.of(8)));
        Map<String, Double> ranges = PrecisionTests.observeRanges(m, tmp.resolve("probe.onnx"), sample);
        assertEquals(9e6, ranges.get("b"), 1, "(300 * 10)^2");
        assertEquals(3000, ranges.get("a"), 1e-3);

        float[] y32 = PrecisionTests.run(m, tmp.resolve("fp32.onnx"), sample, PrecisionTests.CPU).get("y");
        Fp16Converter.Converted plain = Fp16Converter.convert(m, Fp16Converter.Options.defaults());
        float[] yPlain = PrecisionTests.run(PrecisionTests.withFloat16Barriers(plain.model()), tmp.resolve("plain.onnx"),
                sample, PrecisionTests.CPU_AS_WRITTEN).get("y");
        assertTrue(Float.isInfinite(yPlain[0]), "without ranges the square overflows float16: " + yPlain[0]);

        Fp16Converter.Converted auto = Fp16Converter.convert(m, Fp16Converter.Options.builder().autoRanges(ranges).build());
        assertEquals(List.of("square", "shrink"), auto.report().keptFloat32().stream().map(Fp16Report.NodeDecision::node).toList());
        assertEquals(0.5, auto.report().fractionConverted());
        float[] yAuto = PrecisionTests.run(PrecisionTests.withFloat16Barriers(auto.model()), tmp.resolve("auto.onnx"),
                sample, PrecisionTests.CPU_AS_WRITTEN).get("y");
        for (int i = 0; i < x.length; i++) {
            // a = 300x rounds to float16 (spacing 2 near 3000): relative error <= 2^-11, doubled by the square;
            // c <= 900 rounds again when cast for the float16 Add.
            assertEquals(y32[i], yAuto[i], Math.abs(y32[i]) * 3 * 0x1p-11 + 0.5, "x = " + x[i]);
        }
    }
}

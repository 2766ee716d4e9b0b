package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Where Q/DQ pairs go, on small graphs whose right answer follows from the placement rules. */
class QdqPlacementTest {
    static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % 7 - 3) * 0.1f;
        }
        return v;
    }

    /**
     * x -> Conv1(+bias) -> Relu -> MaxPool -> p; p -> Conv2 -> BatchNormalization -> Add(p) -> GlobalAveragePool
     * -> Flatten -> Gemm(transB=1) -> y, plus a second branch p -> AveragePool -> Conv3 -> z.
     */
    static OnnxModel cnn() {
        return OnnxModel.of(OnnxGraphBuilder.graph("cnn")
                .input("x", ElementType.FLOAT, 1, 2, 8, 8)
                .initializer(Tensors.floats("w1", new long[] {4, 2, 3, 3}, ramp(72)))
                .initializer(Tensors.floats("b1", new long[] {4}, 0.1f, -0.1f, 0.2f, 0f))
                .initializer(Tensors.floats("w2", new long[] {4, 4, 1, 1}, ramp(16)))
                .initializer(Tensors.floats("w3", new long[] {2, 4, 1, 1}, ramp(8)))
                .initializer(Tensors.floats("bn_s", new long[] {4}, 1, 1, 1, 1))
                .initializer(Tensors.floats("bn_b", new long[] {4}, 0, 0, 0, 0))
                .initializer(Tensors.floats("bn_m", new long[] {4}, 0, 0, 0, 0))
                .initializer(Tensors.floats("bn_v", new long[] {4}, 1, 1, 1, 1))
                .initializer(Tensors.floats("wg", new long[] {3, 4}, ramp(12)))
                .initializer(Tensors.floats("bg", new long[] {3}, 0, 0, 0))
                .node("Conv").name("conv1").inputs("x", "w1", "b1").outputs("c1").attr("pads", new long[] {1, 1, 1, 1}).add()
                .node("Relu").name("relu1").inputs("c1").outputs("r1").add()
                .node("MaxPool").name("pool1").inputs("r1").outputs("p").attr("kernel_shape", new long[] {2, 2})
                .attr("strides", new long[] {2, 2}).add()
                .node("Conv").name("conv2").inputs("p", "w2").outputs("c2").add()
                .node("BatchNormalization").name("bn2").inputs("c2", "bn_s", "bn_b", "bn_m", "bn_v").outputs("n2").add()
                .node("Add").name("residual").inputs("n2", "p").outputs("a").add()
                .node("GlobalAveragePool").name("gap").inputs("a").outputs("g").add()
                .node("Flatten").name("flat").inputs("g").outputs("f").add()
                .node("Gemm").name("fc").inputs("f", "wg", "bg").outputs("y").attr("transB", 1L).add()
                .node("AveragePool").name("pool2").inputs("p").outputs("q").attr("kernel_shape", new long[] {2, 2}).add()
                .node("Conv").name("conv3").inputs("q", "w3").outputs("z").add()
                .output("y", ElementType.FLOAT, 1, 3)
                .output("z", ElementType.FLOAT, 1, 2, 3, 3)
                .buildModel(), null);
    }

    private static Map<String, QdqPlacement.Target> byName(QdqPlacement.Plan plan) {
        return plan.targets().stream().collect(Collectors.toMap(QdqPlacement.Target::name, t -> t));
    }

    @Test
    void cnnWeightedOpsResidualAddAndPoolBetweenInt8Ops() {
        QdqPlacement.Plan plan = QdqPlacement.plan(cnn(), List.of());
        Map<String, QdqPlacement.Target> t = byName(plan);
        assertEquals(Set.of("conv1", "conv2", "conv3", "fc", "residual", "pool2"), t.keySet());
        assertEquals(new QdqPlacement.WeightInput(0, 1, "w1", 0), t.get("conv1").weight());
        assertEquals("x", t.get("conv1").activations().get(0).tensor());
        assertEquals("p", t.get("conv2").activations().get(0).tensor());
        // Gemm with transB=1 stores W as [N, K]: output channels are rows, axis 0.
        assertEquals(0, t.get("fc").weight().axis());
        assertEquals("f", t.get("fc").activations().get(0).tensor());
        // The residual Add: n2 comes from conv2 through BatchNormalization, so the other input p gets the pair.
        assertEquals(List.of(new QdqPlacement.ActivationInput(5, 1, "p")), t.get("residual").activations());
        assertNull(t.get("residual").weight());
        // AveragePool feeds only conv3's quantized input: its input is quantized; MaxPool feeds conv2 and the Add
        // (two readers) and GlobalAveragePool feeds Flatten (float): both stay float.
        assertEquals("p", t.get("pool2").activations().get(0).tensor());
        assertEquals(Set.of("x", "p", "f", "q"), plan.activations());
        assertTrue(plan.skipped().isEmpty(), plan.skipped().toString());
    }

    @Test
    void matMulWeightAxesAndAttentionStyleMatMulsStayFloat() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("mm")
                .input("x", ElementType.FLOAT, "b", 4)
                .input("k", ElementType.FLOAT, 4, "t")
                .initializer(Tensors.floats("wb", new long[] {4, 6}, ramp(24)))
                .initializer(Tensors.floats("wa", new long[] {5, 2}, ramp(10)))
                .initializer(Tensors.floats("wt", new long[] {6, 4}, ramp(24)))
                .initializer(Tensors.floats("wg", new long[] {6, 3}, ramp(18)))
                .node("MatMul").name("dense").inputs("x", "wb").outputs("h").add()       // weight is B: axis 1
                .node("MatMul").name("scores").inputs("x", "k").outputs("s").add()       // two activations
                .node("Transpose").name("tr").inputs("wt").outputs("wt_t").add()
                .node("MatMul").name("folded").inputs("x", "wt_t").outputs("h2").add()   // weight from constants
                .node("Gemm").name("gemm").inputs("h", "wg").outputs("g").add()          // transB=0: axis 1
                .node("Reshape").name("rs").inputs("s", "shape").outputs("s2").add()
                .node("MatMul").name("left").inputs("wa", "s2").outputs("l").add()       // weight is A: axis 0
                .initializer(Tensors.int64s("shape", new long[] {2}, 2, -1))
                .output("g", ElementType.FLOAT, "b", 3)
                .output("h2", ElementType.FLOAT, "b", 6)
                .output("l", ElementType.FLOAT, 5, null)
                .buildModel(), null);
        QdqPlacement.Plan plan = QdqPlacement.plan(m, List.of());
        Map<String, QdqPlacement.Target> t = byName(plan);
        assertEquals(Set.of("dense", "gemm", "left"), t.keySet());
        assertEquals(1, t.get("dense").weight().axis());
        assertEquals(1, t.get("gemm").weight().axis());
        assertEquals(new QdqPlacement.WeightInput(6, 0, "wa", 0), t.get("left").weight());
        assertEquals(List.of(new QdqPlacement.ActivationInput(6, 1, "s2")), t.get("left").activations());
        Map<String, String> why = plan.skipped().stream()
                .collect(Collectors.toMap(QdqPlacement.Skipped::name, QdqPlacement.Skipped::reason));
        assertTrue(why.get("scores").contains("both inputs are activations"), why.toString());
        assertTrue(why.get("folded").contains("computed from constants"), why.toString());
    }

    @Test
    void exclusionsByNameAndOpTypeAndTyposAreErrors() {
        QdqPlacement.Plan byName = QdqPlacement.plan(cnn(), List.of("conv2"));
        assertTrue(byName(byName).keySet().stream().noneMatch(n -> n.equals("conv2")));
        // Without conv2 quantized, the Add has no quantized Conv beside it: no residual pair either.
        assertTrue(!byName(byName).containsKey("residual"));
        assertEquals("excluded", byName.skipped().get(0).reason());
        QdqPlacement.Plan byOp = QdqPlacement.plan(cnn(), List.of("Conv"));
        assertEquals(Set.of("fc"), byName(byOp).keySet());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QdqPlacement.plan(cnn(), List.of("conv9", "Gemm")));
        assertTrue(e.getMessage().contains("conv9") && !e.getMessage().contains("Gemm"), e.getMessage());
    }

    @Test
    void keepOnlyDropsTargetsWithoutScales() {
        QdqPlacement.Plan plan = QdqPlacement.plan(cnn(), List.of()).keepOnly(t -> !t.equals("p"), "no scale for");
        // p feeds conv2, the residual Add and pool2: all three stay float.
        assertEquals(Set.of("conv1", "conv3", "fc"), byName(plan).keySet());
        assertEquals(Set.of("conv2", "residual", "pool2"), plan.skipped().stream().map(QdqPlacement.Skipped::name)
                .collect(Collectors.toSet()));
        assertTrue(plan.skipped().get(0).reason().endsWith("no scale for: p"), plan.skipped().toString());
    }
}

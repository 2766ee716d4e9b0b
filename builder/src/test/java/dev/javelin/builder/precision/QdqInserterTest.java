package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Q/DQ rewrite: weight quantization by hand, graph structure, and ONNX Runtime against a Java reference. */
class QdqInserterTest {
    @TempDir
    Path dir;

    @Test
    void perChannelWeightsByHand() {
        // [[1, -2.54, 0.3], [0, 0, 0]]: row amax 2.54 -> scale 0.02 -> 50, -127, 15; an all-zero row gets scale 1.
        TensorProto w = Tensors.floats("w", new long[] {2, 3}, 1f, -2.54f, 0.3f, 0f, 0f, 0f);
        QdqInserter.QuantizedWeight rows = QdqInserter.quantize(w, Tensors.rawBytes(w, null), 0);
        assertArrayEquals(new float[] {2.54f / 127, 1f}, rows.scales());
        assertArrayEquals(new byte[] {50, -127, 15, 0, 0, 0}, rows.values());
        // Per column: amax 1, 2.54, 0.3 -> every column's largest value maps to +-127.
        QdqInserter.QuantizedWeight cols = QdqInserter.quantize(w, Tensors.rawBytes(w, null), 1);
        assertArrayEquals(new float[] {1f / 127, 2.54f / 127, 0.3f / 127}, cols.scales());
        assertArrayEquals(new byte[] {127, -127, 127, 0, 0, 0}, cols.values());
    }

    static final float[] W1 = {0.5f, -0.25f, 0.1f, 0.9f, 0.3f, -0.7f, -0.05f, 0.2f, 0.6f, 0.45f, -0.8f, 0.15f};
    static final float[] W2 = {1f, 2f, -3f, 4f, 0.5f, -0.5f, 0.25f, 0.125f};
    static final float[] B1 = {0.1f, -0.2f, 0.3f};

    /** x[2,4] feeds two MatMuls: y1 = x @ W1[4,3] + b1, y2 = x @ W2[4,2]. */
    static OnnxModel twoDense(long opset) {
        return OnnxModel.of(OnnxGraphBuilder.graph("dense")
                .input("x", ElementType.FLOAT, "n", 4)
                .initializer(Tensors.floats("w1", new long[] {4, 3}, W1))
                .initializer(Tensors.floats("b1", new long[] {3}, B1))
                .initializer(Tensors.floats("w2", new long[] {4, 2}, W2))
                .node("MatMul").name("mm1").inputs("x", "w1").outputs("h1").add()
                .node("Add").name("bias1").inputs("h1", "b1").outputs("y1").add()
                .node("MatMul").name("mm2").inputs("x", "w2").outputs("y2").add()
                .output("y1", ElementType.FLOAT, "n", 3)
                .output("y2", ElementType.FLOAT, "n", 2)
                .opset("", opset)
                .buildModel(), null);
    }

    /** ONNX QuantizeLinear then DequantizeLinear with zero point 0: round half to even, saturate to int8. */
    static float fakeQuant(float x, float scale) {
        double q = Math.rint(x / scale);
        return (float) (Math.max(-128, Math.min(127, q)) * scale);
    }

    static float[] matmul(float[] a, float[] b, int n, int k, int m) {
        float[] out = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int t = 0; t < k; t++) {
                    s += (double) a[i * k + t] * b[t * m + j];
                }
                out[i * m + j] = (float) s;
            }
        }
        return out;
    }

    static float[] dequantizedColumns(float[] w, int k, int m) {
        float[] amax = new float[m];
        for (int i = 0; i < k * m; i++) {
            amax[i % m] = Math.max(amax[i % m], Math.abs(w[i]));
        }
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            float s = amax[i % m] / 127;
            out[i] = (float) (Math.max(-127, Math.min(127, Math.rint(w[i] / s))) * s);
        }
        return out;
    }

    @Test
    void onnxRuntimeRunsTheRewriteAsTheQdqArithmeticSays() throws Exception {
        OnnxModel model = twoDense(17);
        QdqPlacement.Plan plan = QdqPlacement.plan(model, List.of());
        double amaxX = 1.0; // x reaches 1.3 below: those values saturate at 127 * scale
        QdqInserter.Outcome out = QdqInserter.apply(model, plan, Map.of("x", amaxX));
        assertEquals(Map.of("MatMul", 2), out.report().quantizedNodes());
        assertEquals(2, out.report().activationPairs());
        assertEquals(2, out.report().weights());

        GraphProto g = out.model().proto().getGraph();
        Map<String, Long> ops = g.getNodeList().stream().collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));
        assertEquals(2L, ops.get("QuantizeLinear"), "one pair per consumer of x");
        assertEquals(4L, ops.get("DequantizeLinear"), "two activation DQs and two weight DQs");
        List<String> qScales = g.getNodeList().stream().filter(n -> n.getOpType().equals("QuantizeLinear"))
                .map(n -> n.getInput(1)).toList();
        assertTrue(!qScales.get(0).equals(qScales.get(1)), "each pair has its own scale initializer: " + qScales);
        TensorProto scale = g.getInitializerList().stream().filter(t -> t.getName().equals(qScales.get(0))).findFirst().orElseThrow();
        assertEquals((float) (amaxX / 127), Tensors.toFloats(Tensors.rawBytes(scale, null))[0]);
        NodeProto wdq = g.getNodeList().stream().filter(n -> n.getOpType().equals("DequantizeLinear")
                && n.getInput(0).startsWith("w1")).findFirst().orElseThrow();
        AttributeProto axis = wdq.getAttributeList().get(0);
        assertEquals("axis", axis.getName());
        assertEquals(1, axis.getI(), "MatMul weight [K, N]: per column");
        assertTrue(g.getInitializerList().stream().noneMatch(t -> t.getName().equals("w1") || t.getName().equals("w2")),
                "the float weights are gone");
        TensorProto w1q = g.getInitializerList().stream().filter(t -> t.getName().equals("w1_quantized")).findFirst().orElseThrow();
        assertEquals(ElementType.INT8.onnx(), w1q.getDataType());

        float[] x = {0.3f, -1.3f, 0.77f, 0.01f, 1.3f, 0.5f, -0.42f, -0.999f};
        float sx = (float) (amaxX / 127);
        float[] xq = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xq[i] = fakeQuant(x[i], sx);
        }
        float[] want1 = matmul(xq, dequantizedColumns(W1, 4, 3), 2, 4, 3);
        for (int i = 0; i < want1.length; i++) {
            want1[i] += B1[i % 3];
        }
        float[] want2 = matmul(xq, dequantizedColumns(W2, 4, 2), 2, 4, 2);

        Path file = out.model().write(dir.resolve("q.onnx")).file().orElseThrow();
        try (Session s = Session.open(file, SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build());
             Tensor in = Tensor.of(x, Shape.of(2, 4));
             Result r = s.run(Map.of("x", in))) {
            // Integer GEMM accumulates exactly; only the float rescale and bias add round: 1e-5.
            assertArrayEquals(want1, r.get("y1").toFloatArray(), 1e-5f);
            assertArrayEquals(want2, r.get("y2").toFloatArray(), 1e-5f);
        }
    }

    @Test
    void refusesOldOpsetsAndMissingScales() {
        OnnxModel old = twoDense(12);
        ModelException e = assertThrows(ModelException.class,
                () -> QdqInserter.apply(old, QdqPlacement.plan(old, List.of()), Map.of("x", 1.0)));
        assertTrue(e.getMessage().contains("opset 12") && e.getMessage().contains("13"), e.getMessage());
        OnnxModel m = twoDense(17);
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> QdqInserter.apply(m, QdqPlacement.plan(m, List.of()), Map.of()));
        assertTrue(a.getMessage().contains("'x'"), a.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> QdqInserter.apply(m, QdqPlacement.plan(m, List.of()), Map.of("x", Double.NaN)));
    }
}

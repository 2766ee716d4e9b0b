package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opset 11 -> 13 and Constant lifting: ONNX Runtime runs the original with its opset-11 kernels, which is the
 * reference the rewritten model must match.
 */
class OpsetUpgradeTest {
    @TempDir
    Path dir;

    /**
     * x[2,3,4]: Softmax(axis 1: over 12 values per row), LogSoftmax(default axis 1), Hardmax(axis -1, unchanged),
     * Unsqueeze(axes [0]) -> Squeeze(axes [0]), ReduceSum(axes [2], keepdims 0), Split(axis 2, split [1, 3]),
     * Dropout(ratio 0.3), and an If whose then-branch squeezes with an axes attribute.
     */
    static OnnxModel opset11() {
        GraphProto thenBranch = OnnxGraphBuilder.graph("then")
                .node("Unsqueeze").name("then_unsq").inputs("x").outputs("t1").attr("axes", new long[] {0}).add()
                .node("Squeeze").name("then_sq").inputs("t1").outputs("t2").attr("axes", new long[] {0}).add()
                .output("t2", ElementType.FLOAT, 2, 3, 4)
                .build();
        GraphProto elseBranch = OnnxGraphBuilder.graph("else")
                .node("Neg").name("else_neg").inputs("x").outputs("e1").add()
                .output("e1", ElementType.FLOAT, 2, 3, 4)
                .build();
        return OnnxModel.of(OnnxGraphBuilder.graph("old")
                .input("x", ElementType.FLOAT, 2, 3, 4)
                .input("cond", ElementType.BOOL)
                .node("Softmax").name("sm").inputs("x").outputs("sm").attr("axis", 1L).add()
                .node("LogSoftmax").name("lsm").inputs("x").outputs("lsm").add()
                .node("Hardmax").name("hm").inputs("x").outputs("hm").attr("axis", -1L).add()
                .node("Unsqueeze").name("unsq").inputs("x").outputs("u").attr("axes", new long[] {0}).add()
                .node("Squeeze").name("sq").inputs("u").outputs("s").attr("axes", new long[] {0}).add()
                .node("ReduceSum").name("rs").inputs("s").outputs("r").attr("axes", new long[] {2}).attr("keepdims", 0L).add()
                .node("Split").name("split").inputs("x").outputs("p1", "p2").attr("axis", 2L).attr("split", new long[] {1, 3}).add()
                .node("Dropout").name("drop").inputs("x").outputs("d").attr("ratio", 0.3f).add()
                .node("If").name("branch").inputs("cond").outputs("b").attr("then_branch", thenBranch)
                .attr("else_branch", elseBranch).add()
                .output("sm", ElementType.FLOAT, 2, 3, 4)
                .output("lsm", ElementType.FLOAT, 2, 3, 4)
                .output("hm", ElementType.FLOAT, 2, 3, 4)
                .output("r", ElementType.FLOAT, 2, 3)
                .output("p1", ElementType.FLOAT, 2, 3, 1)
                .output("p2", ElementType.FLOAT, 2, 3, 3)
                .output("d", ElementType.FLOAT, 2, 3, 4)
                .output("b", ElementType.FLOAT, 2, 3, 4)
                .opset("", 11)
                .buildModel(), null);
    }

    private Map<String, float[]> run(OnnxModel m, String file) {
        Path p = m.write(dir.resolve(file)).file().orElseThrow();
        float[] x = new float[24];
        for (int i = 0; i < 24; i++) {
            x[i] = (float) Math.sin(i * 1.7) * 3;
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Session s = Session.open(p, SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build());
             Tensor tx = Tensor.of(x, Shape.of(2, 3, 4));
             Tensor cond = Tensor.of(dev.javelin.runtime.DType.BOOL, new byte[] {1}, Shape.scalar());
             Result r = s.run(Map.of("x", tx, "cond", cond))) {
            r.asMap().forEach((k, v) -> out.put(k, v.toFloatArray()));
        }
        return out;
    }

    @Test
    void upgradedModelComputesWhatTheOpset11ModelComputed() {
        OnnxModel old = opset11();
        OpsetUpgrade.Outcome up = OpsetUpgrade.to13(old);
        assertEquals(11, up.from());
        assertEquals(13, up.model().defaultOpset());
        // Softmax and LogSoftmax (axis 1), Unsqueeze, Squeeze, ReduceSum, Split, Dropout, and the branch's two nodes.
        assertEquals(9, up.rewritten().size(), up.rewritten().toString());
        GraphProto g = up.model().proto().getGraph();
        for (NodeProto n : g.getNodeList()) {
            assertTrue(n.getAttributeList().stream().noneMatch(a -> a.getName().equals("axes") || a.getName().equals("split")
                    || a.getName().equals("ratio")), "attribute left on " + n.getName());
        }
        assertTrue(g.getNodeList().stream().anyMatch(n -> n.getOpType().equals("Flatten")));
        Map<String, float[]> want = run(old, "old.onnx");
        Map<String, float[]> got = run(up.model(), "new.onnx");
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(v, got.get(k), 1e-6f, k));
    }

    @Test
    void modernModelsPassThroughAndOldOnesAreRefused() {
        OnnxModel modern = OnnxModel.of(OnnxGraphBuilder.graph("m").input("x", ElementType.FLOAT, 2)
                .node("Relu").inputs("x").outputs("y").add().output("y", ElementType.FLOAT, 2).opset("", 17).buildModel(), null);
        OpsetUpgrade.Outcome same = OpsetUpgrade.to13(modern);
        assertSame(modern, same.model());
        assertFalse(same.changed());
        OnnxModel ancient = OnnxModel.of(modern.proto().toBuilder().setOpsetImport(0,
                modern.proto().getOpsetImport(0).toBuilder().setVersion(9)).build(), null);
        ModelException e = assertThrows(ModelException.class, () -> OpsetUpgrade.to13(ancient));
        assertTrue(e.getMessage().contains("opset 9"), e.getMessage());
    }

    @Test
    void constantsBecomeInitializersExceptOutputsAndStrings() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("c")
                .input("x", ElementType.FLOAT, 3)
                .node("Constant").name("w").outputs("w").attr("value", Tensors.floats("", new long[] {3}, 1, 2, 3)).add()
                .node("Constant").name("k").outputs("k").attr("value_float", 0.5f).add()
                .node("Constant").name("shape").outputs("shape").attr("value_ints", new long[] {3}).add()
                .node("Constant").name("out").outputs("c_out").attr("value", Tensors.floats("", new long[] {1}, 7)).add()
                .node("Mul").inputs("x", "w").outputs("xw").add()
                .node("Mul").inputs("xw", "k").outputs("xk").add()
                .node("Reshape").inputs("xk", "shape").outputs("y").add()
                .output("y", ElementType.FLOAT, 3)
                .output("c_out", ElementType.FLOAT, 1)
                .buildModel(), null);
        LiftConstants.Outcome out = LiftConstants.apply(m);
        assertEquals(3, out.lifted());
        GraphProto g = out.model().proto().getGraph();
        assertEquals(List.of("w", "k", "shape"), g.getInitializerList().stream().map(t -> t.getName()).toList());
        assertEquals(1, g.getNodeList().stream().filter(n -> n.getOpType().equals("Constant")).count(), "the output stays");
        Path p = out.model().write(dir.resolve("lifted.onnx")).file().orElseThrow();
        try (Session s = Session.open(p, SessionOptions.builder().backend(BackendKind.CPU).build());
             Tensor x = Tensor.of(new float[] {2, 4, 6}, Shape.of(3));
             Result r = s.run(Map.of("x", x))) {
            assertArrayEquals(new float[] {1, 4, 9}, r.get("y").toFloatArray());
            assertArrayEquals(new float[] {7}, r.get("c_out").toFloatArray());
        }
        assertEquals(0, LiftConstants.apply(out.model()).lifted(), "nothing left to lift");
    }
}

package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadNodeRemovalTest {
    @TempDir
    Path tmp;

    /**
     * Live: y = If(c, Relu(x) * w_then, -x). Dead: Neg -> Abs (nothing reads 'a'), an unused initializer, and inside
     * the then-branch a Sigmoid nobody reads, which was the only reader of the outer initializer 'only_dead'.
     */
    @Test
    void removesDeadNodesInitializersAndDeadBranchNodesAndKeepsOutputs() {
        GraphProto thenB = OnnxGraphBuilder.graph("then").output("t", ElementType.FLOAT, 4)
                .initializer(Tensors.floats("w_then", new long[] {1}, 3f))
                .node("Relu").inputs("x").outputs("rx").add()
                .node("Mul").inputs("rx", "w_then").outputs("t").add()
                .node("Sigmoid").name("dead_in_branch").inputs("only_dead").outputs("sg").add()
                .build();
        GraphProto elseB = OnnxGraphBuilder.graph("else").output("e", ElementType.FLOAT, 4)
                .node("Neg").inputs("x").outputs("e").add().build();
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 4).input("c", ElementType.BOOL)
                .output("y", ElementType.FLOAT, 4)
                .initializer(Tensors.floats("unused", new long[] {2}, 1f, 2f))
                .initializer(Tensors.floats("only_dead", new long[] {4}, 1f, 2f, 3f, 4f))
                .node("Neg").name("dead1").inputs("x").outputs("n").add()
                .node("Abs").name("dead2").inputs("n").outputs("a").add()
                .node("If").name("sel").inputs("c").outputs("y").attr("then_branch", thenB).attr("else_branch", elseB).add()
                .buildModel(), null);
        DeadNodeRemoval.Outcome o = DeadNodeRemoval.apply(m);
        assertEquals(3, o.report().nodesRemoved());
        assertEquals(2, o.report().initializersRemoved());
        assertEquals(List.of("'dead1' (Neg)", "'dead2' (Abs)"), o.report().removed());
        GraphProto g = o.model().proto().getGraph();
        assertEquals(List.of("If"), g.getNodeList().stream().map(NodeProto::getOpType).toList());
        assertEquals(List.of(), g.getInitializerList().stream().map(TensorProto::getName).toList());
        GraphProto then = g.getNode(0).getAttribute(0).getG();
        assertEquals(List.of("Relu", "Mul"), then.getNodeList().stream().map(NodeProto::getOpType).toList());
        o.model().validate();

        for (boolean c : new boolean[] {true, false}) {
            try (Tensor x = Tensor.of(new float[] {-1f, 0.5f, 2f, -3f}, Shape.of(4));
                 Tensor ct = Tensor.of(DType.BOOL, new byte[] {(byte) (c ? 1 : 0)}, Shape.scalar())) {
                Map<String, Tensor> in = Map.of("x", x, "c", ct);
                byte[] before = OrtRun.raw(m, tmp, in).get("y");
                byte[] after = OrtRun.raw(o.model(), tmp, in).get("y");
                assertArrayEquals(before, after);
                assertArrayEquals(c ? new float[] {0f, 1.5f, 6f, 0f} : new float[] {1f, -0.5f, -2f, 3f}, OrtRun.toFloats(after));
            }
        }
    }

    @Test
    void liveGraphIsUnchanged() {
        OnnxModel vad = OnnxModel.load(ModelFiles.sileroVad());
        DeadNodeRemoval.Outcome o = DeadNodeRemoval.apply(vad);
        assertEquals(0, o.report().nodesRemoved());
        assertEquals(vad.proto(), o.model().proto());
    }
}

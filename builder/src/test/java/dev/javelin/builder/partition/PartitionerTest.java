package dev.javelin.builder.partition;

import dev.javelin.builder.legalize.Prefer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.plan.ArenaSlot;
import dev.javelin.runtime.plan.EngineSegment;
import dev.javelin.runtime.plan.KernelNode;
import dev.javelin.runtime.plan.PartitionPlan;
import dev.javelin.runtime.plan.PlanStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How models are split: maximal segments, control flow kept whole, clear errors, the REWRITE/KERNELS choice. */
class PartitionerTest {
    @TempDir
    Path dir;

    private static final long FLOAT = ElementType.FLOAT.onnx();

    private Partition partition(ModelProto m, PartitionOptions o) {
        return Partitioner.partition(OnnxModel.of(m, null), o);
    }

    private static List<String> kinds(PartitionPlan p) {
        return p.steps().stream().map(s -> s instanceof EngineSegment ? "S" : ((KernelNode) s).op()).toList();
    }

    @Test
    void aKernelWithoutPredecessorsRunsFirstSoItsConsumersShareOneSegmentWithTheRest() {
        // Taking every ready TensorRT node first would give Relu | DQL | Cast+Add: two segments. One suffices.
        ModelProto m = OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 4, 8)
                .node("DynamicQuantizeLinear").name("dql").inputs("x").outputs("q", "s", "z").add()
                .node("Relu").name("relu").inputs("x").outputs("r").add()
                .node("Cast").name("cast").inputs("q").outputs("qf").attr("to", FLOAT).add()
                .node("Add").name("add").inputs("qf", "r").outputs("y").add()
                .output("y", ElementType.FLOAT, 4, 8)
                .buildModel();
        PartitionPlan p = partition(m, PartitionOptions.defaults()).plan();
        assertEquals(List.of("DynamicQuantizeLinear", "S"), kinds(p));
        assertEquals(List.of("relu", "cast", "add"), ((EngineSegment) p.steps().get(1)).nodes());
        assertEquals(List.of("x", "q"), p.steps().get(1).inputs());
    }

    @Test
    void aSegmentOfDeadNodesIsDropped() {
        ModelProto m = OnnxGraphBuilder.graph("dead")
                .input("x", ElementType.FLOAT, 4)
                .node("DynamicQuantizeLinear").name("dql").inputs("x").outputs("q", "s", "z").add()
                .node("Cast").name("unused").inputs("q").outputs("qf").attr("to", FLOAT).add()
                .output("q", ElementType.UINT8, 4)
                .buildModel();
        PartitionPlan p = partition(m, PartitionOptions.defaults().withInputShapes(Map.of("x", new long[] {4}))).plan();
        assertEquals(List.of("DynamicQuantizeLinear"), kinds(p));
    }

    /** x -> Relu -> DQL -> Cast -> Tanh -> DQL -> Cast -> Add(., Sigmoid(x) * c) -> y. */
    private static ModelProto chain() {
        return OnnxGraphBuilder.graph("chain")
                .input("x", ElementType.FLOAT, 3, 16)
                .initializer(Tensors.floats("c", new long[] {16}, new float[16]))
                .initializer(Tensors.floats("late", new long[] {1}, 0.5f))
                .node("Relu").name("a").inputs("x").outputs("ra").add()
                .node("DynamicQuantizeLinear").name("k1").inputs("ra").outputs("q1", "s1", "z1").add()
                .node("Cast").name("b").inputs("q1").outputs("f1").attr("to", FLOAT).add()
                .node("Tanh").name("b2").inputs("f1").outputs("t1").add()
                .node("DynamicQuantizeLinear").name("k2").inputs("t1").outputs("q2", "s2", "z2").add()
                .node("Cast").name("c2").inputs("q2").outputs("f2").attr("to", FLOAT).add()
                .node("Sigmoid").name("side").inputs("x").outputs("d").add()
                .node("Mul").name("side2").inputs("d", "c").outputs("dc").add()
                .node("Add").name("join").inputs("f2", "dc").outputs("j").add()
                .node("Mul").name("scale").inputs("j", "late").outputs("y").add()
                .output("y", ElementType.FLOAT, 3, 16)
                .buildModel();
    }

    @Test
    void segmentsAreAsFewAsThePathsAllowAndTheSideBranchRidesInTheFirst() {
        Partition part = partition(chain(), PartitionOptions.defaults());
        PartitionPlan p = part.plan();
        // Three runs of TensorRT nodes separated by kernels on the path x -> y: three segments is the minimum.
        assertEquals(List.of("S", "DynamicQuantizeLinear", "S", "DynamicQuantizeLinear", "S"), kinds(p));
        EngineSegment first = (EngineSegment) p.steps().get(0);
        EngineSegment last = (EngineSegment) p.steps().get(4);
        assertEquals(List.of("a", "side", "side2"), first.nodes());
        assertEquals(List.of("ra", "dc"), first.outputs());
        assertEquals(List.of("q2", "dc"), last.inputs());
        assertEquals(List.of("y"), last.outputs());
        // dc crosses from step 0 to step 4: its arena slot lives that long and no slot live meanwhile overlaps it.
        ArenaSlot dc = p.arena().slot("dc").orElseThrow();
        assertEquals(0, dc.firstStep());
        assertEquals(4, dc.lastStep());
        // Unused kernel outputs (s1, z1, s2, z2) and the workspaces live during their own step only.
        assertEquals(1, p.arena().slot("s1").orElseThrow().lastStep());
        assertEquals(3, p.arena().slot("kernel-1/workspace").orElseThrow().firstStep());

        // Each segment model holds exactly its nodes, its crossing inputs/outputs and the initializers it reads.
        ModelProto s0 = part.segmentModels().get("segment-0.onnx");
        ModelProto s2 = part.segmentModels().get("segment-2.onnx");
        assertEquals(List.of("x"), s0.getGraph().getInputList().stream().map(v -> v.getName()).toList());
        assertEquals(List.of("c"), s0.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
        assertEquals(List.of("late"), s2.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
        assertEquals(ElementType.UINT8.onnx(), s2.getGraph().getInput(0).getType().getTensorType().getElemType(), "q2 is uint8");
        Path written = part.write(dir);
        for (EngineSegment s : p.segments()) {
            OnnxModel.load(dir.resolve(s.model())).validate();
        }
        assertEquals(p, PartitionPlan.read(written));
    }

    @Test
    void controlFlowIsKeptWholeInASegment() {
        GraphProto then = OnnxGraphBuilder.graph("then")
                .node("Relu").name("t_relu").inputs("x").outputs("tb").add()
                .output("tb", ElementType.FLOAT, 2, 8)
                .build();
        GraphProto otherwise = OnnxGraphBuilder.graph("else")
                .node("Neg").name("e_neg").inputs("x").outputs("eb").add()
                .output("eb", ElementType.FLOAT, 2, 8)
                .build();
        ModelProto m = OnnxGraphBuilder.graph("cf")
                .input("x", ElementType.FLOAT, 2, 8)
                .input("flag", ElementType.BOOL)
                .node("If").name("branch").inputs("flag").outputs("v").attr("then_branch", then).attr("else_branch", otherwise).add()
                .node("DynamicQuantizeLinear").name("dql").inputs("v").outputs("q", "s", "z").add()
                .node("Cast").name("cast").inputs("q").outputs("y").attr("to", FLOAT).add()
                .output("y", ElementType.FLOAT, 2, 8)
                .buildModel();
        Partition part = partition(m, PartitionOptions.defaults());
        assertEquals(List.of("S", "DynamicQuantizeLinear", "S"), kinds(part.plan()));
        NodeProto kept = part.segmentModels().get("segment-0.onnx").getGraph().getNode(0);
        assertArrayEquals(m.getGraph().getNode(0).toByteArray(), kept.toByteArray(), "the If node and its branches are untouched");
        // Its captured outer name x is an input of the segment.
        assertEquals(Set.of("x", "flag"), Set.copyOf(part.plan().steps().get(0).inputs()));

        Path model = PlanHarness.write(dir, "cf", m);
        for (boolean flag : new boolean[] {true, false}) {
            try (Tensor x = PlanHarness.floats(Shape.of(2, 8), new Random(9), 1f);
                 Tensor f = Tensor.of(dev.javelin.runtime.DType.BOOL, new byte[] {(byte) (flag ? 1 : 0)}, Shape.scalar())) {
                Map<String, Tensor> in = Map.of("x", x, "flag", f);
                PlanHarness.partition(model, in, PartitionOptions.defaults(), dir);
                try (Result whole = PlanHarness.whole(model, in); Result plan = PlanHarness.emulated(dir, in)) {
                    PlanHarness.assertSame(whole, plan, 0, 0);
                }
            }
        }
    }

    @Test
    void aKernelOpInsideIfOrLoopMakesThatNodeUnplannableWithTheReason() {
        GraphProto then = OnnxGraphBuilder.graph("then")
                .node("Unique").name("inner_unique").inputs("x").outputs("u").add()
                .output("u", ElementType.FLOAT, "U")
                .build();
        GraphProto otherwise = OnnxGraphBuilder.graph("else")
                .node("Identity").name("e_id").inputs("x").outputs("e").add()
                .output("e", ElementType.FLOAT, 8)
                .build();
        GraphProto body = OnnxGraphBuilder.graph("body")
                .input("i", ElementType.INT64)
                .input("cond_in", ElementType.BOOL)
                .input("acc", ElementType.FLOAT, 8)
                .node("Identity").name("keep").inputs("cond_in").outputs("cond_out").add()
                .node("DynamicQuantizeLinear").name("inner_dql").inputs("acc").outputs("q", "s", "z").add()
                .node("Cast").name("back").inputs("q").outputs("acc_out").attr("to", FLOAT).add()
                .output("cond_out", ElementType.BOOL)
                .output("acc_out", ElementType.FLOAT, 8)
                .build();
        ModelProto m = OnnxGraphBuilder.graph("cf")
                .input("x", ElementType.FLOAT, 8)
                .input("flag", ElementType.BOOL)
                .input("trips", ElementType.INT64)
                .node("If").name("maybe_unique").inputs("flag").outputs("v").attr("then_branch", then).attr("else_branch", otherwise).add()
                .node("Loop").name("requantize").inputs("trips", "flag", "x").outputs("looped").attr("body", body).add()
                .output("v", ElementType.FLOAT, "V")
                .output("looped", ElementType.FLOAT, 8)
                .buildModel();
        ModelException e = assertThrows(ModelException.class, () -> partition(m, PartitionOptions.defaults()));
        assertTrue(e.getMessage().contains("2 node(s) cannot be planned"), e.getMessage());
        assertTrue(e.getMessage().contains("'maybe_unique' (If) cannot be planned: control flow is never split"), e.getMessage());
        assertTrue(e.getMessage().contains("'inner_unique' (Unique)"), e.getMessage());
        assertTrue(e.getMessage().contains("'requantize' (Loop)"), e.getMessage());
        assertTrue(e.getMessage().contains("'inner_dql' (DynamicQuantizeLinear)") && e.getMessage().contains("needs a Javelin kernel"),
                e.getMessage());
    }

    @Test
    void opsNeitherTensorRtNorAKernelRunsFailThePlanNamingEveryNode() {
        ModelProto m = OnnxGraphBuilder.graph("bad")
                .input("a", ElementType.UINT8, 4)
                .input("b", ElementType.UINT8, 4)
                .input("x", ElementType.FLOAT, 3, 3)
                .input("u", ElementType.FLOAT, 2, 5)
                .node("BitShift").name("shift").inputs("a", "b").outputs("c").attr("direction", "LEFT").add()
                .node("Det").name("det").inputs("x").outputs("d").add()
                .node("Unique").name("rows").inputs("u").outputs("ru").attr("axis", 0L).add()
                .node("Relu").name("fine").inputs("x").outputs("r").add()
                .output("c", ElementType.UINT8, 4)
                .output("d", ElementType.FLOAT)
                .output("ru", ElementType.FLOAT, "R", 5)
                .output("r", ElementType.FLOAT, 3, 3)
                .buildModel();
        ModelException e = assertThrows(ModelException.class, () -> partition(m, PartitionOptions.defaults()));
        String msg = e.getMessage();
        assertTrue(msg.contains("3 node(s) cannot be planned"), msg);
        assertTrue(msg.contains("'shift' (BitShift): TensorRT 10.15 cannot build it"), msg);
        assertTrue(msg.contains("'det' (Det)") && msg.contains("Javelin has no kernel for it"), msg);
        assertTrue(msg.contains("'rows' (Unique)") && msg.contains("does not take attribute 'axis'"), msg);
        assertTrue(!msg.contains("'fine'"), msg);
    }

    /** DynamicQuantizeLinear feeding MatMulInteger: both have a kernel and (in the op table) a rewrite. */
    private static ModelProto dynamicQuant() {
        return OnnxGraphBuilder.graph("dq")
                .input("x", ElementType.FLOAT, 2, 4)
                .initializer(Tensors.raw("W", ElementType.UINT8, new long[] {4, 3}, new byte[12]))
                .node("DynamicQuantizeLinear").name("dql").inputs("x").outputs("q", "s", "z").add()
                .node("MatMulInteger").name("mmi").inputs("q", "W", "z").outputs("acc").add()
                .output("acc", ElementType.INT32, 2, 3)
                .buildModel();
    }

    @Test
    void preferRewriteKeepsRewritableOpsInTheSegmentAndPreferKernelsSplits() {
        Set<String> rewrites = Set.of("DynamicQuantizeLinear", "MatMulInteger");
        assertEquals(rewrites, Set.copyOf(PartitionOptions.rewritesInOpTable().stream().filter(rewrites::contains).toList()));
        PartitionPlan rewrite = partition(dynamicQuant(), PartitionOptions.defaults().withPrefer(Prefer.REWRITE).withRewritable(rewrites)).plan();
        assertEquals(List.of("S"), kinds(rewrite));
        assertEquals("rewrite", rewrite.prefer());
        assertEquals(List.of("dql", "mmi"), rewrite.segments().get(0).rewrites(), "the plan says which nodes await a rewrite");
        PartitionPlan kernels = partition(dynamicQuant(), PartitionOptions.defaults().withPrefer(Prefer.KERNELS).withRewritable(rewrites)).plan();
        assertEquals(List.of("DynamicQuantizeLinear", "MatMulInteger"), kinds(kernels));
        // Nothing left to run in a segment: a plan of kernels only; the weight is a constant.
        assertEquals(List.of("W"), kernels.constants().stream().map(c -> c.name()).toList());
        // Preferring rewrites with none available still takes the kernels.
        assertEquals(List.of("DynamicQuantizeLinear", "MatMulInteger"),
                kinds(partition(dynamicQuant(), PartitionOptions.defaults().withPrefer(Prefer.REWRITE)).plan()));
    }

    @Test
    void anOpWithoutAKernelStaysInItsSegmentWhenTheLegalizerRewritesIt() {
        ModelProto m = OnnxGraphBuilder.graph("ci")
                .input("x", ElementType.UINT8, 1, 1, 5, 5)
                .initializer(Tensors.raw("w", ElementType.UINT8, new long[] {1, 1, 3, 3}, new byte[9]))
                .node("ConvInteger").name("conv").inputs("x", "w").outputs("y").add()
                .output("y", ElementType.INT32, 1, 1, 3, 3)
                .buildModel();
        ModelException e = assertThrows(ModelException.class, () -> partition(m, PartitionOptions.defaults()));
        assertTrue(e.getMessage().contains("'conv' (ConvInteger)") && e.getMessage().contains("no rewrite is available"),
                e.getMessage());
        PartitionPlan p = partition(m, PartitionOptions.defaults().withRewritable(Set.of("ConvInteger"))).plan();
        assertEquals(List.of("S"), kinds(p));
        assertEquals(List.of("conv"), p.segments().get(0).rewrites());
    }

    @Test
    void withoutBoundsThereIsNoArenaAndTheEmulationAllocatesPerTensor() {
        ModelProto m = OnnxGraphBuilder.graph("dyn")
                .input("x", ElementType.FLOAT, "n", 6)
                .node("Relu").name("relu").inputs("x").outputs("r").add()
                .node("DynamicQuantizeLinear").name("dql").inputs("r").outputs("q", "s", "z").add()
                .node("Cast").name("cast").inputs("q").outputs("y").attr("to", FLOAT).add()
                .output("y", ElementType.FLOAT, "n", 6)
                .buildModel();
        Path model = PlanHarness.write(dir, "dyn", m);
        Partition unbounded = Partitioner.partition(OnnxModel.load(model), PartitionOptions.defaults());
        assertNull(unbounded.plan().arena());
        assertTrue(unbounded.plan().arenaNote().contains("x [n, 6]"), unbounded.plan().arenaNote());
        assertEquals("n", unbounded.plan().tensor("r").orElseThrow().shape().get(0).symbol(), "symbolic shapes are kept");
        unbounded.write(dir.resolve("plan"));
        try (Tensor x = PlanHarness.floats(Shape.of(5, 6), new Random(6), 1f)) {
            Map<String, Tensor> in = Map.of("x", x);
            try (Result whole = PlanHarness.whole(model, in); Result plan = PlanHarness.emulated(dir, in)) {
                PlanHarness.assertSame(whole, plan, 0, 0);
            }
        }
        // With a bound for n, the arena is planned for n = 8; n = 5 fits, n = 9 is refused by name.
        Partition bounded = Partitioner.partition(OnnxModel.load(model), PartitionOptions.defaults().withDimBounds(Map.of("n", 8L)));
        assertNotNull(bounded.plan().arena());
        assertEquals(8L * 6 * 4, bounded.plan().tensor("r").orElseThrow().maxBytes());
        bounded.write(dir.resolve("plan"));
        try (Tensor x = PlanHarness.floats(Shape.of(5, 6), new Random(7), 1f); Tensor big = PlanHarness.floats(Shape.of(9, 6), new Random(8), 1f)) {
            try (Result whole = PlanHarness.whole(model, Map.of("x", x)); Result plan = PlanHarness.emulated(dir, Map.of("x", x))) {
                PlanHarness.assertSame(whole, plan, 0, 0);
            }
            InvalidInputException tooBig = assertThrows(InvalidInputException.class, () -> PlanHarness.emulated(dir, Map.of("x", big)));
            assertEquals("x", tooBig.tensor());
        }
    }

    @Test
    void everyStepOfAWrittenPlanReadsOnlyWhatEarlierStepsProvide() throws Exception {
        Path file = partition(chain(), PartitionOptions.defaults()).write(dir);
        PartitionPlan p = PartitionPlan.read(file);
        java.util.Set<String> have = new java.util.HashSet<>(p.inputs());
        for (PlanStep s : p.steps()) {
            for (String in : s.inputs()) {
                assertTrue(in.isEmpty() || have.contains(in) || p.constants().stream().anyMatch(c -> c.name().equals(in)), in);
            }
            have.addAll(s.outputs());
        }
        assertTrue(Files.readString(file).contains("\"kind\" : \"kernel\""));
        assertInstanceOf(KernelNode.class, p.steps().get(1));
    }
}

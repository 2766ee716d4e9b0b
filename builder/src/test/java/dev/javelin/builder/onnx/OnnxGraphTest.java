package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.ModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Topological order, producers/consumers, and the graph errors: cycles, dangling names, double producers. */
class OnnxGraphTest {
    @TempDir
    Path tmp;

    /** a -> relu -> b; b,w -> add -> c; c -> neg -> d; b,d -> mul -> y */
    private static OnnxGraphBuilder diamond() {
        return OnnxGraphBuilder.graph("diamond")
                .input("a", ElementType.FLOAT, 4)
                .initializer(Tensors.floats("w", new long[] {4}, 1, 2, 3, 4))
                .node("Relu").name("relu").inputs("a").outputs("b").add()
                .node("Add").name("add").inputs("b", "w").outputs("c").add()
                .node("Neg").name("neg").inputs("c").outputs("d").add()
                .node("Mul").name("mul").inputs("b", "d").outputs("y").add()
                .output("y", ElementType.FLOAT, 4);
    }

    private static List<String> names(OnnxGraph g, List<Integer> order) {
        return order.stream().map(i -> g.nodes().get(i).getName()).toList();
    }

    @Test
    void producersAndConsumers() {
        OnnxGraph g = OnnxGraph.of(diamond().build());
        assertEquals(Map.of("b", 0, "c", 1, "d", 2, "y", 3), g.producers());
        Map<String, List<Integer>> c = g.consumers();
        assertEquals(List.of(1, 3), c.get("b"));
        assertEquals(List.of(1), c.get("w"));
        assertEquals(List.of(0), c.get("a"));
        assertEquals(List.of(3), c.get("d"));
        assertEquals(null, c.get("y"));
        assertEquals(Set.of("a", "w"), g.sourceNames());
    }

    @Test
    void topologicalOrderOfShuffledGraphRespectsEveryEdge() {
        GraphProto sorted = diamond().build();
        Random rnd = new Random(42);
        for (int trial = 0; trial < 20; trial++) {
            List<NodeProto> nodes = new ArrayList<>(sorted.getNodeList());
            Collections.shuffle(nodes, rnd);
            OnnxGraph g = OnnxGraph.of(sorted.toBuilder().clearNode().addAllNode(nodes).build());
            List<String> order = names(g, g.topologicalOrder());
            // The diamond has exactly one valid order.
            assertEquals(List.of("relu", "add", "neg", "mul"), order, "shuffle " + nodes.stream().map(NodeProto::getName).toList());
        }
    }

    @Test
    void alreadySortedGraphKeepsFileOrder() {
        // Two independent chains: any interleaving is valid; the file order must be kept.
        OnnxGraph g = OnnxGraph.of(OnnxGraphBuilder.graph("g").input("x", ElementType.FLOAT, 1)
                .node("Neg").name("n1").inputs("x").outputs("p").add()
                .node("Relu").name("r1").inputs("x").outputs("q").add()
                .node("Neg").name("n2").inputs("p").outputs("p2").add()
                .node("Relu").name("r2").inputs("q").outputs("q2").add()
                .build());
        assertEquals(List.of(0, 1, 2, 3), g.topologicalOrder());
    }

    @Test
    void cycleIsReportedWithItsNodes() throws Exception {
        // relu reads 'd', which neg produces from add's output, which reads relu's output: a 3-cycle.
        ModelProto m = OnnxGraphBuilder.graph("cyclic")
                .input("a", ElementType.FLOAT, 4)
                .node("Relu").name("relu").inputs("d").outputs("b").add()
                .node("Add").name("add").inputs("b", "a").outputs("c").add()
                .node("Neg").name("neg").inputs("c").outputs("d").add()
                .node("Identity").name("out").inputs("c").outputs("y").add()
                .output("y", ElementType.FLOAT, 4)
                .buildModel();
        Path p = tmp.resolve("cyclic.onnx");
        Files.write(p, m.toByteArray());
        OnnxModel model = OnnxModel.load(p); // decodes fine: a cycle is a graph error, not a format error
        ModelException e = assertThrows(ModelException.class, model::validate);
        String msg = e.getMessage();
        assertTrue(msg.contains(p.toString()) && msg.contains("graph 'cyclic' has a cycle"), msg);
        assertTrue(msg.contains("'relu' (Relu) -> 'add' (Add) -> 'neg' (Neg) -> 'relu' (Relu)"), msg);
        assertTrue(msg.contains("4 node(s) cannot be scheduled"), msg);
    }

    @Test
    void selfLoopIsACycle() {
        OnnxGraph g = OnnxGraph.of(OnnxGraphBuilder.graph("g").input("a", ElementType.FLOAT, 1)
                .node("Add").inputs("a", "s").outputs("s").add().build());
        ModelException e = assertThrows(ModelException.class, g::topologicalOrder);
        assertTrue(e.getMessage().contains("#0 (Add) -> #0 (Add)"), e.getMessage());
    }

    @Test
    void danglingInputNamesNodeAndTensor() {
        ModelProto m = diamond().node("Sub").name("sub").inputs("y", "ghost").outputs("z").add().buildModel();
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.of(m, null).validate());
        assertTrue(e.getMessage().contains("node 'sub' (Sub) reads tensor 'ghost'")
                && e.getMessage().contains("dangling"), e.getMessage());
    }

    @Test
    void danglingGraphOutputIsNamed() {
        ModelProto m = diamond().output("nowhere", ElementType.FLOAT, 4).buildModel();
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.of(m, null).validate());
        assertTrue(e.getMessage().contains("output 'nowhere'"), e.getMessage());
    }

    @Test
    void danglingNameInsideSubgraphNamesThePath() {
        GraphProto thenBranch = OnnxGraphBuilder.graph("then")
                .node("Identity").name("inner").inputs("missing").outputs("t").add()
                .output("t", ElementType.FLOAT, 4).build();
        GraphProto elseBranch = OnnxGraphBuilder.graph("else")
                .node("Identity").name("inner2").inputs("a").outputs("e").add()
                .output("e", ElementType.FLOAT, 4).build();
        ModelProto m = OnnxGraphBuilder.graph("main")
                .input("a", ElementType.FLOAT, 4).input("cond", ElementType.BOOL)
                .node("If").name("branch").inputs("cond").outputs("y")
                .attr("then_branch", thenBranch).attr("else_branch", elseBranch).add()
                .output("y", ElementType.FLOAT, 4).buildModel();
        ModelException e = assertThrows(ModelException.class, () -> OnnxModel.of(m, null).validate());
        // The outer graph sees it first, as a name the If's subgraph uses.
        assertTrue(e.getMessage().contains("node 'branch' (If) uses tensor 'missing' inside its subgraph"), e.getMessage());

        // Checked on the subgraph itself, the message points inside.
        OnnxGraph then = OnnxGraph.of(m.getGraph()).subgraphs(0).get(0);
        assertEquals("main/branch.then_branch", then.path());
        ModelException inner = assertThrows(ModelException.class, then::topologicalOrder);
        assertTrue(inner.getMessage().contains("graph 'main/branch.then_branch': node 'inner' (Identity) reads tensor 'missing'"),
                inner.getMessage());
    }

    @Test
    void subgraphCapturesOrderTheOuterGraph() {
        // The If is written first but its branch reads 'late', produced by a node written after it.
        GraphProto thenBranch = OnnxGraphBuilder.graph("then")
                .node("Identity").inputs("late").outputs("t").add().output("t", ElementType.FLOAT, 1).build();
        GraphProto elseBranch = OnnxGraphBuilder.graph("else")
                .node("Identity").inputs("a").outputs("e").add().output("e", ElementType.FLOAT, 1).build();
        OnnxGraph g = OnnxGraph.of(OnnxGraphBuilder.graph("main")
                .input("a", ElementType.FLOAT, 1).input("cond", ElementType.BOOL)
                .node("If").name("if").inputs("cond").outputs("y")
                .attr("then_branch", thenBranch).attr("else_branch", elseBranch).add()
                .node("Neg").name("producer").inputs("a").outputs("late").add()
                .output("y", ElementType.FLOAT, 1).build());
        assertEquals(Set.of("late", "a"), g.implicitInputs(0));
        assertEquals(List.of(0), g.consumers().get("late"));
        assertEquals(List.of("producer", "if"), names(g, g.topologicalOrder()));
        g.validate();
    }

    @Test
    void twoProducersOfOneNameAreNamed() {
        OnnxGraph g = OnnxGraph.of(OnnxGraphBuilder.graph("g").input("a", ElementType.FLOAT, 1)
                .node("Neg").name("first").inputs("a").outputs("t").add()
                .node("Relu").name("second").inputs("a").outputs("t").add().build());
        ModelException e = assertThrows(ModelException.class, g::producers);
        assertTrue(e.getMessage().contains("tensor 't' is produced by both node 'first' (Neg) and node 'second' (Relu)"),
                e.getMessage());
        OnnxGraph overwrite = OnnxGraph.of(OnnxGraphBuilder.graph("g").input("a", ElementType.FLOAT, 1)
                .node("Neg").name("clobber").inputs("a").outputs("a").add().build());
        assertThrows(ModelException.class, overwrite::producers);
    }

    @Test
    void optionalEmptyInputsAreNotDangling() {
        // Clip(x, "", max): the empty name omits the optional 'min' input.
        OnnxGraph g = OnnxGraph.of(OnnxGraphBuilder.graph("g").input("x", ElementType.FLOAT, 3)
                .initializer(Tensors.floats("max", new long[] {}, 6f))
                .node("Clip").inputs("x", "", "max").outputs("y").add()
                .output("y", ElementType.FLOAT, 3).build());
        g.validate();
        assertEquals(List.of(0), g.topologicalOrder());
    }

    @Test
    void realModelsAreValidAndAlreadySorted() {
        for (Path p : List.of(ModelFiles.sileroVad(), ModelFiles.ppocrDet(), ModelFiles.miniLm())) {
            OnnxModel m = OnnxModel.load(p);
            m.validate();
            OnnxGraph g = m.graph();
            List<Integer> order = g.topologicalOrder();
            // Exporters write nodes in order; a stable sort must not move any of them.
            List<Integer> identity = new ArrayList<>();
            for (int i = 0; i < g.nodes().size(); i++) {
                identity.add(i);
            }
            assertEquals(identity, order, p.toString());
        }
    }

    @Test
    void sileroIfBranchesCaptureOuterTensors() {
        OnnxGraph g = OnnxModel.load(ModelFiles.sileroVad()).graph();
        // Top level: Equal(sr, const) -> Cast? -> If. The If's branches read the model inputs from the outer scope.
        int ifIndex = -1;
        for (int i = 0; i < g.nodes().size(); i++) {
            if (g.nodes().get(i).getOpType().equals("If")) {
                ifIndex = i;
            }
        }
        Set<String> captured = g.implicitInputs(ifIndex);
        assertTrue(captured.containsAll(Set.of("input", "h", "c")), captured.toString());
        Map<String, Integer> depth = new HashMap<>();
        ModelWalk.forEachGraph(g.proto(), 0, (sub, d) -> depth.merge("d" + d, 1, Integer::sum));
        // 1 main graph, 2 branches of the top If, 16 nested branches (8 nested Ifs) - see ModelSummaryTest.
        assertEquals(Map.of("d0", 1, "d1", 2, "d2", 16), depth);
    }
}

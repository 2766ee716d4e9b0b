package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes what cannot affect a graph output (ONNX in, ONNX out): nodes none of whose outputs reaches a graph
 * output, directly or through other nodes or through the subgraphs of a live node, then initializers and
 * {@code value_info} entries nothing live refers to any more. Graph inputs always stay (they are the model's
 * signature), and so do initializers that give an input its default value.
 *
 * <p>Subgraphs ({@code If} branches, {@code Loop}/{@code Scan} bodies) are cleaned first, with their own
 * outputs as the roots, so an outer value read only by a dead node inside a branch dies too.
 */
public final class DeadNodeRemoval {
    private DeadNodeRemoval() {
    }

    /**
     * What the pass removed.
     *
     * @param nodesRemoved        nodes removed, subgraphs included
     * @param initializersRemoved initializers removed, subgraphs included
     * @param removed             the removed top-level nodes, as {@code 'name' (Op)}
     */
    public record Report(int nodesRemoved, int initializersRemoved, List<String> removed) {
        public Report {
            removed = List.copyOf(removed);
        }
    }

    /** The cleaned model and what was removed. */
    public record Outcome(OnnxModel model, Report report) {
    }

    /** Removes dead nodes and unused initializers from the main graph and every subgraph. */
    public static Outcome apply(OnnxModel model) {
        Counts counts = new Counts();
        GraphProto cleaned = clean(model.graph(), true, counts);
        ModelProto out = model.proto().toBuilder().setGraph(cleaned).build();
        return new Outcome(model.withProto(out), new Report(counts.nodes, counts.initializers, counts.topLevel));
    }

    /**
     * Removes dead top-level nodes, unused initializers and stale {@code value_info} from {@code gb} in place,
     * leaving subgraphs as they are (passes that only changed the top level use this).
     *
     * @return the number of nodes removed
     */
    public static int pruneTopLevel(GraphProto.Builder gb) {
        Counts counts = new Counts();
        GraphProto cleaned = clean(OnnxGraph.of(gb.build()), false, counts);
        gb.clear().mergeFrom(cleaned);
        return counts.nodes;
    }

    private static final class Counts {
        int nodes;
        int initializers;
        List<String> topLevel = new ArrayList<>();
        int depth;
    }

    private static GraphProto clean(OnnxGraph graph, boolean subgraphs, Counts counts) {
        GraphProto g = graph.proto();
        GraphProto.Builder gb = g.toBuilder();
        if (subgraphs) {
            counts.depth++;
            for (int i = 0; i < gb.getNodeCount(); i++) {
                NodeProto n = gb.getNode(i);
                if (n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
                    gb.setNode(i, cleanSubgraphs(n, graph.subgraphs(i), counts));
                }
            }
            counts.depth--;
            g = gb.build();
        }
        // A subgraph's view keeps its outer scope, so its topological order accepts the names it captures.
        OnnxGraph view = graph.withProto(g);
        Set<String> live = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) {
            live.add(o.getName());
        }
        List<NodeProto> nodes = g.getNodeList();
        boolean[] keep = new boolean[nodes.size()];
        // Reverse topological order: every reader of a node's outputs is decided before the node.
        List<Integer> order = view.topologicalOrder();
        for (int k = order.size() - 1; k >= 0; k--) {
            int i = order.get(k);
            for (String o : nodes.get(i).getOutputList()) {
                if (!o.isEmpty() && live.contains(o)) {
                    keep[i] = true;
                }
            }
            if (keep[i]) {
                live.addAll(view.reads(i));
            }
        }
        gb.clearNode();
        for (int i = 0; i < nodes.size(); i++) {
            if (keep[i]) {
                gb.addNode(nodes.get(i));
            } else {
                counts.nodes++;
                if (counts.depth == 0) {
                    counts.topLevel.add(OnnxGraph.describe(nodes.get(i), i));
                }
            }
        }
        Set<String> inputs = new HashSet<>();
        g.getInputList().forEach(v -> inputs.add(v.getName()));
        gb.clearInitializer();
        for (TensorProto t : g.getInitializerList()) {
            if (live.contains(t.getName()) || inputs.contains(t.getName())) {
                gb.addInitializer(t);
            } else {
                counts.initializers++;
            }
        }
        gb.clearValueInfo();
        for (ValueInfoProto v : g.getValueInfoList()) {
            if (live.contains(v.getName())) {
                gb.addValueInfo(v);
            }
        }
        return gb.build();
    }

    /** {@code subs} are the node's subgraphs in {@link OnnxGraph#subgraphs} order: per attribute, g then graphs. */
    private static NodeProto cleanSubgraphs(NodeProto n, List<OnnxGraph> subs, Counts counts) {
        NodeProto.Builder nb = n.toBuilder();
        int next = 0;
        for (int i = 0; i < nb.getAttributeCount(); i++) {
            AttributeProto a = nb.getAttribute(i);
            if (!a.hasG() && a.getGraphsCount() == 0) {
                continue;
            }
            AttributeProto.Builder ab = a.toBuilder();
            if (a.hasG()) {
                ab.setG(clean(subs.get(next++), true, counts));
            }
            for (int k = 0; k < a.getGraphsCount(); k++) {
                ab.setGraphs(k, clean(subs.get(next++), true, counts));
            }
            nb.setAttribute(i, ab);
        }
        return nb.build();
    }
}

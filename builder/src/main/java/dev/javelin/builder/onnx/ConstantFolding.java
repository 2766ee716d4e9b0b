package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.ModelException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates constant subgraphs once, at build time, and replaces them by their values (ONNX in, ONNX out).
 *
 * <p>A tensor is <em>constant</em> if it is an initializer that is not also a graph input (an input's
 * initializer is only a default a caller may override), or an output of a <em>foldable</em> node: a node of the
 * default ONNX domain, without subgraphs, not random ({@link #NONDETERMINISTIC}), whose inputs are all constant.
 * The foldable nodes whose values are needed (read by a node that stays, or a graph output) are copied into a
 * small model with no inputs, which ONNX Runtime CPU runs once without graph optimizations; each value comes back
 * as an initializer (a {@code Constant} node when it is a graph output, which some runtimes refuse as an
 * initializer), and the folded nodes go. Values are computed by ONNX Runtime's own kernels, so a folded model
 * gives the same bits as the original on ONNX Runtime.
 *
 * <p>Limits: a value larger than {@link Options#maxTensorBytes()} is not materialized (its nodes stay), nor is
 * anything computed from an initializer over that size (folding a Transpose of a large weight would only double
 * it); only the main graph is folded (subgraph bodies run per iteration or per branch). A {@code Constant} node
 * on its own is left alone: it already is a constant. If ONNX Runtime cannot evaluate the batch, each value is
 * tried on its own and those that fail are reported with ONNX Runtime's message and left in place.
 */
public final class ConstantFolding {
    private static final Logger LOG = LoggerFactory.getLogger(ConstantFolding.class);

    /** Ops whose outputs are random: never folded, even with constant inputs. */
    public static final Set<String> NONDETERMINISTIC = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout");

    private ConstantFolding() {
    }

    /**
     * @param maxTensorBytes largest value materialized, and largest initializer a folded node may read
     * @param excludedOps    op types (default domain) never folded, e.g. {@code DequantizeLinear} to keep Q/DQ
     *                       weight pairs for TensorRT
     */
    public record Options(long maxTensorBytes, Set<String> excludedOps) {
        /** 64 MiB: larger than any folded shape or lookup table, smaller than a model's big weights. */
        public static final long DEFAULT_MAX_TENSOR_BYTES = 64L << 20;

        public Options {
            if (maxTensorBytes <= 0) {
                throw new IllegalArgumentException("maxTensorBytes must be > 0, got " + maxTensorBytes);
            }
            excludedOps = Set.copyOf(excludedOps);
        }

        /** Default cap, nothing excluded. */
        public static Options defaults() {
            return new Options(DEFAULT_MAX_TENSOR_BYTES, Set.of());
        }

        /** The same options with another cap. */
        public Options withMaxTensorBytes(long bytes) {
            return new Options(bytes, excludedOps);
        }

        /** The same options with these op types never folded. */
        public Options excluding(Collection<String> ops) {
            Set<String> s = new HashSet<>(excludedOps);
            s.addAll(ops);
            return new Options(maxTensorBytes, s);
        }
    }

    /**
     * What the pass did.
     *
     * @param foldedNodes nodes removed because their values are now constants, as {@code 'name' (Op)}
     * @param constants   the values added, as {@code name: dtype[dims]}
     * @param skipped     values not folded, tensor name to why (too large, ONNX Runtime failed, ...)
     */
    public record Report(List<String> foldedNodes, List<String> constants, Map<String, String> skipped) {
        public Report {
            foldedNodes = List.copyOf(foldedNodes);
            constants = List.copyOf(constants);
            skipped = Map.copyOf(skipped);
        }
    }

    /** The folded model and the report. */
    public record Outcome(OnnxModel model, Report report) {
    }

    /** Folds every constant subgraph of the main graph. */
    public static Outcome foldAll(OnnxModel model, Options options) {
        return fold(model, null, options);
    }

    /**
     * Folds just enough to make {@code tensors} constants: their producers and the constant nodes feeding them.
     * A tensor that is not constant (it depends on a graph input, a random op, a subgraph) is reported as skipped.
     */
    public static Outcome foldTensors(OnnxModel model, Collection<String> tensors, Options options) {
        return fold(model, new LinkedHashSet<>(tensors), options);
    }

    /**
     * The names of the main graph that are constant by the rule above (initializers and outputs of foldable
     * nodes), without evaluating anything.
     */
    public static Set<String> constantNames(OnnxModel model, Options options) {
        return analyse(OnnxGraph.of(model.proto().getGraph()), model, options).constants;
    }

    /** Whether {@code node} may be folded when its inputs are constant (domain, determinism, no subgraphs, strings). */
    public static boolean isFoldableOp(NodeProto node, Options options) {
        if (!OpKey.isDefaultDomain(node.getDomain()) || NONDETERMINISTIC.contains(node.getOpType())
                || options.excludedOps().contains(node.getOpType()) || node.getOutputCount() == 0) {
            return false;
        }
        for (AttributeProto a : node.getAttributeList()) {
            if (a.hasG() || a.getGraphsCount() > 0 || a.hasSparseTensor()
                    || a.getName().equals("value_string") || a.getName().equals("value_strings")
                    || (a.hasT() && a.getT().getDataType() == ElementType.STRING.onnx())) {
                return false;
            }
        }
        return true;
    }

    private record Analysis(Set<String> constants, List<Integer> foldable, Map<String, Integer> producers) {
    }

    private static Analysis analyse(OnnxGraph view, OnnxModel model, Options options) {
        GraphProto g = view.proto();
        Set<String> inputs = new HashSet<>();
        g.getInputList().forEach(v -> inputs.add(v.getName()));
        Set<String> constants = new HashSet<>();
        Set<String> oversized = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            if (!inputs.contains(t.getName())) {
                constants.add(t.getName());
                if (Tensors.elementType(t).isFixedWidth() && Tensors.dataBytes(t) > options.maxTensorBytes()) {
                    oversized.add(t.getName());
                }
            }
        }
        List<Integer> foldable = new ArrayList<>();
        List<NodeProto> nodes = view.nodes();
        for (int i : view.topologicalOrder()) {
            NodeProto n = nodes.get(i);
            if (!isFoldableOp(n, options)) {
                continue;
            }
            boolean all = true;
            for (String in : n.getInputList()) {
                all &= in.isEmpty() || (constants.contains(in) && !oversized.contains(in));
            }
            if (all) {
                foldable.add(i);
                for (String o : n.getOutputList()) {
                    if (!o.isEmpty()) {
                        constants.add(o);
                    }
                }
            }
        }
        return new Analysis(constants, foldable, view.producers());
    }

    private static Outcome fold(OnnxModel model, Set<String> targets, Options options) {
        GraphProto g = model.proto().getGraph();
        OnnxGraph view = OnnxGraph.of(g);
        Analysis a = analyse(view, model, options);
        List<NodeProto> nodes = view.nodes();
        Set<Integer> foldable = new HashSet<>(a.foldable);
        Map<String, String> skipped = new LinkedHashMap<>();

        // The values to materialize.
        Set<String> wanted = new LinkedHashSet<>();
        if (targets != null) {
            for (String t : targets) {
                Integer p = a.producers.get(t);
                if (p != null && foldable.contains(p)) {
                    wanted.add(t);
                } else if (p != null || !a.constants.contains(t)) {
                    skipped.put(t, p == null ? "not produced by any node of the main graph"
                            : "not constant: node " + view.describe(p) + " depends on a graph input, a random op, "
                            + "a subgraph or another domain");
                }
            }
        } else {
            Set<String> graphOutputs = new HashSet<>();
            g.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
            for (int i = 0; i < nodes.size(); i++) {
                if (foldable.contains(i)) {
                    continue;
                }
                for (String r : view.reads(i)) {
                    Integer p = a.producers.get(r);
                    if (p != null && foldable.contains(p)) {
                        wanted.add(r);
                    }
                }
            }
            for (int i : a.foldable) {
                for (String o : nodes.get(i).getOutputList()) {
                    if (graphOutputs.contains(o)) {
                        wanted.add(o);
                    }
                }
            }
        }
        // A value a Constant node already holds needs no evaluation.
        for (Iterator<String> it = wanted.iterator(); it.hasNext(); ) {
            String t = it.next();
            if (isConstantNode(nodes.get(a.producers.get(t)))) {
                it.remove();
                if (targets != null) {
                    skipped.put(t, "already the output of a Constant node");
                }
            }
        }
        if (wanted.isEmpty()) {
            return new Outcome(model, new Report(List.of(), List.of(), skipped));
        }

        Map<String, TensorProto> values = evaluate(model, view, a, wanted, skipped);
        Map<String, TensorProto> accepted = new LinkedHashMap<>();
        for (Map.Entry<String, TensorProto> e : values.entrySet()) {
            long bytes = Tensors.dataBytes(e.getValue());
            if (bytes > options.maxTensorBytes()) {
                skipped.put(e.getKey(), "value is " + bytes + " bytes, over the folding cap of " + options.maxTensorBytes());
            } else {
                accepted.put(e.getKey(), e.getValue());
            }
        }
        if (accepted.isEmpty()) {
            return new Outcome(model, new Report(List.of(), List.of(), skipped));
        }
        return materialize(model, view, a, accepted, skipped);
    }

    private static boolean isConstantNode(NodeProto n) {
        return n.getOpType().equals("Constant") && OpKey.isDefaultDomain(n.getDomain());
    }

    /** The values of {@code wanted}, from one ONNX Runtime run, or one run per value if the batch fails. */
    private static Map<String, TensorProto> evaluate(OnnxModel model, OnnxGraph view, Analysis a, Set<String> wanted,
                                                     Map<String, String> skipped) {
        try {
            return OrtCpu.evaluate(probe(model, view, a, wanted), Map.of());
        } catch (ModelException batch) {
            if (wanted.size() == 1) {
                skipped.put(wanted.iterator().next(), batch.getMessage());
                return Map.of();
            }
            LOG.debug("folding {} values at once failed ({}); trying each on its own", wanted.size(), batch.getMessage());
            Map<String, TensorProto> out = new LinkedHashMap<>();
            for (String t : wanted) {
                try {
                    out.putAll(OrtCpu.evaluate(probe(model, view, a, Set.of(t)), Map.of()));
                } catch (ModelException e) {
                    skipped.put(t, e.getMessage());
                }
            }
            return out;
        }
    }

    /** A model with no inputs computing {@code wanted} from the initializers and foldable nodes they need. */
    private static OnnxModel probe(OnnxModel model, OnnxGraph view, Analysis a, Set<String> wanted) {
        List<NodeProto> nodes = view.nodes();
        Set<Integer> cone = new HashSet<>();
        Set<String> initializers = new HashSet<>();
        ArrayList<String> pending = new ArrayList<>(wanted);
        Set<String> seen = new HashSet<>(wanted);
        while (!pending.isEmpty()) {
            String name = pending.remove(pending.size() - 1);
            Integer p = a.producers.get(name);
            if (p == null) {
                initializers.add(name);
            } else if (cone.add(p)) {
                for (String r : nodes.get(p).getInputList()) {
                    if (!r.isEmpty() && seen.add(r)) {
                        pending.add(r);
                    }
                }
            }
        }
        GraphProto g = view.proto();
        GraphProto.Builder pb = GraphProto.newBuilder().setName(g.getName() + "-fold");
        for (TensorProto t : g.getInitializerList()) {
            if (initializers.contains(t.getName())) {
                pb.addInitializer(t);
            }
        }
        for (int i : view.topologicalOrder()) {
            if (cone.contains(i)) {
                pb.addNode(nodes.get(i));
            }
        }
        for (String w : wanted) {
            pb.addOutput(ValueInfoProto.newBuilder().setName(w));
        }
        ModelProto m = model.proto().toBuilder().setGraph(pb).clearFunctions().clearTrainingInfo().build();
        return model.withProto(m);
    }

    /** Puts the accepted values in place and removes the nodes that only served them. */
    private static Outcome materialize(OnnxModel model, OnnxGraph view, Analysis a, Map<String, TensorProto> accepted,
                                       Map<String, String> skipped) {
        GraphProto g = view.proto();
        List<NodeProto> nodes = new ArrayList<>(view.nodes());
        Set<String> graphOutputs = new HashSet<>();
        g.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
        Set<String> used = new HashSet<>(view.definedNames());
        GraphProto.Builder gb = g.toBuilder();
        List<String> constants = new ArrayList<>();
        List<NodeProto> constantNodes = new ArrayList<>();
        Map<Integer, NodeProto> renamed = new HashMap<>();
        for (Map.Entry<String, TensorProto> e : accepted.entrySet()) {
            String name = e.getKey();
            int p = a.producers.get(name);
            // The producer no longer defines the name; it keeps a dead output until it is removed below
            // (it stays only if another of its outputs is still read).
            NodeProto prev = renamed.getOrDefault(p, nodes.get(p));
            NodeProto.Builder nb = prev.toBuilder();
            for (int k = 0; k < nb.getOutputCount(); k++) {
                if (nb.getOutput(k).equals(name)) {
                    nb.setOutput(k, unique(name + "/unfolded", used));
                }
            }
            renamed.put(p, nb.build());
            TensorProto t = e.getValue().toBuilder().setName(name).build();
            if (graphOutputs.contains(name)) {
                constantNodes.add(NodeProto.newBuilder().setOpType("Constant").setName(unique(name + "/folded", used))
                        .addOutput(name).addAttribute(AttributeProto.newBuilder().setName("value")
                                .setType(AttributeProto.AttributeType.TENSOR).setT(t)).build());
            } else {
                gb.addInitializer(t);
            }
            constants.add(name + ": " + Tensors.elementType(t).label() + t.getDimsList());
        }
        renamed.forEach(nodes::set);
        // Remove folded nodes whose outputs nothing reads any more, readers before producers.
        Set<Integer> candidates = new HashSet<>(a.foldable);
        List<Integer> order = view.topologicalOrder();
        Set<String> read = new HashSet<>(graphOutputs);
        Set<String> readByRemoved = new HashSet<>();
        boolean[] removed = new boolean[nodes.size()];
        for (int k = order.size() - 1; k >= 0; k--) {
            int i = order.get(k);
            boolean live = !candidates.contains(i) || nodes.get(i).getOutputList().stream().anyMatch(read::contains);
            if (live) {
                read.addAll(view.reads(i));
            } else {
                removed[i] = true;
                readByRemoved.addAll(view.reads(i));
            }
        }
        for (NodeProto c : constantNodes) {
            read.add(c.getOutput(0));
        }
        List<String> folded = new ArrayList<>();
        gb.clearNode();
        for (int i = 0; i < nodes.size(); i++) {
            if (removed[i]) {
                folded.add(OnnxGraph.describe(nodes.get(i), i));
            } else {
                gb.addNode(nodes.get(i));
            }
        }
        constantNodes.forEach(gb::addNode);
        // Initializers only the folded nodes read go too (inputs' defaults always stay).
        Set<String> inputs = new HashSet<>();
        g.getInputList().forEach(v -> inputs.add(v.getName()));
        List<TensorProto> keep = new ArrayList<>();
        for (TensorProto t : gb.getInitializerList()) {
            String n = t.getName();
            if (!readByRemoved.contains(n) || read.contains(n) || inputs.contains(n) || accepted.containsKey(n)) {
                keep.add(t);
            }
        }
        gb.clearInitializer().addAllInitializer(keep);
        ModelProto out = model.proto().toBuilder().setGraph(gb).build();
        OnnxGraph.of(out.getGraph()).validate();
        LOG.debug("constant folding: {} nodes folded into {} values", folded.size(), constants.size());
        return new Outcome(model.withProto(out), new Report(folded, constants, skipped));
    }

    private static String unique(String base, Set<String> used) {
        String name = base;
        for (int k = 1; !used.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }
}

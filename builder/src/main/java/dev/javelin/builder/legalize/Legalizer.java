package dev.javelin.builder.legalize;

import dev.javelin.builder.onnx.ConstantFolding;
import dev.javelin.builder.onnx.DeadNodeRemoval;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.ShapeDiscovery;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.onnx.TensorRtOpSupport.Entry;
import dev.javelin.builder.onnx.TensorRtOpSupport.Finding;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.runtime.ModelException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a model buildable by TensorRT where it can (ONNX in, ONNX out, plus a {@link LegalizationReport}). For
 * every node TensorRT's op table ({@link TensorRtOpSupport}) says it cannot build, in this order:
 * <ol>
 *   <li><b>FOLD</b>: a default-domain, non-random node whose inputs are all constants is evaluated once by
 *       {@link ConstantFolding} (ONNX Runtime CPU) and replaced by its value — {@code MelWeightMatrix}, window
 *       functions, a DFT of a constant (main graph only);</li>
 *   <li><b>REWRITE</b> or <b>KERNEL</b>, in the order {@link Prefer} gives for ops that have both: a rewrite into
 *       standard ops ({@link ContribRewrites}, {@link QuantRewrites}, with the dynamic-quantization chains matched
 *       first so whole chains become float ops), or a Javelin CUDA kernel ({@code DynamicQuantizeLinear},
 *       {@code MatMulInteger}, {@code DFT}, {@code AffineGrid}, {@code Unique}) that runs between engine segments;</li>
 *   <li><b>UNSUPPORTED</b> otherwise, with TensorRT's reason and why nothing else applied.</li>
 * </ol>
 * Nodes the rewrites leave without readers are removed, the result is validated, and the op table is checked
 * again on it: {@link LegalizationReport#remaining()} lists what TensorRT still cannot build (kernel ops included).
 * Subgraphs ({@code If}/{@code Loop}/{@code Scan} bodies) are rewritten too; function bodies are not.
 *
 * <p>Rewrites need element types (to build constants of the right precision) and sometimes ranks; they come from
 * the model's declarations and a static type pass, and from a {@link ShapeDiscovery} run when
 * {@link Options#inputShapes()} are given. A rewrite that lacks them declines and says so.
 */
public final class Legalizer {
    private static final Logger LOG = LoggerFactory.getLogger(Legalizer.class);

    /**
     * @param prefer      rewrite or kernels, for ops with both
     * @param support     the TensorRT op table to legalize for
     * @param inputShapes shapes for a discovery run (types and ranks of intermediates), or empty for none
     * @param folding     options of the constant folding of FOLD nodes
     */
    public record Options(Prefer prefer, TensorRtOpSupport support, Map<String, long[]> inputShapes,
                          ConstantFolding.Options folding) {
        public Options {
            Objects.requireNonNull(prefer, "prefer");
            Objects.requireNonNull(support, "support");
            inputShapes = Map.copyOf(inputShapes);
            Objects.requireNonNull(folding, "folding");
        }

        /** Prefer rewrites, the pinned TensorRT, no discovery run, default folding. */
        public static Options defaults() {
            return new Options(Prefer.REWRITE, TensorRtOpSupport.pinned(), Map.of(), ConstantFolding.Options.defaults());
        }

        public Options withPrefer(Prefer p) {
            return new Options(p, support, inputShapes, folding);
        }

        public Options withSupport(TensorRtOpSupport s) {
            return new Options(prefer, s, inputShapes, folding);
        }

        public Options withInputShapes(Map<String, long[]> shapes) {
            return new Options(prefer, support, shapes, folding);
        }
    }

    /** The legalized model and the report. */
    public record Legalization(OnnxModel model, LegalizationReport report) {
    }

    private static final Map<String, Rewrite> REWRITES;

    static {
        Map<String, Rewrite> m = new HashMap<>(ContribRewrites.all());
        m.putAll(QuantRewrites.perNode());
        REWRITES = Map.copyOf(m);
    }

    private final Options options;

    private Legalizer(Options options) {
        this.options = options;
    }

    /** A legalizer with these options. */
    public static Legalizer with(Options options) {
        return new Legalizer(Objects.requireNonNull(options, "options"));
    }

    /** Legalizes with {@link Options#defaults()}. */
    public static Legalization legalize(OnnxModel model) {
        return with(Options.defaults()).apply(model);
    }

    /**
     * Legalizes {@code model}.
     *
     * @throws ModelException if the model is invalid (as {@link OnnxModel#validate()} says), or a shape discovery run
     *                        was asked for and ONNX Runtime cannot run the model
     */
    public Legalization apply(OnnxModel model) {
        model.validate();
        List<NodeDecision> decisions = new ArrayList<>();
        Set<String> names = GraphEdit.allNames(model.proto().getGraph());
        long opset = model.defaultOpset();
        String root = model.proto().getGraph().getName().isEmpty() ? "main" : model.proto().getGraph().getName();
        GraphEdit main = new GraphEdit(model, model.proto().getGraph(), root, true, opset, names, Map.of(), Map.of());
        if (!options.inputShapes().isEmpty()) {
            learnFromDiscovery(model, main);
        }
        Set<String> foldable = ConstantFolding.constantNames(model, options.folding());
        Map<String, Integer> foldTargets = new LinkedHashMap<>(); // output -> index into decisions
        legalizeGraph(main, Set.of(), foldable, decisions, foldTargets);

        ModelProto rewritten = model.proto().toBuilder().setGraph(main.build()).build();
        OnnxModel result = model.withProto(rewritten);
        if (!foldTargets.isEmpty()) {
            result = fold(result, foldTargets, decisions);
        }
        DeadNodeRemoval.Outcome cleaned = DeadNodeRemoval.apply(result);
        result = cleaned.model();
        result.validate();
        List<RemainingOp> remaining = remaining(options.support().check(result.proto()));
        LegalizationReport report = new LegalizationReport(options.support().tensorRtVersion(), options.prefer(), decisions,
                remaining, cleaned.report().nodesRemoved());
        report.summary().forEach(l -> LOG.info("legalization of {}: {}", model.displayName(), l));
        return new Legalization(result, report);
    }

    private void learnFromDiscovery(OnnxModel model, GraphEdit main) {
        try {
            Map<String, ShapeDiscovery.TensorType> found = ShapeDiscovery.discover(model, options.inputShapes());
            Map<String, ElementType> types = new HashMap<>();
            Map<String, Integer> ranks = new HashMap<>();
            found.forEach((n, t) -> {
                types.put(n, t.elementType());
                ranks.put(n, t.rank());
            });
            main.learn(types, ranks);
        } catch (ModelException e) {
            // Some originals do not run on ONNX Runtime CPU at all (a contrib op with only a CUDA kernel):
            // legalize with what the declarations say.
            LOG.warn("shape discovery on {} failed, legalizing with declared types only: {}", model.displayName(), e.getMessage());
        }
    }

    private void legalizeGraph(GraphEdit g, Set<String> outerConstants, Set<String> foldable, List<NodeDecision> decisions,
                               Map<String, Integer> foldTargets) {
        Set<String> constants = TensorRtOpSupport.buildTimeConstants(g.build(), outerConstants);
        // Whole dynamic-quantization chains first: their MatMulInteger/ConvInteger become float ops and the
        // DynamicQuantizeLinear nodes feeding only them go.
        Map<Integer, Rewrite.Outcome> chains = Map.of();
        Map<Integer, NodeProto> before = new HashMap<>();
        if (options.prefer() == Prefer.REWRITE) {
            for (int i = 0; i < g.size(); i++) {
                before.put(i, g.node(i));
            }
            chains = QuantRewrites.dynamicChains(g);
            if (!chains.isEmpty()) {
                g.sweepDead();
            }
        }
        for (int i = 0; i < g.size(); i++) {
            NodeProto n = before.getOrDefault(i, g.node(i));
            if (n == null) {
                continue;
            }
            Optional<Entry> why = options.support().whyUnsupported(n, constants);
            if (why.isPresent()) {
                NodeDecision d = decide(g, i, n, why.get(), chains, foldable);
                if (d.decision() == Decision.FOLD) {
                    for (String o : n.getOutputList()) {
                        if (!o.isEmpty()) {
                            foldTargets.put(o, decisions.size());
                        }
                    }
                }
                decisions.add(d);
            }
            NodeProto now = g.node(i);
            if (now != null && hasSubgraph(now)) {
                g.update(i, legalizeSubgraphs(g, i, now, constants, decisions));
            }
        }
    }

    private NodeDecision decide(GraphEdit g, int i, NodeProto n, Entry why, Map<Integer, Rewrite.Outcome> chains,
                                Set<String> foldable) {
        String op = OpKey.of(n);
        Rewrite.Outcome chain = chains.get(i);
        if (chain != null && chain.ok()) {
            return decision(g, i, op, Decision.REWRITE, chain.detail(), chain.tolerance());
        }
        if (g.node(i) == null) {
            // Removed by the sweep after the chain rewrites: it fed only rewritten chains (or nothing at all).
            return decision(g, i, op, Decision.REWRITE, op.equals("DynamicQuantizeLinear")
                    ? "removed: nothing reads its outputs once the dynamic-quantization chains it fed were rewritten to "
                    + "float (see the MatMulInteger/ConvInteger decisions)" : "removed: nothing reads its outputs", null);
        }
        if (g.topLevel && ConstantFolding.isFoldableOp(n, options.folding())
                && n.getInputList().stream().allMatch(in -> in.isEmpty() || foldable.contains(in))) {
            return decision(g, i, op, Decision.FOLD, "all inputs are constants: evaluated at build time on ONNX Runtime CPU "
                    + "and replaced by its value", null);
        }
        List<String> declined = new ArrayList<>();
        if (chain != null) {
            declined.add("dynamic-quantization chain: " + chain.declined());
        }
        Optional<KernelOps.Kernel> kernel = OpKey.isDefaultDomain(n.getDomain()) ? KernelOps.forOp(n.getOpType()) : Optional.empty();
        Rewrite rewrite = REWRITES.get(op);
        boolean kernelsFirst = options.prefer() == Prefer.KERNELS;
        for (int pass = 0; pass < 2; pass++) {
            boolean tryKernel = (pass == 0) == kernelsFirst;
            if (tryKernel && kernel.isPresent()) {
                ElementType t = g.type(GraphEdit.input(n, 0));
                if (t == null || kernel.get().inputTypes().contains(t)) {
                    return decision(g, i, op, Decision.KERNEL, "Javelin CUDA kernel " + kernel.get().file()
                            + " runs it between TensorRT engine segments (" + KernelOps.buildNote() + ")"
                            + (t == null ? "; input type not known here, the launcher checks it" : "")
                            + (declined.isEmpty() ? "" : "; " + String.join("; ", declined)), null);
                }
                declined.add("kernel " + kernel.get().file() + " takes " + kernel.get().inputTypes() + ", not " + t);
            } else if (!tryKernel && rewrite != null) {
                Rewrite.Outcome o = rewrite.apply(g, i);
                if (o.ok()) {
                    return decision(g, i, op, Decision.REWRITE, o.detail(), o.tolerance());
                }
                declined.add("rewrite declined: " + o.declined());
            }
        }
        if (why.plan().isEmpty() && declined.isEmpty()) {
            declined.add("no rewrite or Javelin kernel exists for it");
        }
        return decision(g, i, op, Decision.UNSUPPORTED, why.reason() + "; " + String.join("; ", declined), null);
    }

    private static NodeDecision decision(GraphEdit g, int i, String op, Decision d, String detail, Tolerance t) {
        return new NodeDecision(g.path, g.label(i), op, d, detail, t);
    }

    private NodeProto legalizeSubgraphs(GraphEdit outer, int i, NodeProto n, Set<String> constants,
                                        List<NodeDecision> decisions) {
        NodeProto.Builder nb = n.toBuilder();
        for (int k = 0; k < nb.getAttributeCount(); k++) {
            AttributeProto a = nb.getAttribute(k);
            if (!a.hasG() && a.getGraphsCount() == 0) {
                continue;
            }
            AttributeProto.Builder ab = a.toBuilder();
            if (a.hasG()) {
                ab.setG(legalizeSubgraph(outer, a.getG(), outer.path + "/" + outer.label(i) + "." + a.getName(), constants,
                        decisions));
            }
            for (int j = 0; j < a.getGraphsCount(); j++) {
                ab.setGraphs(j, legalizeSubgraph(outer, a.getGraphs(j),
                        outer.path + "/" + outer.label(i) + "." + a.getName() + "[" + j + "]", constants, decisions));
            }
            nb.setAttribute(k, ab);
        }
        return nb.build();
    }

    private GraphProto legalizeSubgraph(GraphEdit outer, GraphProto sub, String path, Set<String> constants,
                                        List<NodeDecision> decisions) {
        GraphEdit g = new GraphEdit(outer.model, sub, path, false, outer.opset, outer.names(), outer.types(), outer.ranks());
        legalizeGraph(g, constants, Set.of(), decisions, new LinkedHashMap<>());
        return g.build();
    }

    /** Folds the FOLD nodes' outputs; a node whose value cannot be folded becomes a kernel or unsupported decision. */
    private OnnxModel fold(OnnxModel model, Map<String, Integer> targets, List<NodeDecision> decisions) {
        ConstantFolding.Outcome o = ConstantFolding.foldTensors(model, targets.keySet(), options.folding());
        Map<String, String> constantsByTensor = new HashMap<>();
        for (String c : o.report().constants()) {
            constantsByTensor.put(c.substring(0, c.indexOf(": ")), c.substring(c.indexOf(": ") + 2));
        }
        Map<Integer, List<String>> valuesByDecision = new LinkedHashMap<>();
        targets.forEach((tensor, d) -> valuesByDecision.computeIfAbsent(d, k -> new ArrayList<>()).add(tensor));
        valuesByDecision.forEach((d, tensors) -> {
            NodeDecision old = decisions.get(d);
            List<String> failed = new ArrayList<>();
            List<String> values = new ArrayList<>();
            for (String t : tensors) {
                String skip = o.report().skipped().get(t);
                if (skip != null) {
                    failed.add("'" + t + "': " + skip);
                } else if (constantsByTensor.containsKey(t)) {
                    values.add(t + " = " + constantsByTensor.get(t));
                }
            }
            if (failed.isEmpty()) {
                decisions.set(d, new NodeDecision(old.graph(), old.node(), old.op(), Decision.FOLD,
                        old.detail() + (values.isEmpty() ? "" : ": " + String.join(", ", values)), null));
            } else {
                Optional<KernelOps.Kernel> k = KernelOps.forOp(old.op());
                decisions.set(d, new NodeDecision(old.graph(), old.node(), old.op(),
                        k.isPresent() ? Decision.KERNEL : Decision.UNSUPPORTED,
                        "constant folding failed (" + String.join("; ", failed) + ")"
                                + (k.isPresent() ? "; Javelin CUDA kernel " + k.get().file() + " runs it instead" : ""), null));
            }
        });
        return o.model();
    }

    private static List<RemainingOp> remaining(List<Finding> findings) {
        List<RemainingOp> out = new ArrayList<>();
        for (Finding f : findings) {
            boolean kernel = !f.op().contains(":") && KernelOps.forOp(f.op()).isPresent();
            out.add(new RemainingOp(f.op(), f.count(), kernel ? "kernel" : "unsupported", f.reason(), f.nodes()));
        }
        return out;
    }

    private static boolean hasSubgraph(NodeProto n) {
        return n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    }
}

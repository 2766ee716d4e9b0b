package dev.javelin.builder.partition;

import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.kernels.KernelCatalogue;
import dev.javelin.kernels.KernelOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides, for each top-level node, whether it goes into an engine segment or becomes a kernel step, or why it can be
 * neither. A node with subgraphs (If, Loop, Scan) is never split: it goes into a segment whole, and if anything inside
 * it needs a kernel (or nothing runs it) the node itself cannot be planned, with the reason.
 */
final class NodeClassifier {
    /** Where a node goes. */
    enum Kind { SEGMENT, KERNEL }

    /**
     * The decision for one node.
     *
     * @param kind    segment or kernel
     * @param kernel  the kernel, for {@link Kind#KERNEL}
     * @param reason  why (TensorRT builds it, kept for the legalizer's rewrite, or the kernel chosen)
     */
    record Decision(Kind kind, KernelOp kernel, String reason) {
        /** Whether the node stays in its segment only because the legalizer rewrites it. */
        boolean forRewrite() {
            return reason.startsWith(KEPT_FOR_REWRITE);
        }
    }

    private static final String KEPT_FOR_REWRITE = "kept for the legalizer's rewrite";

    private final PartitionOptions options;

    NodeClassifier(PartitionOptions options) {
        this.options = options;
    }

    /**
     * One decision per node of {@code graph} (in node order).
     *
     * @param problems receives {@code 'node' (Op): reason} for every node that cannot be planned
     */
    List<Decision> classify(OnnxGraph graph, List<String> problems) {
        Set<String> constants = TensorRtOpSupport.buildTimeConstants(graph.proto(), Set.of());
        List<Decision> out = new ArrayList<>();
        List<NodeProto> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (hasSubgraphs(n)) {
                List<String> inner = new ArrayList<>();
                for (OnnxGraph sub : graph.subgraphs(i)) {
                    checkBody(sub.proto(), sub.path(), TensorRtOpSupport.buildTimeConstants(sub.proto(), constants), inner);
                }
                Optional<TensorRtOpSupport.Entry> own = options.tensorRt().whyUnsupported(n, constants);
                if (own.isPresent()) {
                    inner.add(0, "TensorRT cannot build the node itself: " + own.get().reason());
                }
                if (!inner.isEmpty()) {
                    problems.add(graph.describe(i) + " cannot be planned: control flow is never split, and its body "
                            + String.join("; ", inner));
                }
                out.add(new Decision(Kind.SEGMENT, null, "control flow, kept whole"));
                continue;
            }
            Optional<TensorRtOpSupport.Entry> why = options.tensorRt().whyUnsupported(n, constants);
            if (why.isEmpty()) {
                out.add(new Decision(Kind.SEGMENT, null, "TensorRT builds it"));
                continue;
            }
            Decision d = offTensorRt(n, why.get());
            if (d == null) {
                problems.add(graph.describe(i) + ": " + unplannable(n, why.get()));
                d = new Decision(Kind.SEGMENT, null, "unplannable");
            }
            out.add(d);
        }
        return out;
    }

    /** The decision for a node TensorRT cannot build, or null if neither a rewrite nor a kernel takes it. */
    private Decision offTensorRt(NodeProto n, TensorRtOpSupport.Entry why) {
        Optional<KernelOp> kernel = kernelFor(n);
        boolean rewrite = options.rewritable().contains(OpKey.of(n));
        if (options.prefer() == Prefer.REWRITE && rewrite) {
            return new Decision(Kind.SEGMENT, null, KEPT_FOR_REWRITE + " (--prefer rewrite)");
        }
        if (kernel.isPresent()) {
            return new Decision(Kind.KERNEL, kernel.get(), "Javelin kernel " + kernel.get().id());
        }
        if (rewrite) {
            return new Decision(Kind.SEGMENT, null, KEPT_FOR_REWRITE + " (no usable kernel)");
        }
        return null;
    }

    /** The kernel that can run this node as it is (attributes included), if any. */
    private static Optional<KernelOp> kernelFor(NodeProto n) {
        Optional<KernelOp> k = KernelCatalogue.kernelFor(n.getDomain(), n.getOpType());
        if (k.isPresent() && k.get().whyNot(attributeNames(n)).isPresent()) {
            return Optional.empty();
        }
        return k;
    }

    private String unplannable(NodeProto n, TensorRtOpSupport.Entry why) {
        List<String> parts = new ArrayList<>();
        parts.add("TensorRT " + options.tensorRt().tensorRtVersion() + " cannot build it (" + why.reason() + ")");
        Optional<KernelOp> k = KernelCatalogue.kernelFor(n.getDomain(), n.getOpType());
        parts.add(k.isPresent() ? k.get().whyNot(attributeNames(n)).orElse("its Javelin kernel cannot take it")
                : "Javelin has no kernel for it");
        parts.add("no rewrite is available for it (the legalizer's op types: " + (options.rewritable().isEmpty() ? "none given"
                : String.join(", ", options.rewritable())) + ")");
        return String.join("; ", parts);
    }

    /** Collects why the nodes of a control-flow body, at any depth, cannot stay inside one engine segment. */
    private void checkBody(GraphProto body, String path, Set<String> constants, List<String> problems) {
        for (int i = 0; i < body.getNodeCount(); i++) {
            NodeProto n = body.getNode(i);
            String where = OnnxGraph.describe(n, i) + " in " + path;
            Optional<TensorRtOpSupport.Entry> why = options.tensorRt().whyUnsupported(n, constants);
            if (why.isPresent()) {
                boolean rewrite = options.rewritable().contains(OpKey.of(n));
                if (!rewrite && kernelFor(n).isPresent()) {
                    problems.add("holds " + where + ", which needs a Javelin kernel; kernels run only between engine segments "
                            + "of the top-level graph, so the node cannot go into a segment (expose the branch, e.g. inline a "
                            + "constant-condition If with --specialize, or run the model whole on ONNX Runtime)");
                } else if (!rewrite) {
                    problems.add("holds " + where + ", which TensorRT cannot build (" + why.get().reason()
                            + ") and no Javelin kernel runs");
                }
            }
            for (AttributeProto a : n.getAttributeList()) {
                List<GraphProto> subs = new ArrayList<>(a.getGraphsList());
                if (a.hasG()) {
                    subs.add(a.getG());
                }
                for (GraphProto g : subs) {
                    checkBody(g, path + "/" + (n.getName().isEmpty() ? "#" + i : n.getName()) + "." + a.getName(),
                            TensorRtOpSupport.buildTimeConstants(g, constants), problems);
                }
            }
        }
    }

    static boolean hasSubgraphs(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG() || a.getGraphsCount() > 0) {
                return true;
            }
        }
        return false;
    }

    static Set<String> attributeNames(NodeProto n) {
        Set<String> s = new HashSet<>();
        n.getAttributeList().forEach(a -> s.add(a.getName()));
        return s;
    }
}

package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ActivationProbe;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Decides where INT8 Q/DQ pairs go — on which inputs of which nodes — following what TensorRT fuses and what
 * NVIDIA's Model Optimizer places for it:
 *
 * <ul>
 *   <li><b>Weighted ops</b> — {@code Conv}, {@code ConvTranspose}, {@code MatMul}, {@code Gemm}: the activation
 *       input gets a per-tensor symmetric pair, the weight (a float32 initializer) per-channel symmetric int8
 *       along the output-channel axis (Conv: 0; ConvTranspose: 1; MatMul: the weight's last axis, its columns;
 *       Gemm: 0 with {@code transB=1}, else 1). Biases stay float: TensorRT adds them in the GEMM/convolution
 *       epilogue and cannot dequantize int32. TensorRT fuses DQ -&gt; op (and the next Q) into one int8
 *       kernel.</li>
 *   <li>A {@code MatMul} whose operands are both activations (attention's Q·K<sup>T</sup> and P·V) is left in
 *       float: TensorRT runs attention in its fused FP16 kernels and Model Optimizer excludes attention
 *       patterns likewise; softmax outputs in particular lose half their int8 range to symmetric scaling.</li>
 *   <li><b>Residual Add</b> next to a quantized {@code Conv}: when one input of an {@code Add} comes from a
 *       quantized Conv (directly or through {@code BatchNormalization}) the other input gets a pair, so
 *       TensorRT fuses the addition into the convolution's int8 epilogue.</li>
 *   <li><b>Pooling between int8 ops</b> — {@code MaxPool}, {@code AveragePool}, {@code GlobalAveragePool}
 *       whose output feeds exactly one node, a quantized activation input: the pool's input gets a pair, so the
 *       pool runs in int8 and the data stays int8 from one weighted op to the next.</li>
 * </ul>
 * Everything else stays float. In particular no pair goes between a Conv and a following
 * {@code BatchNormalization}, {@code Relu}, {@code Clip} or {@code Mul}: TensorRT fuses those into the
 * convolution, and a Q/DQ between them would break that fusion.
 *
 * <p>Nodes are excluded by name or op type ({@code --exclude}); an exclusion that matches nothing is an error
 * (a typo would otherwise silently quantize what was meant to stay float).
 */
public final class QdqPlacement {
    private static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "MatMul", "Gemm");
    private static final Set<String> POOLS = Set.of("MaxPool", "AveragePool", "GlobalAveragePool");

    /** An exclusion (node name or op type) that matches nothing in the model: most likely a typo. */
    public static final class UnknownExclusionException extends IllegalArgumentException {
        UnknownExclusionException(String message) {
            super(message);
        }
    }

    /** One input edge that gets a per-tensor activation pair. */
    public record ActivationInput(int node, int input, String tensor) {
    }

    /** One weight that is quantized per channel along {@code axis}. */
    public record WeightInput(int node, int input, String initializer, int axis) {
    }

    /** A node that is quantized: which of its inputs get what. */
    public record Target(int node, String name, String opType, List<ActivationInput> activations,
                         WeightInput weight) {
        public Target {
            activations = List.copyOf(activations);
        }
    }

    /** A node of a quantizable type that stays float, and why. */
    public record Skipped(String name, String opType, String reason) {
    }

    /**
     * The placement.
     *
     * @param targets nodes to quantize, in node order
     * @param skipped candidates left in float, with the reason
     */
    public record Plan(List<Target> targets, List<Skipped> skipped) {
        public Plan {
            targets = List.copyOf(targets);
            skipped = List.copyOf(skipped);
        }

        /** The activation tensors that need a scale, in first-use order. */
        public Set<String> activations() {
            Set<String> s = new LinkedHashSet<>();
            targets.forEach(t -> t.activations().forEach(a -> s.add(a.tensor())));
            return s;
        }

        /**
         * The plan without the targets for which {@code hasScale} is false for some activation (e.g. tensors a
         * calibration cache does not list); those become skipped with {@code reason}.
         */
        public Plan keepOnly(Predicate<String> hasScale, String reason) {
            List<Target> kept = new ArrayList<>();
            List<Skipped> sk = new ArrayList<>(skipped);
            for (Target t : targets) {
                List<String> missing = t.activations().stream().map(ActivationInput::tensor)
                        .filter(x -> !hasScale.test(x)).toList();
                if (missing.isEmpty()) {
                    kept.add(t);
                } else {
                    sk.add(new Skipped(t.name(), t.opType(), reason + ": " + String.join(", ", missing)));
                }
            }
            return new Plan(kept, sk);
        }
    }

    private QdqPlacement() {
    }

    /**
     * Plans the main graph of {@code model}.
     *
     * @param exclude node names or op types to keep in float
     * @throws UnknownExclusionException naming an exclusion that matches no node name or op type
     */
    public static Plan plan(OnnxModel model, Collection<String> exclude) {
        GraphProto g = model.proto().getGraph();
        OnnxGraph view = model.graph();
        List<NodeProto> nodes = g.getNodeList();
        Set<String> excluded = new HashSet<>(exclude);
        Set<String> matched = new HashSet<>();
        for (NodeProto n : nodes) {
            if (excluded.contains(n.getName())) {
                matched.add(n.getName());
            }
            if (excluded.contains(n.getOpType())) {
                matched.add(n.getOpType());
            }
        }
        Set<String> unmatched = new LinkedHashSet<>(exclude);
        unmatched.removeAll(matched);
        if (!unmatched.isEmpty()) {
            throw new UnknownExclusionException("exclusion(s) " + unmatched + " match no node name or op type of "
                    + model.displayName());
        }
        Map<String, TensorProto> inits = new HashMap<>();
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        g.getInputList().forEach(v -> inits.remove(v.getName())); // an overridable default is not a constant
        Set<String> constant = ActivationProbe.constantTensors(g);
        Map<String, Integer> producers = view.producers();
        Map<String, List<Integer>> consumers = view.consumers();

        List<Target> targets = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        Map<Integer, Target> byNode = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (!WEIGHTED.contains(n.getOpType()) || !OpKey.isDefaultDomain(n.getDomain())) {
                continue;
            }
            String name = label(n, i);
            if (excluded.contains(n.getName()) || excluded.contains(n.getOpType())) {
                skipped.add(new Skipped(name, n.getOpType(), "excluded"));
                continue;
            }
            Object decision = weighted(n, i, inits, constant);
            if (decision instanceof Target t) {
                targets.add(t);
                byNode.put(i, t);
            } else {
                skipped.add(new Skipped(name, n.getOpType(), (String) decision));
            }
        }
        // Ops between int8 ops, decided once the weighted targets are known.
        Set<Integer> quantizedConvs = new HashSet<>();
        byNode.values().stream().filter(t -> t.opType().equals("Conv")).forEach(t -> quantizedConvs.add(t.node()));
        List<Target> extra = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (!OpKey.isDefaultDomain(n.getDomain()) || excluded.contains(n.getName()) || excluded.contains(n.getOpType())) {
                continue;
            }
            if (n.getOpType().equals("Add") && n.getInputCount() == 2 && !quantizedConvs.isEmpty()) {
                Target t = residualAdd(n, i, nodes, producers, quantizedConvs, constant);
                if (t != null) {
                    extra.add(t);
                }
            } else if (POOLS.contains(n.getOpType()) && n.getInputCount() >= 1) {
                List<Integer> readers = consumers.getOrDefault(n.getOutput(0), List.of());
                boolean feedsInt8 = readers.size() == 1 && byNode.containsKey(readers.get(0))
                        && byNode.get(readers.get(0)).activations().stream()
                        .anyMatch(a -> a.tensor().equals(n.getOutput(0)));
                if (feedsInt8 && !constant.contains(n.getInput(0))) {
                    extra.add(new Target(i, label(n, i), n.getOpType(),
                            List.of(new ActivationInput(i, 0, n.getInput(0))), null));
                }
            }
        }
        targets.addAll(extra);
        targets.sort((a, b) -> Integer.compare(a.node(), b.node()));
        return new Plan(targets, skipped);
    }

    /** A target for a weighted node, or the reason it stays float. */
    private static Object weighted(NodeProto n, int i, Map<String, TensorProto> inits, Set<String> constant) {
        String op = n.getOpType();
        String name = label(n, i);
        if (n.getInputCount() < 2) {
            return "fewer than 2 inputs";
        }
        switch (op) {
            case "Conv", "ConvTranspose" -> {
                String w = n.getInput(1);
                String why = weightProblem(w, inits, constant, 3);
                if (why != null) {
                    return why;
                }
                if (constant.contains(n.getInput(0))) {
                    return "its input is a constant";
                }
                return new Target(i, name, op, List.of(new ActivationInput(i, 0, n.getInput(0))),
                        new WeightInput(i, 1, w, op.equals("Conv") ? 0 : 1));
            }
            case "Gemm" -> {
                String w = n.getInput(1);
                String why = weightProblem(w, inits, constant, 2);
                if (why != null) {
                    return why;
                }
                if (constant.contains(n.getInput(0))) {
                    return "input A is a constant";
                }
                int axis = intAttr(n, "transB", 0) == 1 ? 0 : 1;
                return new Target(i, name, op, List.of(new ActivationInput(i, 0, n.getInput(0))),
                        new WeightInput(i, 1, w, axis));
            }
            default -> { // MatMul
                boolean c0 = constant.contains(n.getInput(0));
                boolean c1 = constant.contains(n.getInput(1));
                if (!c0 && !c1) {
                    return "both inputs are activations (attention-style MatMul): left in float, as TensorRT runs"
                            + " attention in fused FP16 kernels";
                }
                if (c0 && c1) {
                    return "both inputs are constants";
                }
                int wi = c1 ? 1 : 0;
                String w = n.getInput(wi);
                String why = weightProblem(w, inits, constant, 2);
                if (why != null) {
                    return why;
                }
                int rank = inits.get(w).getDimsCount();
                // Output channels: the weight's columns when it is B, its rows when it is A.
                int axis = wi == 1 ? rank - 1 : rank - 2;
                return new Target(i, name, op, List.of(new ActivationInput(i, 1 - wi, n.getInput(1 - wi))),
                        new WeightInput(i, wi, w, axis));
            }
        }
    }

    /** Why {@code w} cannot be quantized as a weight, or {@code null} if it can. */
    private static String weightProblem(String w, Map<String, TensorProto> inits, Set<String> constant, int minRank) {
        TensorProto t = inits.get(w);
        if (t == null) {
            return constant.contains(w) ? "its weight '" + w + "' is computed from constants (fold it first)"
                    : "its weight '" + w + "' is not an initializer";
        }
        if (t.getDataType() != ElementType.FLOAT.onnx()) {
            return "its weight '" + w + "' is " + ElementType.fromOnnx(t.getDataType()) + ", not float32";
        }
        if (t.getDimsCount() < minRank) {
            return "its weight '" + w + "' has rank " + t.getDimsCount() + " (expected >= " + minRank + ")";
        }
        return null;
    }

    /** The residual input of an Add fed by a quantized Conv (directly or through BatchNormalization). */
    private static Target residualAdd(NodeProto add, int i, List<NodeProto> nodes, Map<String, Integer> producers,
                                      Set<Integer> quantizedConvs, Set<String> constant) {
        boolean[] fromConv = new boolean[2];
        for (int k = 0; k < 2; k++) {
            Integer p = producers.get(add.getInput(k));
            if (p != null && nodes.get(p).getOpType().equals("BatchNormalization")) {
                p = producers.get(nodes.get(p).getInput(0));
            }
            fromConv[k] = p != null && quantizedConvs.contains(p);
        }
        if (fromConv[0] == fromConv[1]) {
            return null; // neither (not a Conv epilogue) or both (the other Conv's own output stays its own)
        }
        int residual = fromConv[0] ? 1 : 0;
        String r = add.getInput(residual);
        if (constant.contains(r)) {
            return null; // a bias-like constant, not a residual branch
        }
        return new Target(i, label(add, i), "Add", List.of(new ActivationInput(i, residual, r)), null);
    }

    private static long intAttr(NodeProto n, String name, long dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return dflt;
    }

    static String label(NodeProto n, int i) {
        return n.getName().isEmpty() ? n.getOpType() + "#" + i : n.getName();
    }
}

package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.proto.NodeProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which nodes of the main graph compute in float16 and why the others stay float32 — the rules listed on
 * {@link Fp16Converter}, applied in their order of precedence. Nothing is rewritten here.
 */
final class Fp16Decisions {
    /** How a node takes part in the conversion. */
    enum Role {
        /** No float data: left exactly as it is. */
        NEUTRAL,
        /** A Constant with a float value: stored in the precision its readers need. */
        CONSTANT,
        /** Cast / ConstantOfShape to float: output precision chosen by what its readers need. */
        FREE,
        /** Computes on float data: float16 or float32 by the rules. */
        COMPUTE
    }

    /** Why a node stays float32: a reason shared by all such nodes, and what in this node triggered it. */
    record Keep(String reason, String detail) {
        Keep(String reason) {
            this(reason, "");
        }
    }

    static final String HUGE_WEIGHT = "reads a weight beyond float16's range (|x| > 65504)";
    static final String HUGE_DERIVED = "reads a value computed from a weight beyond float16's range";
    static final String AMPLIFIED = "feeds a multiplication by a weight beyond float16's range, which would"
            + " multiply its float16 rounding error as much";

    /** Operators that multiply an operand by a weight (as opposed to dividing by it or normalizing with it). */
    private static final Set<String> AMPLIFYING = Set.of("Mul", "MatMul", "Gemm", "Conv", "ConvTranspose", "Einsum");

    /**
     * Operators whose output can be as large as their (first) input: a huge value passes through them. Others
     * (Log, Sqrt, Sigmoid, Softmax, normalizations, comparisons) bring it back into range or drop it.
     */
    private static final Set<String> MAGNITUDE_CARRYING = Set.of("Add", "Sub", "Mul", "Div", "Neg", "Abs", "Relu",
            "LeakyRelu", "PRelu", "Max", "Min", "Sum", "Mean", "MatMul", "Gemm", "Conv", "ConvTranspose", "Einsum",
            "Concat", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Slice", "Gather", "GatherElements",
            "GatherND", "Expand", "Tile", "Pad", "Identity", "Where", "Split", "Cast", "ReduceMax", "ReduceMin",
            "ReduceSum", "ReduceMean", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Resize",
            "Upsample", "Round", "Floor", "Ceil", "CumSum", "Pow", "Exp");

    private final Fp16Graph g;
    private final Fp16Converter.Options options;
    private final Fp16AutoPolicy auto;
    private final Role[] role;
    private final Fp16Precision[] precision;
    private final Keep[] keep;
    /**
     * Float tensors that may hold values beyond float16's range because they were computed from such a weight
     * (an attention mask multiplied by -3.4e38, a spectrogram scaled by 2^20), with the weight's name.
     */
    private final Map<String, String> hugeFrom = new HashMap<>();

    Fp16Decisions(Fp16Graph g, Fp16Converter.Options options) {
        this.g = g;
        this.options = options;
        this.auto = options.autoRanges().isEmpty() ? null : new Fp16AutoPolicy(options.autoRanges(), options.autoMargin());
        int n = g.nodes.size();
        this.role = new Role[n];
        this.precision = new Fp16Precision[n];
        this.keep = new Keep[n];
        classify();
        keepUpstreamOfAmplifiers();
    }

    Role role(int i) {
        return role[i];
    }

    /** The precision of a COMPUTE node. */
    Fp16Precision precision(int i) {
        return precision[i];
    }

    /** Why a COMPUTE node stays float32, or null if it is converted. */
    Keep keep(int i) {
        return keep[i];
    }

    private void classify() {
        Set<String> shapeDerived = new HashSet<>();
        Map<Integer, String> normalization = Fp16NormalizationPattern.find(g.nodes, g.producers, g.consumers,
                constantClosure());
        for (int i : g.order) {
            NodeProto n = g.nodes.get(i);
            List<Integer> ins = g.floatDataInputs(n);
            List<Integer> outs = g.floatOutputs(n);
            boolean shapeArithmetic = trackShapeDerived(n, shapeDerived);
            if (Fp16Graph.isConstantNode(n)) {
                role[i] = g.weights.contains(n.getOutput(0)) ? Role.CONSTANT : Role.NEUTRAL;
                continue;
            }
            if (ins.isEmpty() && outs.isEmpty()) {
                role[i] = Role.NEUTRAL;
                continue;
            }
            Keep why = decide(n, ins, outs, shapeArithmetic, normalization.get(i));
            trackHugeValues(n, ins, outs, why);
            boolean free = Fp16Graph.isDefault(n) && (n.getOpType().equals("Cast") || n.getOpType().equals("ConstantOfShape"))
                    && outs.equals(List.of(0));
            if (free && why == null) {
                role[i] = Role.FREE;
            } else {
                role[i] = Role.COMPUTE;
                precision[i] = why == null ? Fp16Precision.F16 : Fp16Precision.F32;
                keep[i] = why;
            }
        }
    }

    /** Constants and everything computed from constants alone: candidates for the epsilon of a normalization. */
    private Set<String> constantClosure() {
        Set<String> c = new HashSet<>(g.initializers.keySet());
        for (int i : g.order) {
            NodeProto n = g.nodes.get(i);
            boolean allConst = n.getInputList().stream().allMatch(in -> in.isEmpty() || c.contains(in))
                    && !Fp16Graph.hasSubgraph(n);
            if (allConst) {
                n.getOutputList().forEach(c::add);
            }
        }
        return c;
    }

    /**
     * Tracks tensors whose values are tensor dimensions: Shape/Size outputs and what is computed from them
     * (with constants) without reading float data that is not itself such a value. Returns whether {@code n}
     * does float arithmetic on such values ({@code Cast(Shape) -> Mul(scale) -> Floor}), as opposed to e.g.
     * a Gather of float weights at indices computed from a shape.
     */
    private boolean trackShapeDerived(NodeProto n, Set<String> shapeDerived) {
        if (Fp16Graph.isDefault(n) && (n.getOpType().equals("Shape") || n.getOpType().equals("Size"))) {
            n.getOutputList().forEach(shapeDerived::add);
            return false;
        }
        if (Fp16Graph.hasSubgraph(n) || n.getInputCount() == 0) {
            return false;
        }
        boolean anyDerived = false;
        for (String in : n.getInputList()) {
            if (in.isEmpty()) {
                continue;
            }
            if (shapeDerived.contains(in)) {
                anyDerived = true;
            } else if (!g.isConstantValue(in)) {
                return false;
            }
        }
        List<Integer> floatIns = g.floatDataInputs(n);
        boolean floatDerived = floatIns.stream().anyMatch(k -> shapeDerived.contains(n.getInput(k)));
        if (anyDerived && (floatIns.isEmpty() || floatDerived)) {
            n.getOutputList().forEach(shapeDerived::add);
        }
        return floatDerived;
    }

    /** Why node {@code n} stays float32, or null to convert it. */
    private Keep decide(NodeProto n, List<Integer> ins, List<Integer> outs, boolean shapeArithmetic, String normalization) {
        String op = n.getOpType();
        if (Fp16Graph.hasSubgraph(n)) {
            return new Keep("control flow: If/Loop/Scan bodies are left in float32 (subgraphs are not"
                    + " converted; the values they capture are passed as float32)");
        }
        if (!Fp16Graph.isDefault(n)) {
            return new Keep("operator from a custom domain: its type constraints are unknown to this pass",
                    "domain '" + n.getDomain() + "'");
        }
        if (Fp16OpRules.attributeTyped(op)) {
            return new Keep("output type is set by an attribute (dtype), not by its inputs");
        }
        for (int k = 0; k < n.getInputCount(); k++) {
            String in = n.getInput(k);
            if (!in.isEmpty() && !g.types.containsKey(in) && !Fp16OpRules.anyTypeInput(op, k)) {
                return new Keep("a tensor's element type is unknown (no value_info, no type rule)", "input '" + in + "'");
            }
        }
        for (String o : n.getOutputList()) {
            if (!o.isEmpty() && !g.types.containsKey(o)) {
                return new Keep("a tensor's element type is unknown (no value_info, no type rule)", "output '" + o + "'");
            }
        }
        boolean anyFree = ins.stream().anyMatch(k -> !Fp16OpRules.fixedInput(op, g.opset, k))
                || outs.stream().anyMatch(k -> !Fp16OpRules.fixedOutput(op, g.opset, k));
        if (!anyFree) {
            return new Keep("the ONNX type constraints of this operator version have no float16 for its float"
                    + " inputs/outputs", "ONNX " + Fp16OpRules.versionLabel(op, g.opset) + " (model opset " + g.opset + ")");
        }
        String name = n.getName();
        if (!name.isEmpty() && options.allowNodes().contains(name)) {
            return null;
        }
        for (int k : ins) {
            String weight = n.getInput(k);
            if (!g.weights.contains(weight) || Fp16OpRules.fixedInput(op, g.opset, k)) {
                continue;
            }
            Fp16Graph.WeightRange r = g.weightRange(weight);
            if (r.beyondFloat16()) {
                return new Keep(HUGE_WEIGHT, "'" + weight + "' up to " + (float) r.maxAbs());
            }
            if (r.vanishes()) {
                return new Keep("reads a weight whose nonzero values round to 0 in float16 (an epsilon)",
                        "'" + weight + "' |x| <= " + (float) r.maxAbs());
            }
        }
        for (int k : ins) {
            String from = hugeFrom.get(n.getInput(k));
            if (from != null) {
                return new Keep(HUGE_DERIVED, "'" + n.getInput(k) + "' (from weight '" + from + "')");
            }
        }
        if (!name.isEmpty() && options.blockNodes().contains(name)) {
            return new Keep("node listed in blockNodes");
        }
        if (shapeArithmetic) {
            return new Keep("float arithmetic on tensor dimensions (from Shape/Size): float16 is exact for"
                    + " integers only up to 2048");
        }
        if (auto != null) {
            List<String> touched = new ArrayList<>();
            ins.forEach(k -> touched.add(n.getInput(k)));
            outs.forEach(k -> touched.add(n.getOutput(k)));
            Optional<String> worst = auto.worstUnsafe(touched);
            if (worst.isPresent()) {
                return new Keep(auto.reason(), auto.detail(worst.get()));
            }
        }
        Optional<String> blocked = options.opBlockReason(op);
        if (blocked.isPresent()) {
            return new Keep(blocked.get());
        }
        if (normalization != null && !options.allowOps().contains(op)) {
            return new Keep(normalization);
        }
        return null;
    }

    /**
     * Marks the outputs of a float32 node (whatever kept it float32) as possibly huge when it read a huge weight
     * or a possibly huge value and its operator carries magnitudes through (arithmetic, data movement); a Log,
     * Sqrt, Softmax or normalization does not, and stops the marking. The readers of marked tensors stay float32
     * (a float16 copy of 1.7e7 is infinity), which the automatic mode would find from ranges; this needs none.
     */
    private void trackHugeValues(NodeProto n, List<Integer> ins, List<Integer> outs, Keep why) {
        if (why == null) {
            return; // converted anyway (allowNodes): its float16 output is clamped or infinite, not huge
        }
        String from = null;
        for (int k : ins) {
            String in = n.getInput(k);
            if (hugeFrom.containsKey(in)) {
                from = hugeFrom.get(in);
            } else if (g.weights.contains(in) && g.weightRange(in).beyondFloat16()) {
                from = in;
            }
            boolean divisor = n.getOpType().equals("Div") && k == 1;
            if (from != null && !divisor) {
                break;
            }
            from = null;
        }
        if (from != null && Fp16Graph.isDefault(n) && MAGNITUDE_CARRYING.contains(n.getOpType())) {
            for (int k : outs) {
                hugeFrom.put(n.getOutput(k), from);
            }
        }
    }

    /**
     * A multiplication by a weight beyond float16's range (e.g. a spectrogram scaled by 2^20 before a log)
     * multiplies the absolute error of its other operand by as much: float16 rounding upstream (1e-4 of a
     * signal's scale, after cancellation in an STFT) becomes an error of 100 after it. So everything that
     * computes that operand stays float32 too, back to the graph inputs or to non-float data; nodes named in
     * allowNodes excepted.
     */
    private void keepUpstreamOfAmplifiers() {
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        Map<Integer, String> cause = new HashMap<>();
        for (int i : g.order) {
            if (role[i] == Role.COMPUTE && keep[i] != null && keep[i].reason().equals(HUGE_WEIGHT)
                    && AMPLIFYING.contains(g.nodes.get(i).getOpType())) {
                todo.add(i);
                cause.put(i, "into " + g.label(i) + " (" + keep[i].detail() + ")");
            }
        }
        Set<Integer> seen = new HashSet<>(todo);
        while (!todo.isEmpty()) {
            int i = todo.poll();
            for (int k : g.floatDataInputs(g.nodes.get(i))) {
                Integer p = g.producers.get(g.nodes.get(i).getInput(k));
                if (p == null || !seen.add(p) || role[p] == Role.NEUTRAL || role[p] == Role.CONSTANT) {
                    continue;
                }
                NodeProto pn = g.nodes.get(p);
                if (!pn.getName().isEmpty() && options.allowNodes().contains(pn.getName())) {
                    continue;
                }
                if (role[p] == Role.FREE || precision[p] == Fp16Precision.F16) {
                    role[p] = Role.COMPUTE;
                    precision[p] = Fp16Precision.F32;
                    keep[p] = new Keep(AMPLIFIED, cause.get(i));
                }
                cause.put(p, cause.get(i));
                todo.add(p);
            }
        }
    }
}

package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts a float32 ONNX model to mixed float16/float32: compute and weights in float16, numerically
 * sensitive operators kept in float32, Casts at the boundaries. The result is plain ONNX, so it runs on ONNX
 * Runtime CPU (which casts float16 nodes it has no float16 kernel for) and is what a strongly-typed
 * TensorRT network is built from.
 *
 * <pre>{@code
 * Fp16Converter.Converted c = Fp16Converter.convert(OnnxModel.load(path), Fp16Converter.Options.defaults());
 * c.model().write(out);
 * c.report().summaryLines().forEach(System.out::println);
 * }</pre>
 *
 * <p>Which nodes stay float32, in order of precedence:
 * <ol>
 *   <li>what cannot be float16: nodes with subgraphs (If/Loop/Scan: their bodies are left float32 and the
 *       values they capture are passed as float32), custom-domain operators, operators whose output type is
 *       an attribute, nodes touching a tensor of unknown type, and operator versions whose ONNX type
 *       constraints have no float16 ({@link Fp16OpRules}, e.g. Range-11, NonMaxSuppression);</li>
 *   <li>{@link Options#allowNodes()} forces the named nodes to float16 past every rule below;</li>
 *   <li>{@link Options#blockNodes()};</li>
 *   <li>float arithmetic on tensor dimensions ({@code Shape -> Cast -> Mul -> ...}): float16 is exact for
 *       integers only up to 2048;</li>
 *   <li>the automatic policy when {@link Options#autoRanges()} is given ({@link Fp16AutoPolicy});</li>
 *   <li>the operator block list ({@link Fp16BlockList} plus {@link Options#blockOps()} minus
 *       {@link Options#allowOps()}) and the tails of decomposed normalizations
 *       ({@link Fp16NormalizationPattern}).</li>
 * </ol>
 *
 * <p>Integer and boolean tensors are never touched, so shape inputs stay int64. Float weights (initializers
 * and Constant nodes) read only by float16 nodes are stored as float16 (values beyond +-65504 clamped to
 * +-65504 rather than becoming infinite, e.g. the -3.4e38 of attention masks); weights read by both
 * precisions keep their float32 copy and get a float16 one. Model inputs and outputs keep their float32 type
 * unless {@link Options#keepIoTypes()} is false. Only the main graph is converted.
 */
public final class Fp16Converter {
    private static final Logger LOG = LoggerFactory.getLogger(Fp16Converter.class);

    private Fp16Converter() {
    }

    /**
     * What to convert.
     *
     * @param blockOps    operator types kept float32 in addition to {@link Fp16BlockList#defaults()}
     * @param allowOps    operator types removed from the block list (and from the normalization pattern)
     * @param blockNodes  node names kept float32
     * @param allowNodes  node names converted even if their operator type is blocked (schema limits still apply)
     * @param keepIoTypes keep float32 model inputs and outputs (Casts inside the model); false makes them float16
     * @param autoRanges  largest absolute value per tensor name observed on sample data, for
     *                    {@link Fp16AutoPolicy}; empty for no automatic mode
     * @param autoMargin  the policy's headroom factor ({@link Fp16AutoPolicy#DEFAULT_MARGIN} by default)
     */
    public record Options(Set<String> blockOps, Set<String> allowOps, Set<String> blockNodes, Set<String> allowNodes,
                          boolean keepIoTypes, Map<String, Double> autoRanges, double autoMargin) {
        public Options {
            blockOps = blockOps == null ? Set.of() : Set.copyOf(blockOps);
            allowOps = allowOps == null ? Set.of() : Set.copyOf(allowOps);
            blockNodes = blockNodes == null ? Set.of() : Set.copyOf(blockNodes);
            allowNodes = allowNodes == null ? Set.of() : Set.copyOf(allowNodes);
            autoRanges = autoRanges == null ? Map.of() : Map.copyOf(autoRanges);
            if (!(autoMargin >= 1) || Double.isInfinite(autoMargin)) {
                throw new IllegalArgumentException("autoMargin must be a finite number >= 1, got " + autoMargin);
            }
            Set<String> both = new HashSet<>(blockNodes);
            both.retainAll(allowNodes);
            if (!both.isEmpty()) {
                throw new IllegalArgumentException("nodes both blocked and allowed: " + both);
            }
        }

        /** The defaults: the default block list, float32 I/O, no automatic mode. */
        public static Options defaults() {
            return builder().build();
        }

        /** A builder starting from the defaults. */
        public static Builder builder() {
            return new Builder();
        }

        /** Why operator type {@code op} (ai.onnx) is blocked under these options, if it is. */
        public Optional<String> opBlockReason(String op) {
            if (allowOps.contains(op)) {
                return Optional.empty();
            }
            if (blockOps.contains(op)) {
                return Optional.of("operator type listed in blockOps");
            }
            return Fp16BlockList.reason(op);
        }

        /** Builder for {@link Options}. */
        public static final class Builder {
            private final Set<String> blockOps = new LinkedHashSet<>();
            private final Set<String> allowOps = new LinkedHashSet<>();
            private final Set<String> blockNodes = new LinkedHashSet<>();
            private final Set<String> allowNodes = new LinkedHashSet<>();
            private boolean keepIoTypes = true;
            private Map<String, Double> autoRanges = Map.of();
            private double autoMargin = Fp16AutoPolicy.DEFAULT_MARGIN;

            private Builder() {
            }

            /** Adds operator types to keep float32. */
            public Builder blockOps(String... ops) {
                blockOps.addAll(List.of(ops));
                return this;
            }

            /** Removes operator types from the block list. */
            public Builder allowOps(String... ops) {
                allowOps.addAll(List.of(ops));
                return this;
            }

            /** Adds node names to keep float32. */
            public Builder blockNodes(String... nodes) {
                blockNodes.addAll(List.of(nodes));
                return this;
            }

            /** Adds node names to convert whatever their operator type. */
            public Builder allowNodes(String... nodes) {
                allowNodes.addAll(List.of(nodes));
                return this;
            }

            /** Whether model inputs and outputs stay float32 (default true). */
            public Builder keepIoTypes(boolean keep) {
                keepIoTypes = keep;
                return this;
            }

            /** Observed max-abs per tensor for the automatic mode. */
            public Builder autoRanges(Map<String, Double> ranges) {
                autoRanges = Objects.requireNonNull(ranges, "ranges");
                return this;
            }

            /** Headroom factor of the automatic mode. */
            public Builder autoMargin(double margin) {
                autoMargin = margin;
                return this;
            }

            public Options build() {
                return new Options(blockOps, allowOps, blockNodes, allowNodes, keepIoTypes, autoRanges, autoMargin);
            }
        }
    }

    /** The converted model (same folder for external data as the input) and what was done. */
    public record Converted(OnnxModel model, Fp16Report report) {
    }

    /**
     * Converts {@code model}.
     *
     * @throws dev.javelin.runtime.ModelException if the graph is invalid (dangling names, cycles), naming the node
     */
    public static Converted convert(OnnxModel model, Options options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        model.validate();
        Converted c = new Pass(model, options).run();
        LOG.info("{}: {}", model.displayName(), c.report().summaryLines().get(0));
        return c;
    }

    private static final String HUGE_WEIGHT = "reads a weight beyond float16's range (|x| > 65504)";
    private static final String HUGE_DERIVED = "reads a value computed from a weight beyond float16's range";
    private static final String AMPLIFIED = "feeds a multiplication by a weight beyond float16's range, which would"
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

    /** The two precisions a float value can have after conversion. */
    enum Precision {
        F32(ElementType.FLOAT, "float32", "_fp32"),
        F16(ElementType.FLOAT16, "float16", "_fp16");

        final ElementType type;
        final String label;
        final String suffix;

        Precision(ElementType type, String label, String suffix) {
            this.type = type;
            this.label = label;
            this.suffix = suffix;
        }

        Precision other() {
            return this == F32 ? F16 : F32;
        }
    }

    /** How a node takes part in the conversion. */
    private enum Role {
        /** No float data: left exactly as it is. */
        NEUTRAL,
        /** A Constant with a float value: stored in the precision its readers need. */
        CONSTANT,
        /** Cast / ConstantOfShape to float: output precision chosen by what its readers need. */
        FREE,
        /** Computes on float data: float16 or float32 by the rules. */
        COMPUTE
    }

    /** One conversion; holds the analysis of the main graph. */
    private static final class Pass {
        private final OnnxModel model;
        private final Options options;
        private final GraphProto graph;
        private final List<NodeProto> nodes;
        private final List<Integer> order;
        private final long opset;
        private final Map<String, ElementType> types;
        private final Map<String, Integer> producers;
        private final Map<String, List<Integer>> consumers;
        private final Set<String> graphInputs = new LinkedHashSet<>();
        private final Set<String> graphOutputs = new LinkedHashSet<>();
        private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
        private final Set<String> constants = new HashSet<>();
        private final Set<String> implicitReads = new HashSet<>();
        private final Fp16AutoPolicy auto;
        private final Set<String> usedNames = new HashSet<>();
        private final List<String> notes = new ArrayList<>();

        private final Role[] role;
        private final Precision[] precision;
        private final Keep[] reason;
        private final Map<String, EnumSet<Precision>> needs = new HashMap<>();
        private final Map<String, Precision> home = new HashMap<>();
        private final Map<String, Precision> pinned = new HashMap<>();
        private final Map<String, EnumMap<Precision, String>> names = new HashMap<>();

        private List<String> castList = List.of();
        private int weightsConverted;
        private int weightCopies;
        private long clamped;

        Pass(OnnxModel model, Options options) {
            this.model = model;
            this.options = options;
            this.graph = model.proto().getGraph();
            this.nodes = graph.getNodeList();
            OnnxGraph og = model.graph();
            this.order = og.topologicalOrder();
            this.opset = model.defaultOpset();
            this.producers = og.producers();
            this.consumers = og.consumers();
            List<NodeProto> sorted = order.stream().map(nodes::get).toList();
            this.types = Fp16TypeInference.infer(graph, sorted, Map.of());
            graph.getInputList().forEach(v -> graphInputs.add(v.getName()));
            graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
            for (TensorProto t : graph.getInitializerList()) {
                if (!graphInputs.contains(t.getName())) {
                    initializers.put(t.getName(), t);
                    constants.add(t.getName());
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                implicitReads.addAll(og.implicitInputs(i));
            }
            this.auto = options.autoRanges().isEmpty() ? null : new Fp16AutoPolicy(options.autoRanges(), options.autoMargin());
            collectNames(model.proto().getGraph());
            this.role = new Role[nodes.size()];
            this.precision = new Precision[nodes.size()];
            this.reason = new Keep[nodes.size()];
        }

        private void collectNames(GraphProto g) {
            dev.javelin.builder.onnx.ModelWalk.forEachGraph(g, 0, (sub, depth) -> {
                sub.getInputList().forEach(v -> usedNames.add(v.getName()));
                sub.getOutputList().forEach(v -> usedNames.add(v.getName()));
                sub.getValueInfoList().forEach(v -> usedNames.add(v.getName()));
                sub.getInitializerList().forEach(t -> usedNames.add(t.getName()));
                for (NodeProto n : sub.getNodeList()) {
                    usedNames.addAll(n.getInputList());
                    usedNames.addAll(n.getOutputList());
                    usedNames.add(n.getName());
                }
            });
        }

        Converted run() {
            classify();
            keepUpstreamOfAmplifiers();
            collectNeeds();
            assignHomes();
            assignNames();
            GraphProto out = rewrite();
            return new Converted(model.withProto(model.proto().toBuilder().setGraph(out).build()), report());
        }

        // ---- analysis ------------------------------------------------------------------------------

        private boolean isFloat(String name) {
            return !name.isEmpty() && types.get(name) == ElementType.FLOAT;
        }

        /** Float inputs whose type follows the node (not any-type positions). */
        private List<Integer> floatDataInputs(NodeProto n) {
            List<Integer> ks = new ArrayList<>();
            for (int k = 0; k < n.getInputCount(); k++) {
                if (isFloat(n.getInput(k)) && !(isDefault(n) && Fp16OpRules.anyTypeInput(n.getOpType(), k))) {
                    ks.add(k);
                }
            }
            return ks;
        }

        private List<Integer> floatOutputs(NodeProto n) {
            List<Integer> ks = new ArrayList<>();
            for (int k = 0; k < n.getOutputCount(); k++) {
                if (isFloat(n.getOutput(k))) {
                    ks.add(k);
                }
            }
            return ks;
        }

        private void classify() {
            Set<String> shapeDerived = new HashSet<>();
            Map<Integer, String> normalization = Fp16NormalizationPattern.find(nodes, producers, consumers,
                    constantClosure());
            for (int i : order) {
                NodeProto n = nodes.get(i);
                List<Integer> ins = floatDataInputs(n);
                List<Integer> outs = floatOutputs(n);
                boolean shapeArithmetic = trackShapeDerived(n, shapeDerived);
                if (isDefault(n) && n.getOpType().equals("Constant")) {
                    role[i] = !outs.isEmpty() && convertibleConstant(n) ? Role.CONSTANT : Role.NEUTRAL;
                    if (role[i] == Role.CONSTANT) {
                        constants.add(n.getOutput(0));
                    }
                    continue;
                }
                if (ins.isEmpty() && outs.isEmpty()) {
                    role[i] = Role.NEUTRAL;
                    continue;
                }
                Keep why = decide(i, n, ins, outs, shapeArithmetic, normalization.get(i));
                trackHugeValues(n, ins, outs, why);
                boolean free = isDefault(n) && (n.getOpType().equals("Cast") || n.getOpType().equals("ConstantOfShape"))
                        && outs.equals(List.of(0));
                if (free && why == null) {
                    role[i] = Role.FREE;
                } else {
                    role[i] = Role.COMPUTE;
                    precision[i] = why == null ? Precision.F16 : Precision.F32;
                    reason[i] = why;
                }
            }
        }

        /** Constants and everything computed from constants alone: candidates for the epsilon of a normalization. */
        private Set<String> constantClosure() {
            Set<String> c = new HashSet<>(initializers.keySet());
            for (int i : order) {
                NodeProto n = nodes.get(i);
                boolean allConst = n.getInputList().stream().allMatch(in -> in.isEmpty() || c.contains(in))
                        && !hasSubgraph(n);
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
            if (isDefault(n) && (n.getOpType().equals("Shape") || n.getOpType().equals("Size"))) {
                n.getOutputList().forEach(shapeDerived::add);
                return false;
            }
            if (hasSubgraph(n) || n.getInputCount() == 0) {
                return false;
            }
            boolean anyDerived = false;
            for (String in : n.getInputList()) {
                if (in.isEmpty()) {
                    continue;
                }
                if (shapeDerived.contains(in)) {
                    anyDerived = true;
                } else if (!constants.contains(in) && !isConstantOutput(in)) {
                    return false;
                }
            }
            List<Integer> floatIns = floatDataInputs(n);
            boolean floatDerived = floatIns.stream().anyMatch(k -> shapeDerived.contains(n.getInput(k)));
            if (anyDerived && (floatIns.isEmpty() || floatDerived)) {
                n.getOutputList().forEach(shapeDerived::add);
            }
            return floatDerived;
        }

        private boolean isConstantOutput(String name) {
            Integer p = producers.get(name);
            return p != null && isDefault(nodes.get(p)) && nodes.get(p).getOpType().equals("Constant");
        }

        /**
         * Float tensors that may hold values beyond float16's range because they were computed from such a weight
         * (e.g. an attention mask multiplied by -3.4e38, a spectrogram scaled by 2^20), with the weight's name.
         */
        private final Map<String, String> hugeFrom = new HashMap<>();

        /**
         * Marks the outputs of a float32 node (whatever kept it float32) as possibly huge when it read a huge weight
         * or a possibly huge value and its operator carries magnitudes through (arithmetic, data movement); a Log, Sqrt, Softmax or
         * normalization does not, and stops the marking. The readers of marked tensors stay float32 (a float16
         * copy of 1.7e7 is infinity), which the automatic mode would find from ranges; this needs none.
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
                } else if (constants.contains(in) && !(weightRange(in).maxAbs() <= Fp16AutoPolicy.FLOAT16_MAX)) {
                    from = in;
                }
                boolean divisorOnly = n.getOpType().equals("Div") && k == 1;
                if (from != null && !divisorOnly) {
                    break;
                }
                from = null;
            }
            if (from != null && isDefault(n) && MAGNITUDE_CARRYING.contains(n.getOpType())) {
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
            java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>();
            Map<Integer, String> cause = new HashMap<>();
            for (int i : order) {
                NodeProto n = nodes.get(i);
                if (role[i] == Role.COMPUTE && reason[i] != null && reason[i].reason().equals(HUGE_WEIGHT)
                        && AMPLIFYING.contains(n.getOpType())) {
                    todo.add(i);
                    cause.put(i, "into " + label(i) + " (" + reason[i].detail() + ")");
                }
            }
            Set<Integer> seen = new HashSet<>(todo);
            while (!todo.isEmpty()) {
                int i = todo.poll();
                for (int k : floatDataInputs(nodes.get(i))) {
                    Integer p = producers.get(nodes.get(i).getInput(k));
                    if (p == null || !seen.add(p) || role[p] == Role.NEUTRAL || role[p] == Role.CONSTANT) {
                        continue;
                    }
                    NodeProto pn = nodes.get(p);
                    if (!pn.getName().isEmpty() && options.allowNodes().contains(pn.getName())) {
                        continue;
                    }
                    if (role[p] == Role.FREE || precision[p] == Precision.F16) {
                        role[p] = Role.COMPUTE;
                        precision[p] = Precision.F32;
                        reason[p] = new Keep(AMPLIFIED, cause.get(i));
                    }
                    cause.put(p, cause.get(i));
                    todo.add(p);
                }
            }
        }

        private String label(int i) {
            NodeProto n = nodes.get(i);
            return n.getName().isEmpty() ? "#" + i : "'" + n.getName() + "'";
        }

        /** Why a node stays float32: a reason shared by all such nodes, and what in this node triggered it. */
        private record Keep(String reason, String detail) {
            Keep(String reason) {
                this(reason, "");
            }
        }

        /** Why node {@code i} stays float32, or null to convert it. */
        private Keep decide(int i, NodeProto n, List<Integer> ins, List<Integer> outs, boolean shapeArithmetic,
                              String normalization) {
            String op = n.getOpType();
            if (hasSubgraph(n)) {
                return new Keep("control flow: If/Loop/Scan bodies are left in float32 (subgraphs are not"
                        + " converted; the values they capture are passed as float32)");
            }
            if (!isDefault(n)) {
                return new Keep("operator from a custom domain: its type constraints are unknown to this pass",
                        "domain '" + n.getDomain() + "'");
            }
            if (Fp16OpRules.attributeTyped(op)) {
                return new Keep("output type is set by an attribute (dtype), not by its inputs");
            }
            for (int k = 0; k < n.getInputCount(); k++) {
                String in = n.getInput(k);
                if (!in.isEmpty() && !types.containsKey(in) && !Fp16OpRules.anyTypeInput(op, k)) {
                    return new Keep("a tensor's element type is unknown (no value_info, no type rule)", "input '" + in + "'");
                }
            }
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && !types.containsKey(o)) {
                    return new Keep("a tensor's element type is unknown (no value_info, no type rule)", "output '" + o + "'");
                }
            }
            boolean anyFree = ins.stream().anyMatch(k -> !Fp16OpRules.fixedInput(op, opset, k))
                    || outs.stream().anyMatch(k -> !Fp16OpRules.fixedOutput(op, opset, k));
            if (!anyFree) {
                return new Keep("the ONNX type constraints of this operator version have no float16 for its float"
                        + " inputs/outputs", "ONNX " + Fp16OpRules.versionLabel(op, opset) + " (model opset " + opset + ")");
            }
            String name = n.getName();
            if (!name.isEmpty() && options.allowNodes().contains(name)) {
                return null;
            }
            for (int k : ins) {
                String weight = n.getInput(k);
                if (!constants.contains(weight) || Fp16OpRules.fixedInput(op, opset, k)) {
                    continue;
                }
                WeightRange r = weightRange(weight);
                if (!(r.maxAbs() <= Fp16AutoPolicy.FLOAT16_MAX)) {
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
         * Largest magnitude of a float weight, and whether all its nonzero values are below half the smallest
         * float16 subnormal (2^-25) and so round to 0 (an epsilon like 1e-12).
         */
        private record WeightRange(double maxAbs, boolean vanishes) {
        }

        private final Map<String, WeightRange> weightRanges = new HashMap<>();

        private WeightRange weightRange(String name) {
            return weightRanges.computeIfAbsent(name, k -> {
                TensorProto t = initializers.get(k);
                float[] v = t != null ? Tensors.toFloats(model.tensorBytes(t)) : constantValues(nodes.get(producers.get(k)));
                double max = 0;
                boolean anyNonzero = false;
                for (float x : v) {
                    double a = Math.abs(x);
                    if (!(a <= max)) {
                        max = a; // NaN sticks: not representable either
                    }
                    anyNonzero |= x != 0;
                }
                return new WeightRange(max, anyNonzero && max < 0x1p-25);
            });
        }

        private float[] constantValues(NodeProto n) {
            AttributeProto a = n.getAttribute(0);
            return switch (a.getName()) {
                case "value" -> Tensors.toFloats(model.tensorBytes(a.getT()));
                case "value_float" -> new float[] {a.getF()};
                default -> {
                    float[] v = new float[a.getFloatsCount()];
                    for (int k = 0; k < v.length; k++) {
                        v[k] = a.getFloats(k);
                    }
                    yield v;
                }
            };
        }

        private static boolean convertibleConstant(NodeProto n) {
            if (n.getAttributeCount() != 1) {
                return false;
            }
            String a = n.getAttribute(0).getName();
            return a.equals("value") || a.equals("value_float") || a.equals("value_floats");
        }

        private void need(String tensor, Precision p) {
            needs.computeIfAbsent(tensor, k -> EnumSet.noneOf(Precision.class)).add(p);
        }

        /** The precision every reader of every float tensor needs. */
        private void collectNeeds() {
            for (int i : order) {
                NodeProto n = nodes.get(i);
                if (role[i] == Role.COMPUTE) {
                    for (int k : floatDataInputs(n)) {
                        boolean fixed = isDefault(n) && Fp16OpRules.fixedInput(n.getOpType(), opset, k);
                        need(n.getInput(k), fixed ? Precision.F32 : precision[i]);
                    }
                }
            }
            for (String t : implicitReads) {
                if (isFloat(t)) {
                    need(t, Precision.F32);
                    pinned.put(t, Precision.F32);
                }
            }
            for (String out : graphOutputs) {
                if (!isFloat(out)) {
                    continue;
                }
                Precision p = options.keepIoTypes() ? Precision.F32 : Precision.F16;
                if (p == Precision.F16 && implicitReads.contains(out)) {
                    notes.add("output '" + out + "' stays float32: a subgraph reads it under that name");
                    p = Precision.F32;
                }
                need(out, p);
                pinned.put(out, p);
            }
        }

        private EnumSet<Precision> needsOf(String t) {
            return needs.getOrDefault(t, EnumSet.noneOf(Precision.class));
        }

        /** The precision each float tensor is produced in. */
        private void assignHomes() {
            for (String in : graphInputs) {
                if (!isFloat(in)) {
                    continue;
                }
                Precision p = Precision.F32;
                if (!options.keepIoTypes()) {
                    if (implicitReads.contains(in)) {
                        notes.add("input '" + in + "' stays float32: a subgraph reads it under that name");
                    } else {
                        p = Precision.F16;
                    }
                }
                home.put(in, p);
                pinned.put(in, p);
            }
            for (String t : initializers.keySet()) {
                if (isFloat(t)) {
                    home.put(t, constantHome(t));
                }
            }
            for (int i : order) {
                NodeProto n = nodes.get(i);
                for (int k : floatOutputs(n)) {
                    String t = n.getOutput(k);
                    Precision p = switch (role[i]) {
                        case NEUTRAL -> Precision.F32;
                        case CONSTANT -> constantHome(t);
                        case FREE -> needsOf(t).equals(EnumSet.of(Precision.F16)) ? Precision.F16 : Precision.F32;
                        case COMPUTE -> precision[i] == Precision.F16 && !Fp16OpRules.fixedOutput(n.getOpType(), opset, k)
                                ? Precision.F16 : Precision.F32;
                    };
                    home.put(t, p);
                }
            }
        }

        /** A constant is stored in the precision it is pinned to, else float16 if only float16 readers need it. */
        private Precision constantHome(String t) {
            if (pinned.containsKey(t)) {
                return pinned.get(t);
            }
            return needsOf(t).equals(EnumSet.of(Precision.F16)) ? Precision.F16 : Precision.F32;
        }

        private String fresh(String base, Precision p) {
            String candidate = base + p.suffix;
            for (int k = 2; usedNames.contains(candidate); k++) {
                candidate = base + p.suffix + "_" + k;
            }
            usedNames.add(candidate);
            return candidate;
        }

        /**
         * The tensor name of each float value in each precision. The original name goes to the precision it is
         * pinned to (graph outputs, values subgraphs capture), else to the producer's precision.
         */
        private void assignNames() {
            for (Map.Entry<String, Precision> e : home.entrySet()) {
                String t = e.getKey();
                Precision h = e.getValue();
                EnumMap<Precision, String> m = new EnumMap<>(Precision.class);
                Precision p = pinned.get(t);
                if (p != null && p != h) {
                    m.put(p, t);
                    m.put(h, fresh(t, h));
                } else {
                    m.put(h, t);
                    if (needsOf(t).contains(h.other())) {
                        m.put(h.other(), fresh(t, h.other()));
                    }
                }
                names.put(t, m);
            }
        }

        // ---- rewriting -----------------------------------------------------------------------------

        private String nameOf(String t, Precision p) {
            return names.get(t).get(p);
        }

        private GraphProto rewrite() {
            GraphProto.Builder g = graph.toBuilder().clearNode().clearInitializer().clearValueInfo().clearInput()
                    .clearOutput();
            List<String> casts = new ArrayList<>();
            for (ValueInfoProto in : graph.getInputList()) {
                g.addInput(isFloat(in.getName()) ? withType(in, in.getName(), home.get(in.getName())) : in);
            }
            for (TensorProto t : graph.getInitializerList()) {
                String name = t.getName();
                if (!initializers.containsKey(name) || !isFloat(name)) {
                    g.addInitializer(t);
                    continue;
                }
                Precision h = home.get(name);
                g.addInitializer(h == Precision.F16 ? toFloat16(t, name) : t);
                if (h == Precision.F16) {
                    weightsConverted++;
                }
                Precision other = h.other();
                if (names.get(name).containsKey(other)) {
                    g.addInitializer(other == Precision.F16 ? toFloat16(t, nameOf(name, other))
                            : t.toBuilder().setName(nameOf(name, other)).build());
                    weightCopies++;
                }
            }
            for (String in : graphInputs) {
                if (isFloat(in)) {
                    addCasts(g, in, casts);
                }
            }
            for (int i : order) {
                NodeProto n = nodes.get(i);
                g.addNode(rewriteNode(i, n));
                if (role[i] == Role.CONSTANT) {
                    String t = n.getOutput(0);
                    Precision other = home.get(t).other();
                    if (names.get(t).containsKey(other)) {
                        g.addNode(constantCopy(n, nameOf(t, other), other));
                        weightCopies++;
                    }
                    continue;
                }
                for (int k : floatOutputs(n)) {
                    addCasts(g, n.getOutput(k), casts);
                }
            }
            for (ValueInfoProto out : graph.getOutputList()) {
                String name = out.getName();
                g.addOutput(isFloat(name) ? withType(out, name, pinned.get(name)) : out);
            }
            for (ValueInfoProto v : graph.getValueInfoList()) {
                String name = v.getName();
                if (isFloat(name) && names.containsKey(name)) {
                    names.get(name).forEach((p, n) -> g.addValueInfo(withType(v, n, p)));
                } else {
                    g.addValueInfo(v);
                }
            }
            this.castList = casts;
            return g.build();
        }

        /** Casts from where {@code t} is produced to every other precision its readers (or its output) need. */
        private void addCasts(GraphProto.Builder g, String t, List<String> casts) {
            Precision h = home.get(t);
            EnumMap<Precision, String> m = names.get(t);
            if (m.containsKey(h.other())) {
                Precision to = h.other();
                g.addNode(NodeProto.newBuilder().setOpType("Cast").setName(fresh("Fp16Cast/" + t, to))
                        .addInput(m.get(h)).addOutput(m.get(to))
                        .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                                .setI(to.type.onnx()))
                        .build());
                casts.add(t + " -> " + to.label);
            }
        }

        private NodeProto rewriteNode(int i, NodeProto n) {
            if (role[i] == Role.NEUTRAL) {
                // Float tensors read at any-type positions (Shape of a float16 tensor) take the produced name.
                NodeProto.Builder b = n.toBuilder();
                for (int k = 0; k < n.getInputCount(); k++) {
                    String in = n.getInput(k);
                    if (isFloat(in)) {
                        b.setInput(k, nameOf(in, home.get(in)));
                    }
                }
                return b.build();
            }
            NodeProto.Builder b = n.toBuilder();
            for (int k = 0; k < n.getInputCount(); k++) {
                String in = n.getInput(k);
                if (!isFloat(in)) {
                    continue;
                }
                boolean any = isDefault(n) && Fp16OpRules.anyTypeInput(n.getOpType(), k);
                if (any || role[i] != Role.COMPUTE) {
                    b.setInput(k, nameOf(in, home.get(in)));
                } else {
                    boolean fixed = Fp16OpRules.fixedInput(n.getOpType(), opset, k);
                    b.setInput(k, nameOf(in, fixed ? Precision.F32 : precision[i]));
                }
            }
            for (int k = 0; k < n.getOutputCount(); k++) {
                String out = n.getOutput(k);
                if (isFloat(out)) {
                    b.setOutput(k, nameOf(out, home.get(out)));
                }
            }
            if (role[i] == Role.CONSTANT && home.get(n.getOutput(0)) == Precision.F16) {
                weightsConverted++;
                return constantCopy(n, b.getOutput(0), Precision.F16).toBuilder().setName(n.getName()).build();
            }
            if (role[i] == Role.FREE && home.get(n.getOutput(0)) == Precision.F16) {
                if (n.getOpType().equals("Cast")) {
                    setAttribute(b, AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                            .setI(ElementType.FLOAT16.onnx()).build());
                } else { // ConstantOfShape: its value attribute (default float 0) becomes float16
                    TensorProto value = Fp16TypeInference.attr(n, "value").map(AttributeProto::getT)
                            .orElse(Tensors.floats("value", new long[] {1}, 0f));
                    setAttribute(b, AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                            .setT(toFloat16(value, value.getName())).build());
                }
            }
            return b.build();
        }

        private static void setAttribute(NodeProto.Builder b, AttributeProto a) {
            for (int k = 0; k < b.getAttributeCount(); k++) {
                if (b.getAttribute(k).getName().equals(a.getName())) {
                    b.setAttribute(k, a);
                    return;
                }
            }
            b.addAttribute(a);
        }

        /** A Constant node producing {@code output} with the value of {@code n} in precision {@code p}. */
        private NodeProto constantCopy(NodeProto n, String output, Precision p) {
            AttributeProto a = n.getAttribute(0);
            TensorProto value = switch (a.getName()) {
                case "value" -> a.getT();
                case "value_float" -> Tensors.floats("value", new long[0], a.getF());
                default -> { // value_floats: a 1-D tensor
                    float[] v = new float[a.getFloatsCount()];
                    for (int k = 0; k < v.length; k++) {
                        v[k] = a.getFloats(k);
                    }
                    yield Tensors.floats("value", new long[] {v.length}, v);
                }
            };
            TensorProto converted = p == Precision.F16 ? toFloat16(value, value.getName()) : value;
            return NodeProto.newBuilder().setOpType("Constant").setName(fresh(n.getName().isEmpty() ? output : n.getName(), p))
                    .addOutput(output)
                    .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                            .setT(converted))
                    .build();
        }

        /** A float32 tensor as float16 raw data, values beyond +-65504 clamped. */
        private TensorProto toFloat16(TensorProto t, String name) {
            float[] v = Tensors.toFloats(model.tensorBytes(t));
            byte[] raw = new byte[v.length * 2];
            for (int k = 0; k < v.length; k++) {
                float x = v[k];
                if (Float.isFinite(x) && Math.abs(x) > Fp16AutoPolicy.FLOAT16_MAX) {
                    x = Math.copySign((float) Fp16AutoPolicy.FLOAT16_MAX, x);
                    clamped++;
                }
                short h = dev.javelin.runtime.Float16.fromFloat(x);
                raw[2 * k] = (byte) h;
                raw[2 * k + 1] = (byte) (h >>> 8);
            }
            long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
            return Tensors.raw(name, ElementType.FLOAT16, dims, raw).toBuilder().setDocString(t.getDocString()).build();
        }

        private static ValueInfoProto withType(ValueInfoProto v, String name, Precision p) {
            ValueInfoProto.Builder b = v.toBuilder().setName(name);
            b.getTypeBuilder().getTensorTypeBuilder().setElemType(p.type.onnx());
            return b.build();
        }

        // ---- report --------------------------------------------------------------------------------

        private Fp16Report report() {
            List<Fp16Report.NodeDecision> decisions = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                NodeProto n = nodes.get(i);
                String label = n.getName().isEmpty() ? "#" + i : n.getName();
                if (role[i] == Role.COMPUTE) {
                    Keep k = reason[i];
                    decisions.add(new Fp16Report.NodeDecision(label, OpKey.of(n), k == null,
                            k == null ? "" : k.reason(), k == null ? "" : k.detail()));
                } else if (role[i] == Role.FREE) {
                    boolean f16 = home.get(n.getOutput(0)) == Precision.F16;
                    decisions.add(new Fp16Report.NodeDecision(label, OpKey.of(n), f16,
                            f16 ? "" : "produces float32 because a float32 node or output reads it", ""));
                }
            }
            long before = 0;
            long after = 0;
            for (TensorProto t : initializers.values()) {
                if (isFloat(t.getName())) {
                    long n = Tensors.elementCount(t);
                    before += 4 * n;
                    for (Precision p : names.get(t.getName()).keySet()) {
                        after += (p == Precision.F16 ? 2 : 4) * n;
                    }
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                if (role[i] == Role.CONSTANT) {
                    String t = nodes.get(i).getOutput(0);
                    long n = constantElements(nodes.get(i));
                    before += 4 * n;
                    for (Precision p : names.get(t).keySet()) {
                        after += (p == Precision.F16 ? 2 : 4) * n;
                    }
                }
            }
            List<String> allNotes = new ArrayList<>(notes);
            long subgraphNodes = java.util.stream.IntStream.range(0, nodes.size())
                    .filter(i -> hasSubgraph(nodes.get(i))).count();
            if (subgraphNodes > 0) {
                allNotes.add(subgraphNodes + " node(s) with subgraphs (If/Loop/Scan): their bodies stay float32");
            }
            return new Fp16Report(decisions, castList, weightsConverted, weightCopies, clamped, before, after, allNotes);
        }

        private static long constantElements(NodeProto n) {
            AttributeProto a = n.getAttribute(0);
            return switch (a.getName()) {
                case "value" -> Tensors.elementCount(a.getT());
                case "value_float" -> 1;
                default -> a.getFloatsCount();
            };
        }
    }

    private static boolean isDefault(NodeProto n) {
        return OpKey.isDefaultDomain(n.getDomain());
    }

    private static boolean hasSubgraph(NodeProto n) {
        return n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    }
}

package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.FunctionProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.SparseTensorProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which ONNX operators TensorRT's ONNX parser cannot build, why, and what Javelin's builder plans to do
 * with each (rewrite it into buildable ops, or run it as a Javelin CUDA kernel between engine segments).
 *
 * <p>The table follows the onnx-tensorrt operator support matrix and the TensorRT release notes for the
 * pinned TensorRT 10.15: ops marked unsupported there, ops added in later releases (with the version
 * that adds them), and ops supported only under conditions that can be checked on the graph (STFT needs
 * a constant frame step and window; Constant cannot carry sparse or string values). Every operator of
 * a non-default domain ({@code com.microsoft} contrib ops, {@code ai.onnx.ml}, ...) is unsupported:
 * TensorRT builds only {@code ai.onnx} ops natively, and would need plugins that cannot be written in
 * Java. Calls of model-local functions are inlined by the parser, so their bodies are checked instead.
 * Ops absent from the table are taken as buildable; per-op restrictions that depend on shapes or values
 * beyond the ones above are reported by TensorRT's parser itself at build time.
 */
public final class TensorRtOpSupport {

    /** What the builder plans for an op TensorRT cannot build; an empty set means nothing is planned. */
    public enum Remedy {
        /** Replace by equivalent buildable ops (builder legalization). */
        REWRITE,
        /** Run a Javelin CUDA kernel between TensorRT engine segments. */
        KERNEL;

        /** Lower-case label as printed ({@code rewrite}, {@code kernel}). */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One row of the table.
     *
     * @param op             op type; a trailing {@code *} makes it a prefix family ({@code Sequence*})
     * @param reason         why TensorRT cannot build it
     * @param plan           what the builder plans to do with it
     * @param supportedSince the TensorRT version that builds it, or {@code null} if none does yet
     */
    public record Entry(String op, String reason, Set<Remedy> plan, String supportedSince) {
        public Entry {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(reason, "reason");
            plan = plan.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(plan));
        }

        boolean matches(String opType) {
            return op.endsWith("*") ? opType.startsWith(op.substring(0, op.length() - 1)) : op.equals(opType);
        }
    }

    /**
     * An op type of a model that TensorRT cannot build.
     *
     * @param op     op key ({@code Unique}, {@code com.microsoft:FastGelu}; see {@link OpKey})
     * @param count  number of offending nodes (subgraphs and function bodies included)
     * @param reason why TensorRT cannot build it
     * @param plan   what the builder plans to do with it
     * @param nodes  up to {@value #MAX_LISTED_NODES} offending nodes, as {@code 'name' (Op)}
     */
    public record Finding(String op, int count, String reason, Set<Remedy> plan, List<String> nodes) {
        public Finding {
            plan = plan.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(plan));
            nodes = List.copyOf(nodes);
        }

        /** {@code rewrite}, {@code kernel}, {@code rewrite|kernel} or {@code none}. */
        public String planLabel() {
            return planLabel(plan);
        }

        static String planLabel(Set<Remedy> plan) {
            return plan.isEmpty() ? "none" : plan.stream().map(Remedy::label).collect(Collectors.joining("|"));
        }
    }

    /** The TensorRT version Javelin pins (bytedeco tensorrt 10.15-1.5.13). */
    public static final String DEFAULT_VERSION = "10.15";
    static final int MAX_LISTED_NODES = 5;

    private static final Set<Remedy> NONE = Set.of();
    private static final Set<Remedy> REWRITE = EnumSet.of(Remedy.REWRITE);
    private static final Set<Remedy> KERNEL = EnumSet.of(Remedy.KERNEL);
    private static final Set<Remedy> EITHER = EnumSet.of(Remedy.REWRITE, Remedy.KERNEL);

    private static final String NO_IMPORTER = "TensorRT's ONNX parser has no importer for this op";
    private static final String INT_ARITH = "integer-arithmetic quantized op; TensorRT quantizes only through "
            + "QuantizeLinear/DequantizeLinear pairs with static scales";
    private static final String SEQUENCES = "sequence-typed values are not supported by TensorRT (tensors only)";
    private static final String OPTIONALS = "optional-typed values are not supported by TensorRT (tensors only)";
    private static final String STRINGS = "string tensors are not supported by TensorRT";

    /** Default-domain ops. Order is the documentation order. */
    private static final List<Entry> TABLE = List.of(
            new Entry("AffineGrid", NO_IMPORTER + " (opset 20 spatial-transformer grid)", KERNEL, null),
            new Entry("Bernoulli", NO_IMPORTER + " (random sampling)", NONE, null),
            new Entry("BitShift", "integer bit shifts are not supported by TensorRT", NONE, null),
            new Entry("BitwiseAnd", "bitwise integer ops are not supported by TensorRT", NONE, null),
            new Entry("BitwiseNot", "bitwise integer ops are not supported by TensorRT", NONE, null),
            new Entry("BitwiseOr", "bitwise integer ops are not supported by TensorRT", NONE, null),
            new Entry("BitwiseXor", "bitwise integer ops are not supported by TensorRT", NONE, null),
            new Entry("Bitwise*", "bitwise integer ops are not supported by TensorRT", NONE, null),
            new Entry("Col2Im", NO_IMPORTER, NONE, null),
            new Entry("CenterCropPad", NO_IMPORTER, NONE, null),
            new Entry("Compress", NO_IMPORTER + " (output shape depends on a boolean mask)", NONE, null),
            new Entry("ConvInteger", "integer convolution with int32 output; " + INT_ARITH, REWRITE, null),
            new Entry("Det", NO_IMPORTER + " (matrix determinant)", NONE, null),
            new Entry("DynamicQuantizeLinear", "computes its scale and zero point from the data at run time; "
                    + "TensorRT supports only static quantization scales", EITHER, null),
            new Entry("ImageDecoder", NO_IMPORTER + " (decodes encoded image bytes)", NONE, null),
            new Entry("MatMulInteger", "integer GEMM with zero points and int32 output; " + INT_ARITH, EITHER, null),
            new Entry("MaxRoiPool", NO_IMPORTER, NONE, null),
            new Entry("MaxUnpool", NO_IMPORTER, NONE, null),
            new Entry("MelWeightMatrix", NO_IMPORTER + "; its inputs are normally constants, so it can be folded",
                    REWRITE, null),
            new Entry("Multinomial", NO_IMPORTER + " (random sampling)", NONE, null),
            new Entry("NegativeLogLikelihoodLoss", NO_IMPORTER + " (training loss)", NONE, null),
            new Entry("SoftmaxCrossEntropyLoss", NO_IMPORTER + " (training loss)", NONE, null),
            new Entry("Optional", OPTIONALS, NONE, null),
            new Entry("OptionalGetElement", OPTIONALS, NONE, null),
            new Entry("OptionalHasElement", OPTIONALS, NONE, null),
            new Entry("Optional*", OPTIONALS, NONE, null),
            new Entry("QLinearConv", INT_ARITH, REWRITE, null),
            new Entry("QLinearMatMul", INT_ARITH, REWRITE, null),
            new Entry("RegexFullMatch", STRINGS, NONE, null),
            new Entry("ConcatFromSequence", SEQUENCES, NONE, null),
            new Entry("SplitToSequence", SEQUENCES, NONE, null),
            new Entry("Sequence*", SEQUENCES, NONE, null),
            new Entry("String*", STRINGS, NONE, null),
            new Entry("TfIdfVectorizer", NO_IMPORTER + " (text n-gram features)", NONE, null),
            new Entry("Unique", NO_IMPORTER + " (output shape depends on the data)", KERNEL, null),
            new Entry("SimplifiedLayerNormalization", "an ONNX Runtime contrib op (RMS normalization) that ONNX Runtime "
                    + "registers in the default domain; not an ONNX operator, so TensorRT's ONNX parser has no importer for it",
                    REWRITE, null),
            new Entry("DFT", NO_IMPORTER + " before TensorRT 11.2", KERNEL, "11.2"),
            new Entry("Attention", NO_IMPORTER + " before TensorRT 10.14", NONE, "10.14"),
            new Entry("STFT", NO_IMPORTER + " before TensorRT 10.5", NONE, "10.5"),
            new Entry("HannWindow", NO_IMPORTER + " before TensorRT 10.4", NONE, "10.4"),
            new Entry("HammingWindow", NO_IMPORTER + " before TensorRT 10.4", NONE, "10.4"),
            new Entry("BlackmanWindow", NO_IMPORTER + " before TensorRT 10.4", NONE, "10.4"));

    /**
     * ONNX Runtime contrib ops ({@code com.microsoft}) found in "optimized" transformer exports that the
     * builder plans to rewrite into standard ops. Any other non-default-domain op has no plan.
     */
    private static final Set<String> CONTRIB_REWRITES = Set.of(
            "FastGelu", "BiasGelu", "Gelu", "QuickGelu", "BiasAdd", "SkipLayerNormalization",
            "SkipSimplifiedLayerNormalization", "SimplifiedLayerNormalization", "LayerNormalization", "FusedMatMul");

    private static final String CONTRIB_DOMAIN = "com.microsoft";

    private final String version;
    private final int[] versionParts;

    private TensorRtOpSupport(String version) {
        this.version = version;
        this.versionParts = parseVersion(version);
    }

    /** The table for the pinned TensorRT ({@value #DEFAULT_VERSION}). */
    public static TensorRtOpSupport pinned() {
        return new TensorRtOpSupport(DEFAULT_VERSION);
    }

    /**
     * The table for another TensorRT version (e.g. {@code 10.3} on JetPack 6): ops added after it count
     * as unsupported.
     *
     * @throws IllegalArgumentException if {@code version} is not {@code MAJOR.MINOR[.PATCH]}
     */
    public static TensorRtOpSupport forVersion(String version) {
        return new TensorRtOpSupport(version);
    }

    /** The TensorRT version this table describes. */
    public String tensorRtVersion() {
        return version;
    }

    /** Every row, in documentation order. */
    public static List<Entry> entries() {
        return TABLE;
    }

    private static int[] parseVersion(String v) {
        String[] parts = v.split("\\.");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("TensorRT version '" + v + "' is not MAJOR.MINOR[.PATCH]");
        }
        int[] out = new int[3];
        try {
            for (int i = 0; i < parts.length; i++) {
                out[i] = Integer.parseInt(parts[i]);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("TensorRT version '" + v + "' is not MAJOR.MINOR[.PATCH]", e);
        }
        return out;
    }

    private boolean atLeast(String since) {
        int[] s = parseVersion(since);
        for (int i = 0; i < 3; i++) {
            if (versionParts[i] != s[i]) {
                return versionParts[i] > s[i];
            }
        }
        return true;
    }

    /**
     * The table row for an op type of the default domain, ignoring version and node conditions.
     * Exact names win over prefix families.
     */
    public static Optional<Entry> entry(String opType) {
        for (Entry e : TABLE) {
            if (!e.op().endsWith("*") && e.op().equals(opType)) {
                return Optional.of(e);
            }
        }
        return TABLE.stream().filter(e -> e.matches(opType)).findFirst();
    }

    /**
     * Why TensorRT cannot build an op type, ignoring node-level conditions (see {@link #check}).
     *
     * @return empty if this TensorRT version builds it (or it is not in the table)
     */
    public Optional<Entry> unsupported(String domain, String opType) {
        if (!OpKey.isDefaultDomain(domain)) {
            return Optional.of(domainEntry(domain, opType));
        }
        return entry(opType).filter(e -> e.supportedSince() == null || !atLeast(e.supportedSince()));
    }

    private static Entry domainEntry(String domain, String opType) {
        boolean planned = CONTRIB_DOMAIN.equals(domain) && CONTRIB_REWRITES.contains(opType);
        return new Entry(OpKey.of(domain, opType), "operator of domain '" + domain + "', not the default ONNX domain; "
                + "TensorRT builds only ai.onnx ops (others need TensorRT plugins, which cannot be written in Java)",
                planned ? REWRITE : NONE, null);
    }

    /**
     * Why TensorRT cannot build this node, taking node-level conditions into account.
     *
     * @param constants names whose values are known at build time (initializers, Constant outputs)
     * @return empty if the node is buildable as far as this table can tell
     */
    public Optional<Entry> whyUnsupported(NodeProto node, Set<String> constants) {
        Optional<Entry> byType = unsupported(node.getDomain(), node.getOpType());
        if (byType.isPresent() || !OpKey.isDefaultDomain(node.getDomain())) {
            return byType;
        }
        switch (node.getOpType()) {
            case "STFT" -> {
                // Since 10.5 TensorRT imports real-valued STFT as convolutions, whose weights must be
                // known at build time: frame_step (input 1) and, if given, window (input 2).
                List<String> missing = new ArrayList<>();
                if (!isConstantInput(node, 1, constants)) {
                    missing.add("frame_step");
                }
                if (node.getInputCount() > 2 && !node.getInput(2).isEmpty() && !constants.contains(node.getInput(2))) {
                    missing.add("window");
                }
                if (!missing.isEmpty()) {
                    return Optional.of(new Entry("STFT", "TensorRT " + version + " builds STFT only for real float32 "
                            + "signals with a constant frame_step and window; here " + String.join(" and ", missing)
                            + (missing.size() == 1 ? " is" : " are") + " computed at run time", NONE, null));
                }
                return Optional.empty();
            }
            case "Constant" -> {
                for (AttributeProto a : node.getAttributeList()) {
                    String n = a.getName();
                    if (n.equals("sparse_value") || n.equals("value_string") || n.equals("value_strings")) {
                        return Optional.of(new Entry("Constant", "Constant with attribute '" + n
                                + "' is not supported by TensorRT (only dense numeric values)", NONE, null));
                    }
                    if (a.hasT() && a.getT().getDataType() == ElementType.STRING.onnx()) {
                        return Optional.of(new Entry("Constant", STRINGS, NONE, null));
                    }
                }
                return Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    private static boolean isConstantInput(NodeProto node, int index, Set<String> constants) {
        return node.getInputCount() > index && constants.contains(node.getInput(index));
    }

    /**
     * Every op type of the model that TensorRT cannot build, with the node count, in descending count
     * then name order. Walks subgraphs at any depth and the bodies of the model-local functions the
     * graph calls.
     */
    public List<Finding> check(ModelProto model) {
        Map<String, FunctionProto> functions = new LinkedHashMap<>();
        for (FunctionProto f : model.getFunctionsList()) {
            functions.put(functionKey(f.getDomain(), f.getName(), f.getOverload()), f);
        }
        Map<String, Accumulator> found = new LinkedHashMap<>();
        Deque<FunctionProto> calledFunctions = new ArrayDeque<>();
        Set<String> seenFunctions = new HashSet<>();
        walkNodes(model.getGraph().getNodeList(), buildTimeConstants(model.getGraph(), Set.of()), functions, found,
                calledFunctions, seenFunctions);
        while (!calledFunctions.isEmpty()) {
            FunctionProto f = calledFunctions.poll();
            Set<String> consts = new HashSet<>();
            for (NodeProto n : f.getNodeList()) {
                if (n.getOpType().equals("Constant") && OpKey.isDefaultDomain(n.getDomain())) {
                    consts.addAll(n.getOutputList());
                }
            }
            walkNodes(f.getNodeList(), consts, functions, found, calledFunctions, seenFunctions);
        }
        return found.values().stream().map(Accumulator::toFinding)
                .sorted(Comparator.comparingInt(Finding::count).reversed().thenComparing(Finding::op))
                .toList();
    }

    private void walkNodes(List<NodeProto> nodes, Set<String> constants, Map<String, FunctionProto> functions,
                           Map<String, Accumulator> found, Deque<FunctionProto> calledFunctions,
                           Set<String> seenFunctions) {
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            FunctionProto fn = functions.get(functionKey(n.getDomain(), n.getOpType(), n.getOverload()));
            if (fn != null) {
                if (seenFunctions.add(functionKey(fn.getDomain(), fn.getName(), fn.getOverload()))) {
                    calledFunctions.add(fn);
                }
            } else {
                Optional<Entry> why = whyUnsupported(n, constants);
                if (why.isPresent()) {
                    found.computeIfAbsent(OpKey.of(n), k -> new Accumulator(k, why.get()))
                            .add(OnnxGraph.describe(n, i));
                }
            }
            for (AttributeProto a : n.getAttributeList()) {
                List<GraphProto> subs = new ArrayList<>(a.getGraphsList());
                if (a.hasG()) {
                    subs.add(a.getG());
                }
                for (GraphProto sub : subs) {
                    walkNodes(sub.getNodeList(), buildTimeConstants(sub, constants), functions, found, calledFunctions,
                            seenFunctions);
                }
            }
        }
    }

    /**
     * Names with build-time values, as the node-level conditions of {@link #whyUnsupported} count them: initializers
     * and Constant outputs of {@code g}, plus the enclosing graphs' ({@code outer}) unless an input of {@code g}
     * shadows them.
     */
    public static Set<String> buildTimeConstants(GraphProto g, Set<String> outer) {
        Set<String> c = new HashSet<>(outer);
        for (TensorProto t : g.getInitializerList()) {
            c.add(t.getName());
        }
        for (SparseTensorProto t : g.getSparseInitializerList()) {
            c.add(t.getValues().getName());
        }
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Constant") && OpKey.isDefaultDomain(n.getDomain())) {
                c.addAll(n.getOutputList());
            }
        }
        // A graph input (e.g. a Loop body's carried value) shadows an outer constant of the same name,
        // unless an initializer of this graph gives it a value.
        Set<String> ownInitializers = new HashSet<>();
        g.getInitializerList().forEach(t -> ownInitializers.add(t.getName()));
        g.getInputList().forEach(v -> {
            if (!ownInitializers.contains(v.getName())) {
                c.remove(v.getName());
            }
        });
        return c;
    }

    private static String functionKey(String domain, String name, String overload) {
        return OpKey.displayDomain(domain) + "\u0000" + name + "\u0000" + overload;
    }

    private static final class Accumulator {
        final String op;
        final Entry entry;
        int count;
        final List<String> nodes = new ArrayList<>();

        Accumulator(String op, Entry entry) {
            this.op = op;
            this.entry = entry;
        }

        void add(String node) {
            count++;
            if (nodes.size() < MAX_LISTED_NODES) {
                nodes.add(node);
            }
        }

        Finding toFinding() {
            return new Finding(op, count, entry.reason(), entry.plan(), nodes);
        }
    }
}

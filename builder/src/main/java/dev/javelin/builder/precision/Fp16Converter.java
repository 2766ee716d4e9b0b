package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.GraphProto;
import java.util.HashSet;
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
 * <p>Which nodes stay float32, in order of precedence ({@link Fp16Decisions}):
 * <ol>
 *   <li>what cannot be float16: nodes with subgraphs (If/Loop/Scan: their bodies are left float32 and the
 *       values they capture are passed as float32), custom-domain operators, operators whose output type is
 *       an attribute, nodes touching a tensor of unknown type, and operator versions whose ONNX type
 *       constraints have no float16 ({@link Fp16OpRules}, e.g. Range-11, NonMaxSuppression);</li>
 *   <li>{@link Options#allowNodes()} forces the named nodes to float16 past every rule below;</li>
 *   <li>weights float16 cannot hold: a node reading a weight beyond +-65504 (a BatchNorm variance of 1e8, an
 *       attention mask's -3.4e38) or one whose nonzero values all round to 0 (an epsilon of 1e-12); values
 *       computed from a beyond-range weight, until an operator that brings them back into range (Log,
 *       Softmax, ...); and what feeds a multiplication by such a weight, whose rounding error it would
 *       multiply;</li>
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
 * and Constant nodes) read only by float16 nodes are stored as float16 (values beyond +-65504, which only a
 * node forced by allowNodes can read, are clamped to +-65504 rather than becoming infinite); weights read by
 * both precisions keep their float32 copy and get a float16 one. Cast and ConstantOfShape producing float
 * produce float16 when only float16 nodes read them. Model inputs and outputs keep their float32 type unless
 * {@link Options#keepIoTypes()} is false. Only the main graph is converted ({@link Fp16Rewriter} writes it).
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
        Fp16Graph g = new Fp16Graph(model);
        Fp16Rewriter rewriter = new Fp16Rewriter(g, new Fp16Decisions(g, options), options.keepIoTypes());
        GraphProto out = rewriter.rewrite();
        Converted c = new Converted(model.withProto(model.proto().toBuilder().setGraph(out).build()), rewriter.report());
        LOG.info("{}: {}", model.displayName(), c.report().summaryLines().get(0));
        return c;
    }
}

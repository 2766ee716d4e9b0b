package dev.javelin.builder.partition;

import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.runtime.plan.ArenaPlanner;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the partitioner splits a model.
 *
 * @param prefer        kernels or rewrites where an op has both
 * @param rewritable    op types the legalizer rewrites: with {@link Prefer#REWRITE} (or when Javelin has no kernel for
 *                      them) their nodes stay in engine segments for it
 * @param inputShapes   largest shape per model input, for the arena (upper bounds of every crossing tensor follow)
 * @param dimBounds     largest size per symbolic dimension ({@code batch=8}), for inputs not in {@code inputShapes}
 * @param alignment     arena offset alignment
 * @param strategy      arena placement strategy
 * @param tensorRt      which ops TensorRT builds
 */
public record PartitionOptions(Prefer prefer, Set<String> rewritable, Map<String, long[]> inputShapes,
                               Map<String, Long> dimBounds, long alignment, ArenaPlanner.Strategy strategy,
                               TensorRtOpSupport tensorRt) {
    public PartitionOptions {
        Objects.requireNonNull(prefer, "prefer");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(tensorRt, "tensorRt");
        rewritable = Collections.unmodifiableSet(new TreeSet<>(rewritable));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        inputShapes.forEach((k, v) -> shapes.put(k, v.clone()));
        inputShapes = Collections.unmodifiableMap(shapes);
        dimBounds = Collections.unmodifiableMap(new LinkedHashMap<>(dimBounds));
        for (Map.Entry<String, Long> e : dimBounds.entrySet()) {
            if (e.getValue() < 0) {
                throw new IllegalArgumentException("bound of dimension '" + e.getKey() + "' is negative: " + e.getValue());
            }
        }
    }

    /** Kernels preferred, nothing rewritten, no bounds, 256-byte best-fit arena, TensorRT {@value TensorRtOpSupport#DEFAULT_VERSION}. */
    public static PartitionOptions defaults() {
        return new PartitionOptions(Prefer.KERNELS, Set.of(), Map.of(), Map.of(), ArenaPlanner.DEFAULT_ALIGNMENT,
                ArenaPlanner.Strategy.BEST_FIT, TensorRtOpSupport.pinned());
    }

    /** With another preference. */
    public PartitionOptions withPrefer(Prefer p) {
        return new PartitionOptions(p, rewritable, inputShapes, dimBounds, alignment, strategy, tensorRt);
    }

    /** With the op types the legalizer rewrites. */
    public PartitionOptions withRewritable(Set<String> ops) {
        return new PartitionOptions(prefer, ops, inputShapes, dimBounds, alignment, strategy, tensorRt);
    }

    /** With the largest shape of each model input. */
    public PartitionOptions withInputShapes(Map<String, long[]> shapes) {
        return new PartitionOptions(prefer, rewritable, shapes, dimBounds, alignment, strategy, tensorRt);
    }

    /** With bounds of symbolic dimensions. */
    public PartitionOptions withDimBounds(Map<String, Long> bounds) {
        return new PartitionOptions(prefer, rewritable, inputShapes, bounds, alignment, strategy, tensorRt);
    }

    /** With another arena strategy. */
    public PartitionOptions withStrategy(ArenaPlanner.Strategy s) {
        return new PartitionOptions(prefer, rewritable, inputShapes, dimBounds, alignment, s, tensorRt);
    }

    /** With another TensorRT op table (e.g. {@code TensorRtOpSupport.forVersion("10.3")} on JetPack 6). */
    public PartitionOptions withTensorRt(TensorRtOpSupport t) {
        return new PartitionOptions(prefer, rewritable, inputShapes, dimBounds, alignment, strategy, t);
    }

    /** The op types the TensorRT op table plans to rewrite ({@code TensorRtOpSupport.Remedy.REWRITE}), default domain. */
    public static Set<String> rewritesInOpTable() {
        Set<String> s = new TreeSet<>();
        for (TensorRtOpSupport.Entry e : TensorRtOpSupport.entries()) {
            if (e.plan().contains(TensorRtOpSupport.Remedy.REWRITE) && !e.op().endsWith("*")) {
                s.add(e.op());
            }
        }
        return s;
    }
}

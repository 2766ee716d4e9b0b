package dev.javelin.builder.precision;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the ONNX specification allows an operator to do in float16: which of its float inputs and outputs
 * are fixed to float32 by its type constraints, which inputs accept any element type, and which outputs
 * get their type from an attribute. These are facts, not choices: a graph that breaks them is rejected by
 * ONNX Runtime when it loads ("invalid model"), so no user option can override them.
 *
 * <p>The table was derived from the type constraints in the ONNX operator changelog (every version of every
 * {@code ai.onnx} operator with a {@code tensor(float)} constraint that lacks {@code tensor(float16)}); an
 * operator version applies from its "since" opset until the next version of the same operator.
 */
final class Fp16OpRules {
    /** One version of an operator: from opset {@code since}, these input/output positions are float32 only. */
    private record Fixed(int since, Set<Integer> inputs, Set<Integer> outputs) {
    }

    private static final Set<Integer> NONE = Set.of();

    /** Per operator, its versions in ascending order. Versions without restrictions have empty sets. */
    private static final Map<String, List<Fixed>> FIXED = Map.ofEntries(
            // Celu-12: T = tensor(float) only; Celu-28 adds float16.
            Map.entry("Celu", List.of(new Fixed(12, Set.of(0), Set.of(0)), new Fixed(28, NONE, NONE))),
            // CumSum-11 has no float16; CumSum-14 adds it.
            Map.entry("CumSum", List.of(new Fixed(11, Set.of(0), Set.of(0)), new Fixed(14, NONE, NONE))),
            // Before opset 19 the scale is tensor(float) and the output is float.
            Map.entry("DequantizeLinear", List.of(new Fixed(10, Set.of(1), Set.of(0)), new Fixed(19, NONE, NONE))),
            Map.entry("QuantizeLinear", List.of(new Fixed(10, Set.of(0, 1), NONE), new Fixed(19, NONE, NONE))),
            Map.entry("DynamicQuantizeLinear", List.of(new Fixed(11, Set.of(0), Set.of(1)))),
            Map.entry("IsInf", List.of(new Fixed(10, Set.of(0), NONE), new Fixed(20, NONE, NONE))),
            // Mean and InvStdDev have type U (float or bfloat16): the optional statistics outputs stay float32.
            Map.entry("LayerNormalization", List.of(new Fixed(17, NONE, Set.of(1, 2)))),
            // boxes, scores, iou_threshold, score_threshold are tensor(float).
            Map.entry("NonMaxSuppression", List.of(new Fixed(10, Set.of(0, 1, 3, 4), NONE))),
            Map.entry("QLinearConv", List.of(new Fixed(10, Set.of(1, 4, 6), NONE))),
            Map.entry("QLinearMatMul", List.of(new Fixed(10, Set.of(1, 4, 6), NONE), new Fixed(21, NONE, NONE))),
            // Range-11: float, double, int16/32/64 (no float16) until Range-27.
            Map.entry("Range", List.of(new Fixed(11, Set.of(0, 1, 2), Set.of(0)), new Fixed(27, NONE, NONE))),
            // The scales input is tensor(float) in every version (roi is T2 and may be float16).
            Map.entry("Resize", List.of(new Fixed(10, Set.of(1), NONE), new Fixed(11, Set.of(2), NONE))),
            Map.entry("Upsample", List.of(new Fixed(1, NONE, NONE), new Fixed(9, Set.of(1), NONE), new Fixed(10, NONE, NONE))),
            Map.entry("TfIdfVectorizer", List.of(new Fixed(9, NONE, Set.of(0)))));

    /**
     * Inputs whose element type is free (any type, independent of the node's float type): a Cast reads
     * float32 or float16 alike, Shape and Size only look at dimensions. A converted producer needs no Cast
     * back to float32 in front of these.
     */
    private static final Map<String, Set<Integer>> ANY_TYPE_INPUTS = Map.of(
            "Cast", Set.of(0), "CastLike", Set.of(0), "Shape", Set.of(0), "Size", Set.of(0));

    /**
     * Operators whose float output type is set by an attribute ({@code dtype}, {@code output_datatype}),
     * not by an input; converting them would mean rewriting that attribute, which this pass does only for
     * Cast, Constant and ConstantOfShape.
     */
    private static final Set<String> ATTRIBUTE_TYPED = Set.of("EyeLike", "RandomNormal", "RandomUniform",
            "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "MelWeightMatrix", "HannWindow",
            "HammingWindow", "BlackmanWindow");

    private Fp16OpRules() {
    }

    private static Optional<Fixed> version(String op, long opset) {
        List<Fixed> versions = FIXED.get(op);
        if (versions == null) {
            return Optional.empty();
        }
        Fixed found = null;
        for (Fixed f : versions) {
            if (f.since() <= opset) {
                found = f;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether input {@code k} of {@code op} (default domain, model opset {@code opset}) must be float32. */
    static boolean fixedInput(String op, long opset, int k) {
        return version(op, opset).map(f -> f.inputs().contains(k)).orElse(false);
    }

    /** Whether output {@code k} must be float32. */
    static boolean fixedOutput(String op, long opset, int k) {
        return version(op, opset).map(f -> f.outputs().contains(k)).orElse(false);
    }

    /** The operator version in effect at {@code opset}, for messages ({@code Range-11}), if the table knows it. */
    static String versionLabel(String op, long opset) {
        return version(op, opset).map(f -> op + "-" + f.since()).orElse(op);
    }

    /** Whether input {@code k} accepts any element type (no boundary Cast needed). */
    static boolean anyTypeInput(String op, int k) {
        Set<Integer> s = ANY_TYPE_INPUTS.get(op);
        return s != null && s.contains(k);
    }

    /** Whether the operator's float output type comes from an attribute. */
    static boolean attributeTyped(String op) {
        return ATTRIBUTE_TYPED.contains(op);
    }
}

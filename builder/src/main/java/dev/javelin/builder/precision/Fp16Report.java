package dev.javelin.builder.precision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link Fp16Converter} did: the precision chosen for every node that computes on float data, why
 * each float32 node stayed float32, the Casts inserted at the boundaries, and what happened to the
 * weights.
 *
 * @param decisions       every node with float inputs or outputs (Constants excepted), in graph order
 * @param casts           boundary Casts inserted, as {@code tensor -> float16|float32}
 * @param weightsConverted initializers and Constant values stored as float16 instead of float32
 * @param weightCopies    float32 weights that kept their float32 copy and got a float16 one, because both
 *                        precisions read them
 * @param valuesClamped   weight values beyond +-65504 stored as +-65504 instead of becoming infinite
 * @param floatWeightBytesBefore bytes of float32 weights before conversion
 * @param floatWeightBytesAfter  bytes of float32 + float16 weights after conversion
 * @param notes           anything else worth knowing (subgraphs left alone, outputs kept float32, ...)
 */
public record Fp16Report(List<NodeDecision> decisions, List<String> casts, int weightsConverted, int weightCopies,
                         long valuesClamped, long floatWeightBytesBefore, long floatWeightBytesAfter,
                         List<String> notes) {
    /**
     * One node's precision.
     *
     * @param node    the node's name, or {@code #index} if it has none
     * @param opType  operator type (with domain if not ai.onnx)
     * @param float16 whether it now computes in float16
     * @param reason  why it stays float32, the same text for every node kept for that reason (empty when
     *                converted)
     * @param detail  what in this node triggered the reason (a tensor and its value), or empty
     */
    public record NodeDecision(String node, String opType, boolean float16, String reason, String detail) {
    }

    public Fp16Report {
        decisions = List.copyOf(decisions);
        casts = List.copyOf(casts);
        notes = List.copyOf(notes);
    }

    /** Nodes now computing in float16. */
    public List<NodeDecision> converted() {
        return decisions.stream().filter(NodeDecision::float16).toList();
    }

    /** Nodes left in float32, with their reasons. */
    public List<NodeDecision> keptFloat32() {
        return decisions.stream().filter(d -> !d.float16()).toList();
    }

    /** Converted nodes over all nodes with float data (0 for a model without any). */
    public double fractionConverted() {
        return decisions.isEmpty() ? 0 : (double) converted().size() / decisions.size();
    }

    /** Float32 nodes grouped by reason, nodes listed in graph order. */
    public Map<String, List<String>> keptByReason() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (NodeDecision d : keptFloat32()) {
            m.computeIfAbsent(d.reason(), k -> new ArrayList<>()).add(d.node() + " (" + d.opType() + ")"
                    + (d.detail().isEmpty() ? "" : ": " + d.detail()));
        }
        return m;
    }

    /** A few lines for a terminal: counts, then each float32 reason with up to five of its nodes. */
    public List<String> summaryLines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "fp16: %d of %d float nodes converted (%.1f%%), %d kept float32, %d casts"
                        + " inserted", converted().size(), decisions.size(), 100 * fractionConverted(),
                keptFloat32().size(), casts.size()));
        out.add(String.format(Locale.ROOT, "weights: %d stored as float16, %d kept with a float16 copy, %d values"
                        + " clamped to +-65504; float weight bytes %d -> %d", weightsConverted, weightCopies,
                valuesClamped, floatWeightBytesBefore, floatWeightBytesAfter));
        keptByReason().forEach((reason, nodes) -> {
            out.add("kept float32 (" + nodes.size() + "): " + reason);
            nodes.subList(0, Math.min(3, nodes.size())).forEach(n -> out.add("    " + n));
            if (nodes.size() > 3) {
                out.add("    ... and " + (nodes.size() - 3) + " more");
            }
        });
        notes.forEach(n -> out.add("note: " + n));
        return out;
    }
}

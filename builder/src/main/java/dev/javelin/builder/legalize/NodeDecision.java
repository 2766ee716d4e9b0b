package dev.javelin.builder.legalize;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * The decision for one node TensorRT cannot build.
 *
 * @param graph     where the node is: the main graph's name ({@code main} when unnamed) or a subgraph path such
 *                  as {@code main/loop.body}
 * @param node      the node's name, or {@code #index} when it has none
 * @param op        op key ({@code Unique}, {@code com.microsoft:FastGelu})
 * @param decision  what the builder does
 * @param detail    how (the replacement, the kernel, the folded value) or, for {@link Decision#UNSUPPORTED}, why not
 * @param tolerance how far the result may be from the original, or {@code null} when exact (or not rewritten)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeDecision(String graph, String node, String op, Decision decision, String detail, Tolerance tolerance) {
    public NodeDecision {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(detail, "detail");
    }

    /** Whether the result equals the original's bit for bit (a fold, an exact rewrite) or the op is untouched. */
    public boolean exact() {
        return tolerance == null;
    }
}

package dev.javelin.builder.legalize;

import java.util.List;

/**
 * An op type still in the legalized model that TensorRT cannot build.
 *
 * @param op       op key
 * @param count    nodes of that type (subgraphs and function bodies included)
 * @param handling {@code kernel} (a Javelin kernel runs it between engine segments) or {@code unsupported}
 * @param reason   why TensorRT cannot build it
 * @param nodes    up to five of the nodes, as {@code 'name' (Op)}
 */
public record RemainingOp(String op, int count, String handling, String reason, List<String> nodes) {
    public RemainingOp {
        nodes = List.copyOf(nodes);
    }
}

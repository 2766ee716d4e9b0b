package dev.javelin.runtime.bundle;

import java.util.Objects;

/**
 * What the builder decided for one node TensorRT cannot build as is: rewritten into other ops, assigned to a
 * Javelin kernel, or left to TensorRT.
 *
 * @param node     node name (or {@code #index} when the node has none)
 * @param op       op type, with its domain when not the default ({@code com.microsoft:FastGelu})
 * @param decision what was done, e.g. {@code rewrite}, {@code kernel}, {@code tensorrt}
 * @param detail   how and why (the rewrite used, its measured error, the kernel id), may be empty
 */
public record LegalizationDecision(String node, String op, String decision, String detail) {
    public LegalizationDecision {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(decision, "decision");
        detail = detail == null ? "" : detail;
    }
}

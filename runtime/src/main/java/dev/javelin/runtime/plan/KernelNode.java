package dev.javelin.runtime.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One ONNX node run by a Javelin kernel between engine segments.
 *
 * @param id             step id
 * @param op             the ONNX op type ({@code Unique})
 * @param kernel         the kernel ({@code dev.javelin.kernels.KernelOp#id()}, e.g. {@code unique})
 * @param node           the original node's name (or {@code #index (Op)})
 * @param opset          the model's ai.onnx opset (DFT's {@code axis} moved from attribute to input in opset 20)
 * @param attributes     integer attributes the kernel needs, defaults filled in; constant inputs that fix the output
 *                       shape are folded in here too ({@code dft_length}, {@code axis})
 * @param listAttributes integer-list attributes (AffineGrid's {@code size} when it is a constant)
 * @param inputs         the node's inputs by position ({@code ""} for an absent optional one, or one folded into
 *                       the attributes)
 * @param outputs        the node's outputs by position ({@code ""} where the node has none)
 * @param workspaceBytes scratch device memory the kernel needs at the plan's bounds, or {@code null} for none
 *                       (planned in the arena as {@link #workspaceName()}, live during this step only)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KernelNode(String id, String op, String kernel, String node, long opset, Map<String, Long> attributes,
                         Map<String, List<Long>> listAttributes, List<String> inputs, List<String> outputs,
                         Long workspaceBytes) implements PlanStep {
    public KernelNode {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(kernel, "kernel");
        attributes = attributes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(attributes));
        TreeMap<String, List<Long>> lists = new TreeMap<>();
        if (listAttributes != null) {
            listAttributes.forEach((k, v) -> lists.put(k, List.copyOf(v)));
        }
        listAttributes = java.util.Collections.unmodifiableMap(lists);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** Integer attribute {@code name}, or {@code fallback}. */
    public long attribute(String name, long fallback) {
        Long v = attributes.get(name);
        return v == null ? fallback : v;
    }

    /** Input {@code i}'s name, or {@code null} when absent. */
    public String input(int i) {
        return i < inputs.size() && !inputs.get(i).isEmpty() ? inputs.get(i) : null;
    }

    /** Output {@code i}'s name, or {@code null} when the node does not produce it. */
    public String output(int i) {
        return i < outputs.size() && !outputs.get(i).isEmpty() ? outputs.get(i) : null;
    }

    /** The arena name of this step's workspace. */
    @JsonIgnore
    public String workspaceName() {
        return id + "/workspace";
    }
}

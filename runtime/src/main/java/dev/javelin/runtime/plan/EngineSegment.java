package dev.javelin.runtime.plan;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * A maximal run of nodes TensorRT can build, as its own ONNX sub-model: built into one engine on the GPU, run on
 * ONNX Runtime CPU when the plan is emulated.
 *
 * @param id      step id
 * @param model   the sub-model's file name, relative to the plan file's folder
 * @param inputs  its graph inputs: tensors produced outside it (model inputs or earlier steps)
 * @param outputs its graph outputs: tensors later steps read, or model outputs
 * @param nodes    the original nodes it holds (names, or {@code #index (Op)} for unnamed ones), for reports
 * @param rewrites those of {@code nodes} TensorRT cannot build as they are, kept in the segment for the builder's
 *                 legalization to rewrite ({@code --prefer rewrite}, or no kernel for them)
 */
public record EngineSegment(String id, String model, List<String> inputs, List<String> outputs, List<String> nodes,
                            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> rewrites) implements PlanStep {
    public EngineSegment {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        rewrites = rewrites == null ? List.of() : List.copyOf(rewrites);
    }

    /** A segment with no node kept for a rewrite. */
    public EngineSegment(String id, String model, List<String> inputs, List<String> outputs, List<String> nodes) {
        this(id, model, inputs, outputs, nodes, List.of());
    }
}

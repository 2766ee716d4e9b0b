package dev.javelin.runtime.plan;

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
 * @param nodes   the original nodes it holds (names, or {@code #index (Op)} for unnamed ones), for reports
 */
public record EngineSegment(String id, String model, List<String> inputs, List<String> outputs, List<String> nodes)
        implements PlanStep {
    public EngineSegment {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
    }
}

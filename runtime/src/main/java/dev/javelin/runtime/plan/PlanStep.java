package dev.javelin.runtime.plan;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * One step of a partition plan: an engine segment (a sub-model TensorRT builds) or a kernel node (one ONNX node run by
 * a Javelin kernel). Steps run in list order on one stream; each reads tensors that model inputs, constants or
 * earlier steps provide. In JSON the {@code kind} field tells them apart ({@code engine} / {@code kernel}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = EngineSegment.class, name = "engine"),
    @JsonSubTypes.Type(value = KernelNode.class, name = "kernel")})
public sealed interface PlanStep permits EngineSegment, KernelNode {
    /** Unique within the plan, e.g. {@code segment-0}, {@code kernel-1}. */
    String id();

    /** Tensors the step reads; for kernel nodes positional, with {@code ""} for an absent optional input. */
    List<String> inputs();

    /** Tensors the step writes; for kernel nodes positional, with {@code ""} for an output the node does not produce. */
    List<String> outputs();
}

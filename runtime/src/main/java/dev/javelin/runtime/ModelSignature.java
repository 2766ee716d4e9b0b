package dev.javelin.runtime;

import java.util.List;
import java.util.Optional;

/**
 * Inputs and outputs of a compiled model, in model order.
 *
 * @param inputs  input tensors
 * @param outputs output tensors
 */
public record ModelSignature(List<TensorInfo> inputs, List<TensorInfo> outputs) {
    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** The input named {@code name}, if any. */
    public Optional<TensorInfo> input(String name) {
        return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The output named {@code name}, if any. */
    public Optional<TensorInfo> output(String name) {
        return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Input names in model order. */
    public List<String> inputNames() {
        return inputs.stream().map(TensorInfo::name).toList();
    }

    /** Output names in model order. */
    public List<String> outputNames() {
        return outputs.stream().map(TensorInfo::name).toList();
    }
}

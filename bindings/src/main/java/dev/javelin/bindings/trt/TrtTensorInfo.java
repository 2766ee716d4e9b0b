package dev.javelin.bindings.trt;

import java.util.Arrays;
import java.util.List;

/**
 * An input or output tensor of an engine or network.
 *
 * @param name      tensor name
 * @param input     whether it is an input (else an output)
 * @param dtype     element type
 * @param dims      dimensions; -1 for a dynamic one (engine) or an unknown one (network)
 * @param dimNames  per dimension the symbolic name the ONNX model gave it, or {@code null}; all
 *                  {@code null} for engines, which do not keep names
 * @param onHost    whether TensorRT expects the tensor in host memory (shape tensors)
 */
public record TrtTensorInfo(String name, boolean input, TrtDataType dtype, long[] dims, List<String> dimNames,
                            boolean onHost) {
    public TrtTensorInfo {
        dims = dims.clone();
        dimNames = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(dimNames));
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    @Override
    public String toString() {
        return (input ? "input " : "output ") + name + ": " + dtype + Arrays.toString(dims) + (onHost ? " (host)" : "");
    }
}

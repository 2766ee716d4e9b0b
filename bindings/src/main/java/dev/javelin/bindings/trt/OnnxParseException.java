package dev.javelin.bindings.trt;

import java.util.List;

/** TensorRT's ONNX parser rejected a model; every parser error is in the message, one per node. */
public final class OnnxParseException extends RuntimeException {
    private final List<String> errors;

    public OnnxParseException(String model, List<String> errors) {
        super("TensorRT's ONNX parser rejected " + model + " with " + (errors.isEmpty() ? "no error reported"
                : errors.size() + (errors.size() == 1 ? " error: " : " errors: ") + String.join("; ", errors)));
        this.errors = List.copyOf(errors);
    }

    /** One entry per parser error, e.g. {@code node 12 'Conv_3' (Conv): ...}. */
    public List<String> errors() {
        return errors;
    }

    /**
     * One parser error as text: {@code node 12 'Conv_3' (Conv): <description> [<code>]}. A negative node index
     * (an error not tied to a node, e.g. a bad opset import) is left out, as are empty names.
     */
    public static String describe(int node, String nodeName, String nodeOperator, String description, String code) {
        StringBuilder sb = new StringBuilder();
        if (node >= 0) {
            sb.append("node ").append(node);
        } else {
            sb.append("model");
        }
        if (nodeName != null && !nodeName.isEmpty()) {
            sb.append(" '").append(nodeName).append('\'');
        }
        if (nodeOperator != null && !nodeOperator.isEmpty()) {
            sb.append(" (").append(nodeOperator).append(')');
        }
        sb.append(": ").append(description == null || description.isBlank() ? "no description" : description.strip());
        if (code != null && !code.isEmpty()) {
            sb.append(" [").append(code).append(']');
        }
        return sb.toString();
    }
}

package dev.javelin.bindings.trt;

import java.util.List;

/** TensorRT's ONNX parser rejected a model; every parser error is in the message, one per node. */
public final class OnnxParseException extends RuntimeException {
    private final List<String> errors;

    public OnnxParseException(String model, List<String> errors) {
        super("TensorRT's ONNX parser rejected " + model + ": " + (errors.isEmpty() ? "no error reported"
                : String.join("; ", errors)));
        this.errors = List.copyOf(errors);
    }

    /** One entry per parser error, e.g. {@code node 12 'Conv_3' (Conv): ...}. */
    public List<String> errors() {
        return errors;
    }
}

package dev.javelin.runtime;

/**
 * A request's inputs do not match the model signature (unknown or missing name, dtype, rank,
 * fixed dimension, buffer size). Raised in Java before any native call.
 */
public final class InvalidInputException extends JavelinException {
    private final String tensor;

    public InvalidInputException(String tensor, String message) {
        super(message);
        this.tensor = tensor;
    }

    /** Name of the offending tensor, or {@code null} when the problem is not about one tensor. */
    public String tensor() {
        return tensor;
    }
}

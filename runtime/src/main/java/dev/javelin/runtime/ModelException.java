package dev.javelin.runtime;

/** The model file or bundle cannot be used: missing, truncated, malformed, or refused by the backend. */
public final class ModelException extends JavelinException {
    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}

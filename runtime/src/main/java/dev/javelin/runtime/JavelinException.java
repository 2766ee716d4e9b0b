package dev.javelin.runtime;

/**
 * The one exception family Javelin throws for failures a caller can act on. Each message names the
 * tensor, node, file or backend concerned and what was expected. Programmer errors (null arguments,
 * illegal option values) stay plain JDK exceptions.
 */
public abstract sealed class JavelinException extends RuntimeException
        permits ModelException, InvalidInputException, BackendUnavailableException,
                NativeFailureException, SessionClosedException, RejectedException {

    protected JavelinException(String message) {
        super(message);
    }

    protected JavelinException(String message, Throwable cause) {
        super(message, cause);
    }
}

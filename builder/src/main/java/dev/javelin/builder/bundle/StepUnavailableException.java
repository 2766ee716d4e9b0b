package dev.javelin.builder.bundle;

/** A build asked for a graph step this build of Javelin does not include (yet); nothing has been written. */
public final class StepUnavailableException extends RuntimeException {
    public StepUnavailableException(String message) {
        super(message);
    }
}

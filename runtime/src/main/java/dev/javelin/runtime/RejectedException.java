package dev.javelin.runtime;

/** A request was not run: the queue was full, its deadline passed, or it was cancelled. */
public final class RejectedException extends JavelinException {
    /** Why the request was not run. */
    public enum Reason {
        /** The bounded request queue was full. */
        QUEUE_FULL,
        /** The request's deadline passed before it completed. */
        TIMEOUT,
        /** The caller cancelled the request. */
        CANCELLED
    }

    private final Reason reason;

    public RejectedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Why the request was rejected. */
    public Reason reason() {
        return reason;
    }
}

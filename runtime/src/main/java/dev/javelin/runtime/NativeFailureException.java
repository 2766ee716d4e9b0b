package dev.javelin.runtime;

/** A native library call failed; the message holds the call and the native status. */
public final class NativeFailureException extends JavelinException {
    public NativeFailureException(String message, Throwable cause) {
        super(message, cause);
    }

    public NativeFailureException(String message) {
        super(message);
    }
}

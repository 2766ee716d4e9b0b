package dev.javelin.runtime;

/** The session (or a lane or stream of it) was closed before or while the call ran. */
public final class SessionClosedException extends JavelinException {
    public SessionClosedException(String message) {
        super(message);
    }
}

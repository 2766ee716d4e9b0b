package dev.javelin.runtime;

/**
 * A backend that was asked for (or is needed) cannot run on this machine: no NVIDIA driver, no device,
 * a native library missing, compute capability too old. The message says which and how to fix it.
 */
public final class BackendUnavailableException extends JavelinException {
    private final String backend;

    public BackendUnavailableException(String backend, String reason) {
        super("backend '" + backend + "' is unavailable: " + reason);
        this.backend = backend;
    }

    public BackendUnavailableException(String backend, String reason, Throwable cause) {
        super("backend '" + backend + "' is unavailable: " + reason, cause);
        this.backend = backend;
    }

    /** Name of the backend ({@code tensorrt}, {@code cuda}, {@code cpu}). */
    public String backend() {
        return backend;
    }
}

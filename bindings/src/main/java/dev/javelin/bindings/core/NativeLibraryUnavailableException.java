package dev.javelin.bindings.core;

import java.util.List;

/**
 * A native library (or the NVIDIA driver it needs) could not be loaded. Carries every path or
 * mechanism tried and what was expected, so the user can fix the installation.
 */
public class NativeLibraryUnavailableException extends RuntimeException {
    private final String library;
    private final String expected;
    private final List<String> attempts;

    public NativeLibraryUnavailableException(String library, String reason, List<String> attempts, Throwable cause) {
        this(library, reason, null, attempts, cause);
    }

    /**
     * @param library  what could not be loaded, e.g. {@code "CUDA driver"}
     * @param reason   why, e.g. {@code "no NVIDIA driver: libcuda.so.1 not found"}
     * @param expected the libraries and versions needed, or {@code null}
     * @param attempts every mechanism tried, in order, with its outcome
     * @param cause    the underlying error, or {@code null}
     */
    public NativeLibraryUnavailableException(String library, String reason, String expected, List<String> attempts,
                                             Throwable cause) {
        super(library + " is unavailable: " + reason
                + (expected == null ? "" : "; expected " + expected)
                + (attempts.isEmpty() ? "" : "; tried: " + String.join("; ", attempts)), cause);
        this.library = library;
        this.expected = expected;
        this.attempts = List.copyOf(attempts);
    }

    /** The library that failed, e.g. {@code "CUDA driver"}. */
    public String library() {
        return library;
    }

    /** The libraries and versions that were expected, or {@code null}. */
    public String expected() {
        return expected;
    }

    /** What was tried, in order. */
    public List<String> attempts() {
        return attempts;
    }
}

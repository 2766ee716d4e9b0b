package dev.javelin.bindings.core;

import java.util.List;

/**
 * A native library (or the NVIDIA driver it needs) could not be loaded. Carries every path or
 * mechanism tried and what was expected, so the user can fix the installation.
 */
public class NativeLibraryUnavailableException extends RuntimeException {
    private final String library;
    private final List<String> attempts;

    public NativeLibraryUnavailableException(String library, String reason, List<String> attempts, Throwable cause) {
        super(library + " is unavailable: " + reason + (attempts.isEmpty() ? "" : "; tried: " + String.join("; ", attempts)), cause);
        this.library = library;
        this.attempts = List.copyOf(attempts);
    }

    /** The library that failed, e.g. {@code "CUDA driver (libcuda.so.1)"}. */
    public String library() {
        return library;
    }

    /** What was tried, in order. */
    public List<String> attempts() {
        return attempts;
    }
}

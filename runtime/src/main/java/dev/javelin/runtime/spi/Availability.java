package dev.javelin.runtime.spi;

/**
 * Whether a backend can run on this machine, and why (not).
 *
 * @param usable whether sessions can be opened on the backend
 * @param detail when usable, what it will run on (e.g. {@code "NVIDIA A10G, compute 8.6"}); otherwise
 *               the reason and the fix (e.g. {@code "no NVIDIA driver: libcuda.so.1 not found"})
 */
public record Availability(boolean usable, String detail) {
    /** A usable backend. */
    public static Availability usable(String detail) {
        return new Availability(true, detail);
    }

    /** An unusable backend with its reason. */
    public static Availability unusable(String reason) {
        return new Availability(false, reason);
    }
}

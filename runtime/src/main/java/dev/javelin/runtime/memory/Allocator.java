package dev.javelin.runtime.memory;

/**
 * Where a {@link BufferPool} gets and returns its memory: host, pinned host or device buffers.
 *
 * @param <B> the buffer type
 */
public interface Allocator<B> {
    /** Allocates a buffer of exactly {@code capacity} bytes; the pool owns it. */
    B allocate(long capacity);

    /** Frees a buffer the pool no longer keeps. */
    void free(B buffer);

    /** A short name for messages and metrics, e.g. {@code "host"}, {@code "device 0"}. */
    String name();
}

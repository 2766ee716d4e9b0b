package dev.javelin.runtime.memory;

/**
 * A pooled buffer lent to one request. {@link #close()} gives it back to its pool (once; later calls do
 * nothing). The buffer may be larger than asked for: {@link #bytes()} is what was asked.
 *
 * @param <B> the buffer type
 */
public final class Lease<B> implements AutoCloseable {
    private final BufferPool<B> pool;
    private final B buffer;
    private final int sizeClass;
    private final long bytes;
    private boolean returned;

    Lease(BufferPool<B> pool, B buffer, int sizeClass, long bytes) {
        this.pool = pool;
        this.buffer = buffer;
        this.sizeClass = sizeClass;
        this.bytes = bytes;
    }

    /** The leased buffer; valid until {@link #close()}. */
    public B buffer() {
        if (returned) {
            throw new IllegalStateException("lease of " + bytes + " bytes from the " + pool.name() + " pool was returned");
        }
        return buffer;
    }

    /** The requested size in bytes. */
    public long bytes() {
        return bytes;
    }

    /** The size class the buffer came from. */
    public int sizeClass() {
        return sizeClass;
    }

    /** Returns the buffer to the pool; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (returned) {
                return;
            }
            returned = true;
        }
        pool.giveBack(buffer, sizeClass);
    }
}

package dev.javelin.runtime.memory;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Buffers pooled by {@link SizeClasses size class}: {@link #lease} takes a free buffer of the request's class
 * or allocates one, and closing the lease puts it back. In steady state (the same request sizes again and
 * again) no request allocates: {@link #stats()} counts the allocations so tests and the executor's metrics
 * can show it. Free buffers beyond {@code maxRetainedBytes} are freed instead of kept, which bounds what an
 * idle pool holds. Thread-safe; each class has its own lock so requests of different sizes do not contend.
 *
 * <p>{@link #close()} frees every free buffer; buffers still leased are freed when they come back.
 *
 * @param <B> the buffer type (host, pinned host or device buffer)
 */
public final class BufferPool<B> implements AutoCloseable {
    /** Counters of one pool, as of one moment. */
    public record Stats(long leases, long allocations, long frees, long retainedBytes, long leasedBytes) {
    }

    private final Allocator<B> allocator;
    private final SizeClasses classes;
    private final long maxRetainedBytes;
    private final ArrayDeque<B>[] free;
    private final AtomicLong leases = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();
    private final AtomicLong frees = new AtomicLong();
    private final AtomicLong retained = new AtomicLong();
    private final AtomicLong leased = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param allocator        where buffers come from and go back to
     * @param classes          the size classes
     * @param maxRetainedBytes most free bytes kept for reuse; returned buffers beyond it are freed
     */
    @SuppressWarnings("unchecked")
    public BufferPool(Allocator<B> allocator, SizeClasses classes, long maxRetainedBytes) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.classes = Objects.requireNonNull(classes, "classes");
        if (maxRetainedBytes < 0) {
            throw new IllegalArgumentException("maxRetainedBytes must be >= 0, was " + maxRetainedBytes);
        }
        this.maxRetainedBytes = maxRetainedBytes;
        this.free = new ArrayDeque[63];
        for (int i = 0; i < free.length; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** The allocator's name. */
    public String name() {
        return allocator.name();
    }

    /** The pool's size classes. */
    public SizeClasses classes() {
        return classes;
    }

    /**
     * Lends a buffer of at least {@code bytes} bytes; close the lease to return it.
     *
     * @throws IllegalStateException if the pool is closed
     */
    public Lease<B> lease(long bytes) {
        if (closed) {
            throw new IllegalStateException("the " + name() + " buffer pool is closed");
        }
        int c = classes.classOf(bytes);
        long capacity = classes.capacity(c);
        B buffer;
        ArrayDeque<B> list = free[c];
        synchronized (list) {
            buffer = list.pollLast(); // most recently used first: likely still in cache
        }
        if (buffer == null) {
            buffer = allocator.allocate(capacity);
            allocations.incrementAndGet();
        } else {
            retained.addAndGet(-capacity);
        }
        leases.incrementAndGet();
        leased.addAndGet(capacity);
        return new Lease<>(this, buffer, c, bytes);
    }

    void giveBack(B buffer, int sizeClass) {
        long capacity = classes.capacity(sizeClass);
        leased.addAndGet(-capacity);
        if (!closed) {
            if (retained.addAndGet(capacity) <= maxRetainedBytes) {
                ArrayDeque<B> list = free[sizeClass];
                synchronized (list) {
                    if (!closed) {
                        list.addLast(buffer);
                        return;
                    }
                }
            }
            retained.addAndGet(-capacity);
        }
        allocator.free(buffer);
        frees.incrementAndGet();
    }

    /** Current counters. */
    public Stats stats() {
        return new Stats(leases.get(), allocations.get(), frees.get(), retained.get(), leased.get());
    }

    /** Frees every free buffer; leased buffers are freed as they are returned. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (int c = 0; c < free.length; c++) {
            ArrayDeque<B> list = free[c];
            synchronized (list) {
                B b;
                while ((b = list.pollLast()) != null) {
                    retained.addAndGet(-classes.capacity(c));
                    allocator.free(b);
                    frees.incrementAndGet();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "BufferPool[" + name() + ", " + stats() + "]";
    }
}

package dev.javelin.runtime;

import dev.javelin.bindings.core.HostBuffer;
import java.nio.ByteBuffer;

/** Owned host memory behind {@link Tensor#allocate}; freed on close. */
final class HostMemory implements AutoCloseable {
    private final HostBuffer buffer;

    private HostMemory(HostBuffer buffer) {
        this.buffer = buffer;
    }

    static HostMemory allocate(long bytes) {
        return new HostMemory(HostBuffer.allocate(bytes));
    }

    ByteBuffer buffer() {
        return buffer.buffer();
    }

    @Override
    public void close() {
        buffer.close();
    }
}

package dev.javelin.bindings.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Zero-filled native host memory with a direct, native-order {@link ByteBuffer} over it, freed
 * deterministically on {@link #close()} (not left to the garbage collector, unlike
 * {@code ByteBuffer.allocateDirect}).
 */
public final class HostBuffer extends NativeHandle {
    /** Alignment of every allocation: enough for AVX-512 loads and for ORT's own expectations. */
    public static final int ALIGNMENT = 64;

    private final Pointer raw;
    private final ByteBuffer buffer;
    private final long bytes;

    private HostBuffer(long bytes) {
        super("host buffer of " + bytes + " bytes");
        this.bytes = bytes;
        // calloc over-allocates by the alignment so the buffer can start on an aligned address.
        Pointer p = Pointer.calloc(bytes + ALIGNMENT, 1);
        if (p == null || p.isNull()) {
            throw new OutOfMemoryError("calloc(" + (bytes + ALIGNMENT) + ") failed");
        }
        this.raw = p;
        long misalign = p.address() % ALIGNMENT;
        long offset = misalign == 0 ? 0 : ALIGNMENT - misalign;
        // View the whole allocation, then slice out [offset, offset + bytes): BytePointer.asBuffer() starts
        // at the pointer's address with the position as buffer position, so slicing is what makes index 0
        // the aligned first byte (and capacity the requested size).
        ByteBuffer whole = new BytePointer(p).capacity(bytes + ALIGNMENT).asBuffer();
        this.buffer = whole.position((int) offset).limit((int) (offset + bytes)).slice().order(ByteOrder.nativeOrder());
    }

    /** Allocates {@code bytes} of zeroed memory; the caller owns the result. */
    public static HostBuffer allocate(long bytes) {
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("host buffers hold 0 to 2 GiB, asked for " + bytes + " bytes");
        }
        return new HostBuffer(bytes);
    }

    /** The memory as a direct native-order buffer; invalid after {@link #close()}. */
    public ByteBuffer buffer() {
        checkOpen();
        return buffer;
    }

    /** Size in bytes. */
    public long bytes() {
        return bytes;
    }

    @Override
    protected void release() {
        Pointer.free(raw);
    }
}

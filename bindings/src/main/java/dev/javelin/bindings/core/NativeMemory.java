package dev.javelin.bindings.core;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Raw addresses of direct buffers and buffers over raw addresses, for handing memory to native calls. */
public final class NativeMemory {
    private NativeMemory() {
    }

    /**
     * The address of {@code buffer}'s current position. The buffer must be direct; it is borrowed, so the
     * caller keeps it reachable while native code uses the address.
     *
     * @throws IllegalArgumentException if the buffer is heap-backed
     */
    public static long address(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("native calls need a direct buffer, got a heap buffer");
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(buffer)) + buffer.position();
    }

    /**
     * A native-order buffer over {@code bytes} at {@code address}; it does not own the memory, which must
     * outlive every use of the buffer.
     */
    public static ByteBuffer wrap(long address, long bytes) {
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a buffer view holds 0 to 2 GiB, asked for " + bytes + " bytes");
        }
        return new Pointer(address).getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }
}

package dev.javelin.bindings.ort;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtStatus;
import org.bytedeco.onnxruntime.OrtValue;

/**
 * Native out-parameter slots and mutable pointer objects reused across calls by one thread at a time.
 *
 * <p>Why: every JavaCPP {@code Pointer} allocated with native memory registers a deallocator in a
 * global, synchronized list (and may trigger physical-memory accounting); doing that per inference
 * call costs microseconds and serializes concurrent callers. Here the slots are allocated once and
 * the pointer objects handed to native calls are re-aimed by setting their address field, so a
 * steady-state call allocates no native memory and registers nothing.
 */
final class Scratch implements AutoCloseable {
    /** A {@code BytePointer} whose address can be changed; never owns memory. */
    static final class Bytes extends BytePointer {
        Bytes() {
            super((Pointer) null);
        }

        Bytes at(long addr, long bytes) {
            this.address = addr;
            this.position = 0;
            this.limit = bytes;
            this.capacity = bytes;
            return this;
        }

        /** The direct address of a buffer's first byte (its base, not its position). */
        static long addressOf(Buffer b) {
            return getDirectBufferAddress(b);
        }
    }

    /** A {@code LongPointer} whose address can be changed; never owns memory. */
    static final class Longs extends LongPointer {
        Longs() {
            super((Pointer) null);
        }

        Longs at(long addr, long count) {
            this.address = addr;
            this.position = 0;
            this.limit = count;
            this.capacity = count;
            return this;
        }
    }

    /** An {@code OrtValue} whose address can be changed; never owns the value. */
    static final class ValueRef extends OrtValue {
        ValueRef() {
            super((Pointer) null);
        }

        ValueRef at(long addr) {
            this.address = addr;
            return this;
        }
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder());

    /** A one-entry {@code void*} out-parameter, and a long view of the same slot to read it without allocating. */
    final PointerPointer<Pointer> ptrSlot = new PointerPointer<>(1L);
    final LongPointer ptrSlotValue = new LongPointer(ptrSlot);
    final IntPointer intSlot = new IntPointer(1L);
    final SizeTPointer sizeSlot = new SizeTPointer(1L);
    final Bytes bytes = new Bytes();
    final Longs longs = new Longs();
    final ValueRef value = new ValueRef();

    /** Reads the address ONNX Runtime wrote into {@link #ptrSlot}. */
    long ptrResult() {
        return ptrSlotValue.get(0);
    }

    /** A direct native-order buffer over {@code [addr, addr + n)}; the memory stays owned by whoever owns it. */
    ByteBuffer buffer(long addr, long n) {
        if (n == 0) {
            return EMPTY;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor of " + n + " bytes exceeds the 2 GiB a ByteBuffer can address");
        }
        return bytes.at(addr, n).asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /**
     * Reads element type, shape and data address of a tensor value without native allocation on the default
     * line (see {@link OrtStackApi#typeAndShape}) and GetTensorMutableData (data owned by the value).
     */
    Meta describe(OrtApi api, long valueAddr, String what) {
        ValueRef v = value.at(valueAddr);
        long[] shape = OrtStackApi.typeAndShape(api, v, this, what);
        int type = intSlot.get();
        Ort.check(api.GetTensorMutableData(v, ptrSlot), "GetTensorMutableData(" + what + ")");
        return new Meta(type, shape, ptrResult());
    }

    /** Element type, shape and data address of a value. */
    record Meta(int elementType, long[] shape, long data) {
    }

    @Override
    public void close() {
        ptrSlot.close();
        intSlot.close();
        sizeSlot.close();
    }
}

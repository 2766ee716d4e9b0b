package dev.javelin.bindings.cuda;

import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.List;

/**
 * The parameter values of one kernel launch, in declaration order, laid out the way
 * {@code cuLaunchKernel}'s {@code kernelParams} wants them: an array of pointers, entry {@code i} pointing at
 * the value of parameter {@code i} in its C representation (a {@code long long} for a 64-bit integer, the
 * 8-byte device address for a pointer, the bytes of a struct passed by value). The driver copies the values
 * during the call, so one {@code KernelArgs} can be launched many times and changed in between.
 *
 * <p>The kinds are explicit because the driver cannot check them: a parameter read with the wrong width
 * is silently garbage on the GPU. Kernel launchers declare their parameter lists and the tests compare them
 * with the PTX.
 */
public final class KernelArgs {
    /** The C representation of one parameter. */
    public enum Kind {
        /** A device address ({@code T*}): 8 bytes. */
        POINTER(8, 8, "u64"),
        /** {@code int} / {@code unsigned}: 4 bytes. */
        INT32(4, 4, "u32"),
        /** {@code long long}: 8 bytes. */
        INT64(8, 8, "u64"),
        /** {@code float}: 4 bytes. */
        FLOAT32(4, 4, "f32"),
        /** A struct passed by value; its size and alignment come with the value. */
        STRUCT(0, 0, "b8");

        private final int bytes;
        private final int alignment;
        private final String ptxType;

        Kind(int bytes, int alignment, String ptxType) {
            this.bytes = bytes;
            this.alignment = alignment;
            this.ptxType = ptxType;
        }

        /** Size in bytes (0 for {@link #STRUCT}, whose size is per value). */
        public int bytes() {
            return bytes;
        }

        /** The PTX {@code .param} type nvcc emits for this kind: {@code u64}, {@code u32}, {@code f32}, or {@code b8} (array). */
        public String ptxType() {
            return ptxType;
        }
    }

    private record Value(Kind kind, byte[] bytes, int alignment) {
    }

    private final List<Value> values = new ArrayList<>();

    /** Appends a device address (0 is passed as a null pointer). */
    public KernelArgs pointer(long address) {
        return add(Kind.POINTER, le(address, 8), 8);
    }

    /** Appends an {@code int}. */
    public KernelArgs int32(int value) {
        return add(Kind.INT32, le(value, 4), 4);
    }

    /** Appends a {@code long long}. */
    public KernelArgs int64(long value) {
        return add(Kind.INT64, le(value, 8), 8);
    }

    /** Appends a {@code float}. */
    public KernelArgs float32(float value) {
        return add(Kind.FLOAT32, le(Float.floatToRawIntBits(value), 4), 4);
    }

    /**
     * Appends a struct passed by value: its bytes in C layout (little-endian fields, padding included) and its
     * alignment, a power of two.
     */
    public KernelArgs struct(byte[] bytes, int alignment) {
        if (bytes.length == 0 || Integer.bitCount(alignment) != 1 || alignment > 16) {
            throw new IllegalArgumentException("a struct parameter has at least one byte and an alignment of 1..16, a power "
                    + "of two; got " + bytes.length + " bytes aligned to " + alignment);
        }
        return add(Kind.STRUCT, bytes.clone(), alignment);
    }

    private KernelArgs add(Kind kind, byte[] bytes, int alignment) {
        values.add(new Value(kind, bytes, alignment));
        return this;
    }

    private static byte[] le(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    /** Number of parameters. */
    public int count() {
        return values.size();
    }

    /** The kind of parameter {@code i}. */
    public Kind kind(int i) {
        return values.get(i).kind();
    }

    /** The size in bytes of parameter {@code i}. */
    public int size(int i) {
        return values.get(i).bytes().length;
    }

    /** A copy of the bytes of parameter {@code i} as the kernel receives them (little-endian). */
    public byte[] value(int i) {
        return values.get(i).bytes().clone();
    }

    /** The raw value of a {@link Kind#POINTER} or {@link Kind#INT64} parameter (sign-extended for {@link Kind#INT32}). */
    public long longValue(int i) {
        byte[] b = values.get(i).bytes();
        long v = 0;
        for (int k = b.length - 1; k >= 0; k--) {
            v = (v << 8) | (b[k] & 0xFF);
        }
        return b.length == 4 ? (int) v : v;
    }

    /**
     * Native memory holding the values and, after them, the pointer array; the caller keeps the returned
     * object reachable until the launch call has returned (the driver copies the values during the call).
     *
     * @return the memory; {@link #pointerArray} gives the {@code kernelParams} address inside it
     */
    Memory marshal() {
        long offset = 0;
        long[] at = new long[values.size()];
        for (int i = 0; i < values.size(); i++) {
            Value v = values.get(i);
            offset = align(offset, v.alignment());
            at[i] = offset;
            offset += v.bytes().length;
        }
        long table = align(offset, 8);
        Memory m = new Memory(Math.max(8, table + 8L * values.size()));
        long base = com.sun.jna.Pointer.nativeValue(m);
        // Memory is 8-byte aligned by JNA; 16-byte struct alignment is honoured relative to the base, and
        // the driver copies by size, so the absolute alignment of a staged value does not matter.
        for (int i = 0; i < values.size(); i++) {
            m.write(at[i], values.get(i).bytes(), 0, values.get(i).bytes().length);
            m.setLong(table + 8L * i, base + at[i]);
        }
        return m;
    }

    /** The address of the pointer array inside memory made by {@link #marshal()} for these values. */
    long pointerArray(Memory marshalled) {
        if (values.isEmpty()) {
            return 0;
        }
        long offset = 0;
        for (Value v : values) {
            offset = align(offset, v.alignment()) + v.bytes().length;
        }
        return com.sun.jna.Pointer.nativeValue(marshalled) + align(offset, 8);
    }

    private static long align(long x, int a) {
        return (x + a - 1) / a * a;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Value v = values.get(i);
            switch (v.kind()) {
                case POINTER -> sb.append("0x").append(Long.toHexString(longValue(i)));
                case INT32, INT64 -> sb.append(longValue(i));
                case FLOAT32 -> sb.append(Float.intBitsToFloat((int) longValue(i))).append('f');
                case STRUCT -> sb.append("struct[").append(v.bytes().length).append(']');
            }
        }
        return sb.append(')').toString();
    }
}

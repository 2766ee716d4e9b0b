package dev.javelin.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A dense, row-major tensor in host memory: element type, concrete shape and a direct, native-order
 * buffer. Tensors from {@link #allocate} and from a backend own their memory and free it on
 * {@link #close()}; {@link #wrap} borrows the caller's buffer. {@link #reshape} and {@link #slice}
 * return views that share memory with their parent and never free it.
 *
 * <p>Not thread-safe for concurrent writes; concurrent reads are fine.
 */
public final class Tensor implements AutoCloseable {
    private final DType dtype;
    private final Shape shape;
    private final ByteBuffer data;
    private final AutoCloseable owner;
    private final Tensor parent;
    private volatile boolean closed;

    private Tensor(DType dtype, Shape shape, ByteBuffer data, AutoCloseable owner, Tensor parent) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
        this.owner = owner;
        this.parent = parent;
    }

    /**
     * Allocates a zero-filled tensor in native memory; the caller owns it and must close it.
     */
    public static Tensor allocate(DType dtype, Shape shape) {
        long bytes = byteSize(dtype, shape);
        HostMemory memory = HostMemory.allocate(bytes);
        return new Tensor(dtype, shape, memory.buffer(), memory, null);
    }

    /**
     * Wraps a caller's direct buffer without copying. The buffer must be direct, in native byte order,
     * and hold exactly {@code shape.elementCount() * dtype.byteSize()} bytes from its position to its limit.
     * The caller keeps ownership; closing the tensor does not free the buffer.
     *
     * @throws IllegalArgumentException if the buffer is heap-backed, in the wrong byte order or of the wrong size
     */
    public static Tensor wrap(ByteBuffer buffer, DType dtype, Shape shape) {
        return adopt(buffer, dtype, shape, null);
    }

    /**
     * Wraps a direct buffer whose memory is released by {@code owner.close()} when the tensor is closed.
     * For backends handing results to callers; ownership of {@code owner} passes to the tensor.
     */
    public static Tensor adopt(ByteBuffer buffer, DType dtype, Shape shape, AutoCloseable owner) {
        Objects.requireNonNull(buffer, "buffer");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("tensor buffers must be direct (ByteBuffer.allocateDirect or Tensor.allocate)");
        }
        if (buffer.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("tensor buffers must be in native byte order (" + ByteOrder.nativeOrder() + ")");
        }
        long expected = byteSize(dtype, shape);
        if (buffer.remaining() != expected) {
            throw new IllegalArgumentException("buffer holds " + buffer.remaining() + " bytes but a " + dtype + shape
                    + " tensor needs " + expected);
        }
        ByteBuffer view = buffer.slice().order(ByteOrder.nativeOrder());
        return new Tensor(dtype, shape, view, owner, null);
    }

    /**
     * As {@link #adopt}, but the tensor keeps {@code buffer} itself instead of a view of it: for a backend
     * handing over a buffer object made for this one tensor, on a path where the extra view object per
     * output showed up in the allocation profile. The buffer must be direct, in native order, at position 0
     * with limit and capacity equal to the tensor's size, and no one else may move its position or limit.
     */
    public static Tensor adoptExclusive(ByteBuffer buffer, DType dtype, Shape shape, AutoCloseable owner) {
        Objects.requireNonNull(buffer, "buffer");
        long expected = byteSize(Objects.requireNonNull(dtype, "dtype"), Objects.requireNonNull(shape, "shape"));
        if (!buffer.isDirect() || buffer.order() != ByteOrder.nativeOrder() || buffer.position() != 0
                || buffer.limit() != buffer.capacity() || buffer.capacity() != expected) {
            // Not the exclusive form: fall back to the checked path, which makes a view or explains what is wrong.
            return adopt(buffer, dtype, shape, owner);
        }
        return new Tensor(dtype, shape, buffer, owner, null);
    }

    /** A float32 tensor holding a copy of {@code values}. */
    public static Tensor of(float[] values, Shape shape) {
        Tensor t = allocateChecked(DType.FLOAT32, shape, values.length);
        t.data.asFloatBuffer().put(values);
        return t;
    }

    /** An int64 tensor holding a copy of {@code values}. */
    public static Tensor of(long[] values, Shape shape) {
        Tensor t = allocateChecked(DType.INT64, shape, values.length);
        t.data.asLongBuffer().put(values);
        return t;
    }

    /** An int32 tensor holding a copy of {@code values}. */
    public static Tensor of(int[] values, Shape shape) {
        Tensor t = allocateChecked(DType.INT32, shape, values.length);
        t.data.asIntBuffer().put(values);
        return t;
    }

    /** A one-byte-element tensor ({@code int8}, {@code uint8} or {@code bool}) holding a copy of {@code values}. */
    public static Tensor of(DType dtype, byte[] values, Shape shape) {
        if (dtype.byteSize() != 1) {
            throw new IllegalArgumentException(dtype + " is not a one-byte type");
        }
        Tensor t = allocateChecked(dtype, shape, values.length);
        t.data.duplicate().put(values);
        return t;
    }

    /** A float16 tensor holding {@code values} rounded to half precision. */
    public static Tensor ofFloat16(float[] values, Shape shape) {
        Tensor t = allocateChecked(DType.FLOAT16, shape, values.length);
        for (int i = 0; i < values.length; i++) {
            t.data.putShort(i * 2, Float16.fromFloat(values[i]));
        }
        return t;
    }

    private static Tensor allocateChecked(DType dtype, Shape shape, int length) {
        if (shape.elementCount() != length) {
            throw new IllegalArgumentException(length + " values do not fill shape " + shape);
        }
        return allocate(dtype, shape);
    }

    private static long byteSize(DType dtype, Shape shape) {
        return Math.multiplyExact(shape.elementCount(), (long) dtype.byteSize());
    }

    /** Element type. */
    public DType dtype() {
        return dtype;
    }

    /** Concrete shape. */
    public Shape shape() {
        return shape;
    }

    /** Where the memory lives; host memory for tensors in this API. */
    public Device device() {
        return Device.CPU;
    }

    /** Number of elements. */
    public long elementCount() {
        return shape.elementCount();
    }

    /** Size of the data in bytes. */
    public long byteSize() {
        return data.capacity();
    }

    /**
     * The tensor's memory as a native-order buffer (position 0, limit = byte size). Writes go to the
     * tensor. The buffer must not be used after the tensor is closed.
     */
    public ByteBuffer buffer() {
        checkOpen();
        return data.duplicate().order(ByteOrder.nativeOrder());
    }

    /**
     * The tensor's memory without the open check or a duplicate, for backends on the hot path;
     * callers must not change its position or limit.
     */
    public ByteBuffer unsafeBuffer() {
        return data;
    }

    /** Whether {@link #close()} was called on this tensor or on the tensor it is a view of. */
    public boolean isClosed() {
        return closed || (parent != null && parent.isClosed());
    }

    /** Copies the elements out as floats; float16 is widened. */
    public float[] toFloatArray() {
        checkOpen();
        int n = Math.toIntExact(elementCount());
        float[] out = new float[n];
        switch (dtype) {
            case FLOAT32 -> data.asFloatBuffer().get(out);
            case FLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float16.toFloat(data.getShort(i * 2));
                }
            }
            default -> throw new IllegalStateException("toFloatArray() needs float32 or float16, tensor is " + dtype);
        }
        return out;
    }

    /** Copies the elements out as longs; int32/int64 only. */
    public long[] toLongArray() {
        checkOpen();
        int n = Math.toIntExact(elementCount());
        long[] out = new long[n];
        switch (dtype) {
            case INT64 -> data.asLongBuffer().get(out);
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getInt(i * 4);
                }
            }
            default -> throw new IllegalStateException("toLongArray() needs int32 or int64, tensor is " + dtype);
        }
        return out;
    }

    /** Copies the raw bytes out. */
    public byte[] toByteArray() {
        checkOpen();
        byte[] out = new byte[Math.toIntExact(byteSize())];
        data.duplicate().get(out);
        return out;
    }

    /** A view with another shape of the same element count; shares memory. */
    public Tensor reshape(Shape newShape) {
        checkOpen();
        if (newShape.elementCount() != shape.elementCount()) {
            throw new IllegalArgumentException("cannot reshape " + shape + " (" + shape.elementCount()
                    + " elements) to " + newShape + " (" + newShape.elementCount() + " elements)");
        }
        return new Tensor(dtype, newShape, data, null, root());
    }

    /** A view of rows {@code [from, to)} along the first dimension; shares memory. */
    public Tensor slice(long from, long to) {
        checkOpen();
        if (shape.rank() == 0) {
            throw new IllegalArgumentException("cannot slice a scalar");
        }
        if (from < 0 || to < from || to > shape.dim(0)) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of dimension 0 of size " + shape.dim(0));
        }
        long rowBytes = shape.dim(0) == 0 ? 0 : byteSize() / shape.dim(0);
        ByteBuffer view = data.duplicate()
                .position(Math.toIntExact(from * rowBytes))
                .limit(Math.toIntExact(to * rowBytes))
                .slice()
                .order(ByteOrder.nativeOrder());
        return new Tensor(dtype, shape.withDim(0, to - from), view, null, root());
    }

    private Tensor root() {
        return parent == null ? this : parent;
    }

    private void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("tensor " + dtype + shape + " is closed");
        }
    }

    /** Frees owned memory; idempotent. Views only mark themselves closed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (owner != null) {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException("failed to free tensor " + dtype + shape, e);
            }
        }
    }

    @Override
    public String toString() {
        return "Tensor" + dtype + shape;
    }
}

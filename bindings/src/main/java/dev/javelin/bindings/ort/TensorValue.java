package dev.javelin.bindings.ort;

import dev.javelin.bindings.core.NativeHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtValue;

/**
 * Owner of one reference to an {@code OrtValue} holding a dense tensor, with a direct buffer over its
 * data. Two origins:
 * <ul>
 *   <li>{@link #wrap}: a tensor over the caller's direct memory, without a copy. The caller keeps owning
 *       the memory; this object keeps a reference to the buffer so the garbage collector cannot free
 *       memory that native code reads, and the buffer must stay valid until this value is closed.</li>
 *   <li>outputs handed over by ONNX Runtime ({@link SessionRunner#takeOutput}, {@link IoBinding#outputs}):
 *       the memory belongs to the value and is freed when it is closed.</li>
 * </ul>
 * Closing releases the reference ({@code ReleaseValue}); an IoBinding that bound the value holds its own.
 */
public final class TensorValue extends NativeHandle {
    private final OrtApi api;
    private final long value;
    private final ByteBuffer data;
    private final int elementType;
    private final long[] shape;
    private final Object keepAlive;
    // Where the value goes back on close instead of being released (a runner that pins outputs), or null.
    private SessionRunner recycler;
    private int recycleSlot;

    private TensorValue(String description, OrtApi api, long value, ByteBuffer data, int elementType, long[] shape,
                        Object keepAlive) {
        super(description);
        this.api = api;
        this.value = value;
        this.data = data;
        this.elementType = elementType;
        this.shape = shape;
        this.keepAlive = keepAlive;
    }

    /**
     * Takes ownership of an ORT value whose type, shape and data are already known (no native call).
     * {@code data} is the buffer earlier owners of the same value used (a runner's resident output, see
     * {@link SessionRunner#recycle}): it is taken over as is when its position and limit are untouched, as
     * the {@link #data()} contract asks of its users; its former owners are closed and never read it again.
     * Else a fresh view is made.
     */
    static TensorValue known(String description, OrtApi api, long value, ByteBuffer data, int elementType, long[] shape) {
        ByteBuffer view = data;
        if (data.position() != 0 || data.limit() != data.capacity()) {
            view = data.duplicate();
            view.clear();
        }
        return new TensorValue(description, api, value, view.order(ByteOrder.nativeOrder()), elementType, shape, null);
    }

    /** On close, offer the value back to {@code runner} (output {@code slot}) before releasing it. */
    TensorValue recycleTo(SessionRunner runner, int slot) {
        this.recycler = runner;
        this.recycleSlot = slot;
        return this;
    }

    /**
     * Creates a tensor over {@code data} from its position to its limit, without copying; the caller
     * owns the result and keeps owning the memory.
     *
     * @throws IllegalArgumentException if the buffer is not direct, the element type has no fixed size,
     *                                  or the buffer size does not match the shape
     */
    public static TensorValue wrap(ByteBuffer data, int elementType, long... shape) {
        if (!data.isDirect()) {
            throw new IllegalArgumentException("ONNX Runtime tensors need direct buffers");
        }
        int size = Ort.elementSize(elementType);
        if (size <= 0) {
            throw new IllegalArgumentException("element type " + Ort.elementTypeName(elementType) + " has no fixed size");
        }
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, d);
        }
        long bytes = Math.multiplyExact(count, (long) size);
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("buffer holds " + data.remaining() + " bytes but a "
                    + Ort.elementTypeName(elementType) + Arrays.toString(shape) + " tensor needs " + bytes);
        }
        OrtApi api = Ort.api();
        long[] dims = shape.clone();
        String what = Ort.elementTypeName(elementType) + Arrays.toString(dims);
        long addr;
        try (Scratch s = new Scratch()) {
            // CreateTensorWithDataAsOrtValue: the value is owned by the result; the data stays the caller's.
            OrtValue out = new OrtValue();
            long base = Scratch.Bytes.addressOf(data) + data.position();
            try {
                Ort.check(api.CreateTensorWithDataAsOrtValue(Ort.cpuMemoryInfo(), s.bytes.at(base, bytes), bytes, dims,
                        dims.length, elementType, out), "CreateTensorWithDataAsOrtValue(" + what + ")");
            } catch (RuntimeException e) {
                throw Ort.wrap("CreateTensorWithDataAsOrtValue(" + what + ")", e);
            }
            addr = out.address();
        }
        return new TensorValue("ORT tensor " + what + " over caller memory", api, addr, data.slice().order(ByteOrder.nativeOrder()), elementType,
                dims, data);
    }

    /** Takes ownership of an ORT-allocated tensor value; reads its type, shape and data address. */
    static TensorValue adopt(OrtApi api, long value, Scratch scratch, String name) {
        Scratch.Meta m;
        try {
            m = scratch.describe(api, value, name);
        } catch (RuntimeException e) {
            api.ReleaseValue(scratch.value.at(value));
            throw Ort.wrap("describe output " + name, e);
        }
        long count = 1;
        for (long d : m.shape()) {
            count *= d;
        }
        int size = Ort.elementSize(m.elementType());
        if (size <= 0) {
            api.ReleaseValue(scratch.value.at(value));
            throw new OrtException("output " + name, OrtErrorCode.NOT_IMPLEMENTED.code(),
                    "element type " + Ort.elementTypeName(m.elementType()) + " cannot be read as a dense buffer");
        }
        ByteBuffer buf = scratch.buffer(m.data(), count * size);
        return new TensorValue("ORT output " + name, api, value, buf, m.elementType(), m.shape(), null);
    }

    /**
     * The data: a direct native-order buffer, position 0, limit = byte size; invalid after close. The buffer
     * object is this value's own (made for it alone): it may be handed to one owner as is, but nobody may
     * move its position or limit while others read it (take a duplicate for that).
     */
    public ByteBuffer data() {
        checkOpen();
        return data;
    }

    /** ONNX element type number. */
    public int elementType() {
        return elementType;
    }

    /** Shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** Data size in bytes. */
    public long byteSize() {
        return data.capacity();
    }

    /** Whether the data lives in memory the caller gave ({@link #wrap}) rather than memory of the value. */
    public boolean wrapsCallerMemory() {
        return keepAlive != null;
    }

    long address() {
        checkOpen();
        return value;
    }

    /**
     * Whether the shape is exactly {@code dims}, compared without copying (callers on the per-run path
     * use it to reuse a shape object they made for an earlier output).
     */
    public boolean hasShape(long[] dims) {
        return Arrays.equals(shape, dims);
    }

    // For the runner that hands this value out and takes it back (see SessionRunner.recycle): the native
    // value, and the buffer over its memory, kept to hand the value out again without describing it.
    long rawValue() {
        return value;
    }

    ByteBuffer rawData() {
        return data;
    }

    @Override
    protected void release() {
        if (recycler != null && recycler.recycle(recycleSlot, this)) {
            return; // the runner owns the value again and will pin it as the output of a later run
        }
        // ReleaseValue: drops this reference; the caller's memory (wrap) is never freed here.
        api.ReleaseValue(new Scratch.ValueRef().at(value));
    }
}

package dev.javelin.bindings.cuda;

import dev.javelin.bindings.core.Bytes;
import dev.javelin.bindings.core.NativeHandle;
import dev.javelin.bindings.core.NativeMemory;
import java.nio.ByteBuffer;

/**
 * Page-locked host memory from {@code cuMemHostAlloc}, freed on {@link #close()}. Copies between it and
 * the device run asynchronously at full bus speed. Allocated portable (usable from every context); when
 * {@code mapped}, the device can also read and write it directly through {@link #devicePointer()}, which on
 * an integrated GPU (Jetson) replaces copies altogether.
 */
public final class PinnedHostBuffer extends NativeHandle {
    private static final int PORTABLE = 0x01;
    private static final int DEVICEMAP = 0x02;

    private final CudaContext context;
    private final long address;
    private final long bytes;
    private final boolean mapped;
    private final ByteBuffer view;

    private PinnedHostBuffer(CudaContext context, long address, long bytes, boolean mapped) {
        super("pinned host buffer of " + Bytes.format(bytes));
        this.context = context;
        this.address = address;
        this.bytes = bytes;
        this.mapped = mapped;
        this.view = NativeMemory.wrap(address, bytes);
    }

    /**
     * Allocates {@code bytes} (1 byte to 2 GiB) of pinned host memory; the caller owns it.
     *
     * @param mapped also map it into the device address space ({@link #devicePointer()})
     */
    public static PinnedHostBuffer allocate(CudaContext context, long bytes, boolean mapped) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pinned host buffers hold 1 byte to 2 GiB, asked for " + bytes);
        }
        context.makeCurrent();
        long[] p = new long[1];
        int flags = PORTABLE | (mapped ? DEVICEMAP : 0);
        // Owned: freed in release() with cuMemFreeHost.
        CudaDriver.check(CudaDriverApi.cuMemHostAlloc(p, bytes, flags),
                () -> "cuMemHostAlloc(" + Bytes.format(bytes) + (mapped ? ", mapped" : "") + ")");
        return new PinnedHostBuffer(context, p[0], bytes, mapped);
    }

    /** The memory as a native-order buffer (position 0, limit = size); invalid after {@link #close()}. */
    public ByteBuffer buffer() {
        checkOpen();
        return view.duplicate().order(view.order());
    }

    /** The host address; borrowed. */
    public long address() {
        checkOpen();
        return address;
    }

    /** Size in bytes. */
    public long bytes() {
        return bytes;
    }

    /** The device-side address of mapped memory; borrowed, valid while this buffer lives. */
    public long devicePointer() {
        checkOpen();
        if (!mapped) {
            throw new IllegalStateException(description() + " was not allocated mapped");
        }
        context.makeCurrent();
        long[] d = new long[1];
        CudaDriver.check(CudaDriverApi.cuMemHostGetDevicePointer_v2(d, address, 0),
                () -> "cuMemHostGetDevicePointer(" + Bytes.format(bytes) + ")");
        return d[0];
    }

    @Override
    protected void release() {
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuMemFreeHost(address), () -> "cuMemFreeHost(" + Bytes.format(bytes) + ")");
    }
}

package dev.javelin.bindings.cuda;

import dev.javelin.bindings.core.Bytes;
import dev.javelin.bindings.core.NativeHandle;
import dev.javelin.bindings.core.NativeMemory;
import java.nio.ByteBuffer;

/**
 * Device memory from {@code cuMemAlloc}, freed on {@link #close()}. Copies are asynchronous on a stream:
 * the host memory they read or write is borrowed and must stay alive (and, for a read, unchanged) until the
 * stream has been synchronised; with pageable (not pinned) host memory CUDA copies synchronously instead.
 */
public final class DeviceBuffer extends NativeHandle {
    private final CudaContext context;
    private final long address;
    private final long bytes;

    private DeviceBuffer(CudaContext context, long address, long bytes) {
        super("device buffer of " + Bytes.format(bytes) + " on device " + context.ordinal());
        this.context = context;
        this.address = address;
        this.bytes = bytes;
    }

    /**
     * Allocates {@code bytes} of device memory in {@code context}; the caller owns it. The contents are
     * undefined (use {@link #fill}).
     *
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public static DeviceBuffer allocate(CudaContext context, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("device buffers hold at least one byte, asked for " + bytes);
        }
        context.makeCurrent();
        long[] p = new long[1];
        // Owned: freed in release() with cuMemFree.
        CudaDriver.check(CudaDriverApi.cuMemAlloc_v2(p, bytes), () -> "cuMemAlloc(" + Bytes.format(bytes) + ")");
        return new DeviceBuffer(context, p[0], bytes);
    }

    /** Queues a copy of {@code src}'s remaining bytes (direct buffer) to the start of this buffer. */
    public void copyFromHost(ByteBuffer src, CudaStream stream) {
        copyFromHost(NativeMemory.address(src), 0, src.remaining(), stream);
    }

    /** Queues a copy of {@code count} bytes from host address {@code src} to {@code offset} in this buffer. */
    public void copyFromHost(long src, long offset, long count, CudaStream stream) {
        checkRange(offset, count);
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuMemcpyHtoDAsync_v2(address + offset, src, count, stream.handle()),
                () -> "cuMemcpyHtoDAsync(" + Bytes.format(count) + ", stream " + stream.id() + ")");
    }

    /** Queues a copy of the start of this buffer into {@code dst}'s remaining bytes (direct buffer). */
    public void copyToHost(ByteBuffer dst, CudaStream stream) {
        copyToHost(NativeMemory.address(dst), 0, dst.remaining(), stream);
    }

    /** Queues a copy of {@code count} bytes at {@code offset} in this buffer to host address {@code dst}. */
    public void copyToHost(long dst, long offset, long count, CudaStream stream) {
        checkRange(offset, count);
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuMemcpyDtoHAsync_v2(dst, address + offset, count, stream.handle()),
                () -> "cuMemcpyDtoHAsync(" + Bytes.format(count) + ", stream " + stream.id() + ")");
    }

    /** Queues a copy of the first {@code count} bytes of {@code src} to the start of this buffer. */
    public void copyFrom(DeviceBuffer src, long count, CudaStream stream) {
        checkRange(0, count);
        src.checkRange(0, count);
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuMemcpyDtoDAsync_v2(address, src.address(), count, stream.handle()),
                () -> "cuMemcpyDtoDAsync(" + Bytes.format(count) + ", stream " + stream.id() + ")");
    }

    /** Queues setting every byte to {@code value}. */
    public void fill(byte value, CudaStream stream) {
        checkOpen();
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuMemsetD8Async(address, value, bytes, stream.handle()),
                () -> "cuMemsetD8Async(" + Bytes.format(bytes) + ", stream " + stream.id() + ")");
    }

    private void checkRange(long offset, long count) {
        checkOpen();
        if (offset < 0 || count < 0 || offset > bytes - count) {
            throw new IndexOutOfBoundsException("copy of " + count + " bytes at offset " + offset + " does not fit "
                    + description() + " (" + bytes + " bytes)");
        }
    }

    /** The device address ({@code CUdeviceptr}); borrowed, valid until this buffer is closed. */
    public long address() {
        checkOpen();
        return address;
    }

    /** Size in bytes. */
    public long bytes() {
        return bytes;
    }

    @Override
    protected void release() {
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuMemFree_v2(address), () -> "cuMemFree(" + Bytes.format(bytes) + ")");
    }
}

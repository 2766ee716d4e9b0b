package dev.javelin.runtime.memory;

import dev.javelin.bindings.core.HostBuffer;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.bindings.cuda.PinnedHostBuffer;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The allocators of the pools the runtime uses: 64-byte aligned host memory, page-locked (pinned) host
 * staging memory, optionally mapped into the device address space (Jetson: the GPU reads it directly, no
 * copy), and device memory. The CUDA ones need a {@link CudaContext}; only the host pool works without a GPU.
 */
public final class Pools {
    private Pools() {
    }

    /** A pool of aligned host buffers keeping at most {@code maxRetainedBytes} free. */
    public static BufferPool<HostBuffer> host(long maxRetainedBytes) {
        return new BufferPool<>(new Allocator<>() {
            @Override
            public HostBuffer allocate(long capacity) {
                return HostBuffer.allocate(capacity);
            }

            @Override
            public void free(HostBuffer buffer) {
                buffer.close();
            }

            @Override
            public String name() {
                return "host";
            }
        }, SizeClasses.DEFAULT, maxRetainedBytes);
    }

    /** A pool of pinned host staging buffers ({@code mapped}: also mapped for the device, for integrated GPUs). */
    public static BufferPool<PinnedHostBuffer> pinned(CudaContext context, boolean mapped, long maxRetainedBytes) {
        return new BufferPool<>(new Allocator<>() {
            @Override
            public PinnedHostBuffer allocate(long capacity) {
                return PinnedHostBuffer.allocate(context, capacity, mapped);
            }

            @Override
            public void free(PinnedHostBuffer buffer) {
                buffer.close();
            }

            @Override
            public String name() {
                return mapped ? "mapped pinned host" : "pinned host";
            }
        }, SizeClasses.DEFAULT, maxRetainedBytes);
    }

    /** A pool of device buffers on the context's device. */
    public static BufferPool<DeviceBuffer> device(CudaContext context, long maxRetainedBytes) {
        return new BufferPool<>(new Allocator<>() {
            @Override
            public DeviceBuffer allocate(long capacity) {
                return DeviceBuffer.allocate(context, capacity);
            }

            @Override
            public void free(DeviceBuffer buffer) {
                buffer.close();
            }

            @Override
            public String name() {
                return "device";
            }
        }, SizeClasses.DEFAULT, maxRetainedBytes);
    }

    /**
     * A tensor over a leased host buffer; closing the tensor returns the buffer to its pool. The tensor's
     * bytes are not zeroed (the caller fills them).
     */
    public static Tensor hostTensor(BufferPool<HostBuffer> pool, DType dtype, Shape shape) {
        long bytes = Math.multiplyExact(shape.elementCount(), (long) dtype.byteSize());
        Lease<HostBuffer> lease = pool.lease(bytes);
        ByteBuffer view = lease.buffer().buffer().duplicate().limit(Math.toIntExact(bytes)).slice()
                .order(ByteOrder.nativeOrder());
        return Tensor.adopt(view, dtype, shape, lease);
    }
}

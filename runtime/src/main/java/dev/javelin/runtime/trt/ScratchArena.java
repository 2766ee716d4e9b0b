package dev.javelin.runtime.trt;

import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.runtime.memory.OffsetAllocator;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scratch memory for one engine's execution contexts, carved out of as few device allocations as possible.
 * Contexts are created without scratch of their own ({@code kUSER_MANAGED}) and lease a range here: a
 * {@code run(Map)} slot, whose shapes change from call to call, leases the engine's worst case; a lane, whose
 * shapes are fixed, leases only what TensorRT says those shapes need ({@code updateDeviceMemorySizeForShapes}),
 * which for a small batch is a fraction of the worst case. By default every context would allocate the worst
 * case for itself, so memory grew by the worst case with every lane.
 *
 * <p>The first allocation holds {@code contexts} worst cases (the concurrent {@code run} slots the options
 * allow); when it is full, a further chunk of the same size is added (logged), so growth is by what the new
 * contexts need and not per context. Ranges are 256-byte aligned, as TensorRT requires.
 */
final class ScratchArena implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScratchArena.class);
    static final long ALIGNMENT = 256;

    /** One device allocation and the ranges handed out of it. */
    record Chunk(DeviceBuffer memory, OffsetAllocator ranges) {
    }

    /** A leased range of {@code chunk} at {@code offset}; give it back with {@link #release}. */
    record Lease(long address, long bytes, Chunk chunk, long offset) {
    }

    private final CudaContext context;
    private final String engine;
    private final long chunkBytes;
    private final List<Chunk> chunks = new ArrayList<>();

    /**
     * @param chunkBytes bytes of each device allocation (rounded up to the alignment); requests larger than
     *                   this get a chunk of their own size
     */
    ScratchArena(CudaContext context, String engine, long chunkBytes) {
        this.context = context;
        this.engine = engine;
        this.chunkBytes = Math.max(ALIGNMENT, (chunkBytes + ALIGNMENT - 1) & -ALIGNMENT);
    }

    /** Sizing rule: room for {@code contexts} worst-case contexts of {@code worstCaseBytes} each. */
    static long chunkBytesFor(long worstCaseBytes, int contexts) {
        long one = (Math.max(worstCaseBytes, 1) + ALIGNMENT - 1) & -ALIGNMENT;
        return Math.multiplyExact(one, Math.max(1, contexts));
    }

    synchronized Lease lease(long bytes) {
        for (Chunk c : chunks) {
            long at = c.ranges().allocate(bytes);
            if (at >= 0) {
                return new Lease(c.memory().address() + at, bytes, c, at);
            }
        }
        long size = Math.max(chunkBytes, (Math.max(bytes, 1) + ALIGNMENT - 1) & -ALIGNMENT);
        if (!chunks.isEmpty()) {
            LOG.info("{}: scratch arena full ({} chunk(s) of {} bytes); adding {} bytes for more execution contexts",
                    engine, chunks.size(), chunkBytes, size);
        }
        // Device memory from cuMemAlloc is at least 256-byte aligned, so offsets from the allocator stay aligned.
        Chunk c = new Chunk(DeviceBuffer.allocate(context, size), new OffsetAllocator(size, ALIGNMENT));
        chunks.add(c);
        long at = c.ranges().allocate(bytes);
        return new Lease(c.memory().address() + at, bytes, c, at);
    }

    synchronized void release(Lease lease) {
        lease.chunk().ranges().free(lease.offset());
    }

    /** Device bytes held, for logs and tests. */
    synchronized long reservedBytes() {
        long n = 0;
        for (Chunk c : chunks) {
            n += c.ranges().capacity();
        }
        return n;
    }

    /** Frees every chunk; the contexts that leased from it must be closed first. */
    @Override
    public synchronized void close() {
        for (int i = chunks.size() - 1; i >= 0; i--) {
            chunks.get(i).memory().close();
        }
        chunks.clear();
    }
}

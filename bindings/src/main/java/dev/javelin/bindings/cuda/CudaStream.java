package dev.javelin.bindings.cuda;

import dev.javelin.bindings.core.NativeHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A non-blocking CUDA stream (it does not synchronise with the legacy default stream). Work queued on it
 * runs in order; {@link #synchronize()} waits for it. Destroying a stream with work pending is allowed by
 * CUDA (the work completes), but buffers the work uses must outlive it: close them after a synchronize.
 */
public final class CudaStream extends NativeHandle {
    /** {@code CU_STREAM_NON_BLOCKING}. */
    private static final int NON_BLOCKING = 0x1;
    private static final AtomicInteger IDS = new AtomicInteger();

    private final CudaContext context;
    private final long handle;
    private final int id;

    private CudaStream(CudaContext context, long handle, int id) {
        super("CUDA stream " + id + " on device " + context.ordinal());
        this.context = context;
        this.handle = handle;
        this.id = id;
    }

    /** Creates a stream in {@code context}; the caller owns it. The context must outlive it. */
    public static CudaStream create(CudaContext context) {
        context.makeCurrent();
        long[] s = new long[1];
        int id = IDS.incrementAndGet();
        // Owned: destroyed in release() with cuStreamDestroy.
        CudaDriver.check(CudaDriverApi.cuStreamCreate(s, NON_BLOCKING), () -> "cuStreamCreate(stream " + id + ")");
        return new CudaStream(context, s[0], id);
    }

    /** Waits until all work queued on this stream has finished. */
    public void synchronize() {
        checkOpen();
        CudaDriver.check(CudaDriverApi.cuStreamSynchronize(handle), () -> "cuStreamSynchronize(stream " + id + ")");
    }

    /** Whether all queued work has finished, without waiting. */
    public boolean isIdle() {
        checkOpen();
        int status = CudaDriverApi.cuStreamQuery(handle);
        if (status == CudaDriver.NOT_READY) {
            return false;
        }
        CudaDriver.check(status, () -> "cuStreamQuery(stream " + id + ")");
        return true;
    }

    /** Makes later work on this stream wait until {@code event} has completed. */
    public void waitFor(CudaEvent event) {
        checkOpen();
        CudaDriver.check(CudaDriverApi.cuStreamWaitEvent(handle, event.handle(), 0),
                () -> "cuStreamWaitEvent(stream " + id + ", event " + event.id() + ")");
    }

    /** The raw {@code CUstream} (also a {@code cudaStream_t}); borrowed, valid until this stream is closed. */
    public long handle() {
        checkOpen();
        return handle;
    }

    /** A process-unique number used in messages ({@code stream 3}). */
    public int id() {
        return id;
    }

    /** The context the stream belongs to. */
    public CudaContext context() {
        return context;
    }

    @Override
    protected void release() {
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuStreamDestroy_v2(handle), () -> "cuStreamDestroy(stream " + id + ")");
    }
}

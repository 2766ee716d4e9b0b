package dev.javelin.bindings.cuda;

import com.sun.jna.Function;
import dev.javelin.bindings.core.NativeHandle;
import dev.javelin.bindings.core.NativeLoader;
import java.util.concurrent.atomic.AtomicInteger;

/** A CUDA event: a marker recorded on a stream, to wait for or to time work between two markers. */
public final class CudaEvent extends NativeHandle {
    /** {@code CU_EVENT_DISABLE_TIMING}: cheaper events when only ordering is needed. */
    private static final int DISABLE_TIMING = 0x2;
    private static final AtomicInteger IDS = new AtomicInteger();
    private static volatile Function elapsedTime;

    private final CudaContext context;
    private final long handle;
    private final int id;
    private final boolean timing;

    private CudaEvent(CudaContext context, long handle, int id, boolean timing) {
        super("CUDA event " + id + " on device " + context.ordinal());
        this.context = context;
        this.handle = handle;
        this.id = id;
        this.timing = timing;
    }

    /** Creates an event in {@code context}; the caller owns it. {@code timing} enables {@link #elapsedMillis}. */
    public static CudaEvent create(CudaContext context, boolean timing) {
        context.makeCurrent();
        long[] e = new long[1];
        int id = IDS.incrementAndGet();
        // Owned: destroyed in release() with cuEventDestroy.
        CudaDriver.check(CudaDriverApi.cuEventCreate(e, timing ? 0 : DISABLE_TIMING), () -> "cuEventCreate(event " + id + ")");
        return new CudaEvent(context, e[0], id, timing);
    }

    /** Records this event on {@code stream}: it completes when the work queued before it does. */
    public void record(CudaStream stream) {
        checkOpen();
        CudaDriver.check(CudaDriverApi.cuEventRecord(handle, stream.handle()),
                () -> "cuEventRecord(event " + id + ", stream " + stream.id() + ")");
    }

    /** Waits until the event has completed. */
    public void synchronize() {
        checkOpen();
        CudaDriver.check(CudaDriverApi.cuEventSynchronize(handle), () -> "cuEventSynchronize(event " + id + ")");
    }

    /** Whether the event has completed, without waiting. */
    public boolean isComplete() {
        checkOpen();
        int status = CudaDriverApi.cuEventQuery(handle);
        if (status == CudaDriver.NOT_READY) {
            return false;
        }
        CudaDriver.check(status, () -> "cuEventQuery(event " + id + ")");
        return true;
    }

    /**
     * Milliseconds between two completed timing events. {@code cuda.h} 13 maps this call to
     * {@code cuEventElapsedTime_v2} (drivers >= 12.8); older drivers have only the first version, so the
     * symbol is looked up at first use rather than bound with the others.
     */
    public static float elapsedMillis(CudaEvent start, CudaEvent end) {
        if (!start.timing || !end.timing) {
            throw new IllegalArgumentException("events " + start.id + " and " + end.id + " must both be created with timing");
        }
        start.checkOpen();
        end.checkOpen();
        float[] ms = new float[1];
        int status = elapsedTimeFunction().invokeInt(new Object[] {ms, start.handle, end.handle});
        CudaDriver.check(status, () -> "cuEventElapsedTime(event " + start.id + ", event " + end.id + ")");
        return ms[0];
    }

    private static Function elapsedTimeFunction() {
        Function f = elapsedTime;
        if (f == null) {
            f = NativeLoader.cudaDriverFunction("cuEventElapsedTime_v2", "cuEventElapsedTime");
            elapsedTime = f;
        }
        return f;
    }

    /** The raw {@code CUevent}; borrowed. */
    public long handle() {
        checkOpen();
        return handle;
    }

    /** A process-unique number used in messages. */
    public int id() {
        return id;
    }

    @Override
    protected void release() {
        context.makeCurrent();
        CudaDriver.check(CudaDriverApi.cuEventDestroy_v2(handle), () -> "cuEventDestroy(event " + id + ")");
    }
}

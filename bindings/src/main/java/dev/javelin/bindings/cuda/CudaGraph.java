package dev.javelin.bindings.cuda;

import com.sun.jna.Function;
import dev.javelin.bindings.core.NativeHandle;
import dev.javelin.bindings.core.NativeLoader;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An instantiated CUDA graph ({@code CUgraphExec}): the work one stream queued between {@link #capture} start
 * and end, replayed with one {@link #launch} instead of one driver call per copy and kernel. For a model whose
 * shapes never change this removes the per-launch CPU cost of every TensorRT kernel, which is what matters at
 * small batch sizes.
 *
 * <p>Capture records addresses and kernel parameter values as they are when captured: a replay reads and writes
 * the same buffers, so callers capture only work whose buffers stay bound for the graph's life.
 *
 * <p>The graph entry points ({@code cuStreamBeginCapture_v2}, {@code cuStreamEndCapture},
 * {@code cuGraphInstantiateWithFlags}, {@code cuGraphLaunch}, ...) date from CUDA 11.4; they are looked up at
 * first use, like {@link CudaEvent#elapsedMillis}, so an older driver still loads and only graphs are refused.
 */
public final class CudaGraph extends NativeHandle {
    /** {@code CU_STREAM_CAPTURE_MODE_THREAD_LOCAL}: only this thread's unsafe calls (e.g. cuMemAlloc) break the capture. */
    private static final int CAPTURE_THREAD_LOCAL = 1;
    private static final AtomicInteger IDS = new AtomicInteger();
    private static volatile Functions functions;

    private record Functions(Function begin, Function end, Function instantiate, Function launch, Function destroyGraph,
                             Function destroyExec) {
        static Functions lookUp() {
            return new Functions(NativeLoader.cudaDriverFunction("cuStreamBeginCapture_v2"),
                    NativeLoader.cudaDriverFunction("cuStreamEndCapture"),
                    NativeLoader.cudaDriverFunction("cuGraphInstantiateWithFlags"),
                    NativeLoader.cudaDriverFunction("cuGraphLaunch"),
                    NativeLoader.cudaDriverFunction("cuGraphDestroy"),
                    NativeLoader.cudaDriverFunction("cuGraphExecDestroy"));
        }
    }

    /** Work to capture: queues copies and launches on the stream it is given. */
    @FunctionalInterface
    public interface Work {
        void enqueue(CudaStream stream);
    }

    private final CudaContext context;
    private final long exec;
    private final int id;

    private CudaGraph(CudaContext context, long exec, int id) {
        super("CUDA graph " + id + " on device " + context.ordinal());
        this.context = context;
        this.exec = exec;
        this.id = id;
    }

    private static Functions functions() {
        Functions f = functions;
        if (f == null) {
            f = Functions.lookUp();
            functions = f;
        }
        return f;
    }

    /**
     * Captures what {@code work} queues on {@code stream} (nothing runs during capture) and instantiates it; the
     * caller owns the graph. If {@code work} throws or capture fails (an operation that cannot be captured, a
     * synchronize inside the capture), the capture is ended and discarded and the failure is rethrown; the
     * stream is usable again either way.
     */
    public static CudaGraph capture(CudaStream stream, Work work) {
        Functions f = functions();
        CudaContext context = stream.context();
        context.makeCurrent();
        int id = IDS.incrementAndGet();
        CudaDriver.check(f.begin().invokeInt(new Object[] {stream.handle(), CAPTURE_THREAD_LOCAL}),
                () -> "cuStreamBeginCapture(stream " + stream.id() + ")");
        long[] graph = new long[1];
        try {
            work.enqueue(stream);
        } catch (RuntimeException e) {
            endAndDiscard(f, stream, graph);
            throw e;
        }
        // Owned until instantiated: destroyed below whether instantiation succeeds or not (the exec is independent).
        CudaDriver.check(f.end().invokeInt(new Object[] {stream.handle(), graph}),
                () -> "cuStreamEndCapture(stream " + stream.id() + ")");
        try {
            long[] exec = new long[1];
            // Owned by the returned CudaGraph: destroyed in release() with cuGraphExecDestroy.
            CudaDriver.check(f.instantiate().invokeInt(new Object[] {exec, graph[0], 0L}),
                    () -> "cuGraphInstantiateWithFlags(graph " + id + ")");
            return new CudaGraph(context, exec[0], id);
        } finally {
            f.destroyGraph().invokeInt(new Object[] {graph[0]});
        }
    }

    private static void endAndDiscard(Functions f, CudaStream stream, long[] graph) {
        int status = f.end().invokeInt(new Object[] {stream.handle(), graph});
        if (status == 0 && graph[0] != 0) {
            f.destroyGraph().invokeInt(new Object[] {graph[0]});
        }
    }

    /** Queues the captured work on {@code stream}. */
    public void launch(CudaStream stream) {
        checkOpen();
        CudaDriver.check(functions().launch().invokeInt(new Object[] {exec, stream.handle()}),
                () -> "cuGraphLaunch(graph " + id + ", stream " + stream.id() + ")");
    }

    @Override
    protected void release() {
        context.makeCurrent();
        CudaDriver.check(functions().destroyExec().invokeInt(new Object[] {exec}), () -> "cuGraphExecDestroy(graph " + id + ")");
    }
}

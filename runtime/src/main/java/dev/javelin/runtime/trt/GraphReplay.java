package dev.javelin.runtime.trt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, for one fixed-shape lane, whether a run enqueues its work eagerly or replays a captured CUDA graph,
 * and falls back for good when capture or replay fails. Kept apart from the CUDA calls so the decisions are
 * tested without a GPU.
 *
 * <p>The first run is eager: TensorRT finishes shape-dependent setup inside the first {@code enqueueV3} after
 * input shapes are set, and that setup must not be captured (TensorRT's and trtexec's documented order). Right
 * after it the same work is captured once; later runs replay the graph. Capture can legitimately fail: an engine
 * with layers that synchronise or allocate (data-dependent shapes, loops) cannot be captured, in which case
 * TensorRT's {@code enqueueV3} fails or the driver invalidates the capture; the lane then runs eagerly from then
 * on and says why once. A replay that fails also drops to eager (and that run is retried eagerly once, since a
 * failed launch ran nothing of the model); if the eager retry fails too, its error reaches the caller.
 *
 * @param <G> the captured graph type
 */
final class GraphReplay<G extends AutoCloseable> {
    private static final Logger LOG = LoggerFactory.getLogger(GraphReplay.class);

    /** System property that turns capture off ({@code -Djavelin.tensorrt.cudaGraphs=false}), e.g. to compare. */
    static final String ENABLED_PROPERTY = "javelin.tensorrt.cudaGraphs";

    /** What one lane's run does; implemented over the lane's stream, context and buffers. */
    interface Work<G> {
        /** Queues the run's copies and inference on the stream and waits for them. */
        void runEagerly();

        /** Captures the same work without running it. */
        G capture();

        /** Launches the captured work and waits for it. */
        void replay(G graph);
    }

    enum Mode { WARMING_UP, REPLAYING, EAGER }

    private final String lane;
    private final Work<G> work;
    private Mode mode;
    private G graph;
    private String eagerReason;

    GraphReplay(String lane, Work<G> work, boolean enabled) {
        this.lane = lane;
        this.work = work;
        this.mode = enabled ? Mode.WARMING_UP : Mode.EAGER;
        this.eagerReason = enabled ? null : "CUDA graphs disabled (-D" + ENABLED_PROPERTY + "=false)";
    }

    static boolean enabledByDefault() {
        return Boolean.parseBoolean(System.getProperty(ENABLED_PROPERTY, "true").trim());
    }

    void run() {
        switch (mode) {
            case EAGER -> work.runEagerly();
            case WARMING_UP -> {
                work.runEagerly();
                try {
                    graph = work.capture();
                    mode = Mode.REPLAYING;
                    LOG.debug("{}: captured a CUDA graph; later runs replay it", lane);
                } catch (RuntimeException e) {
                    fallBack("capture failed: " + e.getMessage());
                }
            }
            case REPLAYING -> {
                try {
                    work.replay(graph);
                } catch (RuntimeException e) {
                    fallBack("replay failed: " + e.getMessage());
                    work.runEagerly();
                }
            }
        }
    }

    /** The lane's bindings changed: a captured graph points at old buffers, so capture again after one eager run. */
    void invalidate() {
        closeGraph();
        if (mode == Mode.REPLAYING) {
            mode = Mode.WARMING_UP;
        }
    }

    Mode mode() {
        return mode;
    }

    /** Why this lane runs eagerly, or null while it uses (or will try) a graph. */
    String eagerReason() {
        return eagerReason;
    }

    private void fallBack(String why) {
        closeGraph();
        mode = Mode.EAGER;
        eagerReason = why;
        LOG.warn("{}: running without a CUDA graph from now on ({})", lane, why);
    }

    void close() {
        closeGraph();
    }

    private void closeGraph() {
        G g = graph;
        graph = null;
        if (g != null) {
            try {
                g.close();
            } catch (Exception e) {
                LOG.warn("{}: releasing the CUDA graph failed: {}", lane, e.toString());
            }
        }
    }
}

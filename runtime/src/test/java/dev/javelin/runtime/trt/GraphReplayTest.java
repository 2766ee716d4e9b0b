package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lane's eager/capture/replay decisions, driven by a recording stand-in for the CUDA work. */
class GraphReplayTest {
    /** Records what the lane asked for; each captured "graph" knows whether it was closed. */
    private static final class Recorder implements GraphReplay.Work<Recorder.Graph> {
        final class Graph implements AutoCloseable {
            boolean closed;

            @Override
            public void close() {
                closed = true;
            }
        }

        final List<String> calls = new ArrayList<>();
        final List<Graph> graphs = new ArrayList<>();
        RuntimeException captureFailure;
        RuntimeException replayFailure;
        RuntimeException eagerFailure;

        @Override
        public void runEagerly() {
            calls.add("eager");
            if (eagerFailure != null) {
                throw eagerFailure;
            }
        }

        @Override
        public Graph capture() {
            calls.add("capture");
            if (captureFailure != null) {
                throw captureFailure;
            }
            Graph g = new Graph();
            graphs.add(g);
            return g;
        }

        @Override
        public void replay(Graph graph) {
            assertTrue(!graph.closed, "replayed a closed graph");
            calls.add("replay");
            if (replayFailure != null) {
                throw replayFailure;
            }
        }
    }

    @Test
    void firstRunIsEagerThenCapturedOnceThenReplayed() {
        Recorder w = new Recorder();
        GraphReplay<Recorder.Graph> r = new GraphReplay<>("lane", w, true);
        for (int i = 0; i < 4; i++) {
            r.run();
        }
        assertEquals(List.of("eager", "capture", "replay", "replay", "replay"), w.calls);
        assertEquals(GraphReplay.Mode.REPLAYING, r.mode());
        assertNull(r.eagerReason());
        r.close();
        assertTrue(w.graphs.get(0).closed);
    }

    @Test
    void aFailedCaptureFallsBackToEagerForGoodWithTheReason() {
        Recorder w = new Recorder();
        w.captureFailure = new IllegalStateException("enqueueV3 failed: layer not capturable");
        GraphReplay<Recorder.Graph> r = new GraphReplay<>("lane", w, true);
        r.run();
        r.run();
        r.run();
        assertEquals(List.of("eager", "capture", "eager", "eager"), w.calls);
        assertEquals(GraphReplay.Mode.EAGER, r.mode());
        assertTrue(r.eagerReason().contains("layer not capturable"), r.eagerReason());
    }

    @Test
    void aFailedReplayIsRetriedEagerlyAndTheGraphReleased() {
        Recorder w = new Recorder();
        GraphReplay<Recorder.Graph> r = new GraphReplay<>("lane", w, true);
        r.run();
        w.replayFailure = new IllegalStateException("cuGraphLaunch: launch failed");
        r.run();
        assertEquals(List.of("eager", "capture", "replay", "eager"), w.calls);
        assertTrue(w.graphs.get(0).closed);
        assertEquals(GraphReplay.Mode.EAGER, r.mode());
        r.run();
        assertEquals("eager", w.calls.get(w.calls.size() - 1));
    }

    @Test
    void whenTheEagerRetryFailsTooTheCallerSeesIt() {
        Recorder w = new Recorder();
        GraphReplay<Recorder.Graph> r = new GraphReplay<>("lane", w, true);
        r.run();
        w.replayFailure = new IllegalStateException("replay");
        w.eagerFailure = new IllegalStateException("device lost");
        IllegalStateException e = assertThrows(IllegalStateException.class, r::run);
        assertEquals("device lost", e.getMessage());
    }

    @Test
    void rebindingInvalidatesTheGraphAndRecapturesAfterOneEagerRun() {
        Recorder w = new Recorder();
        GraphReplay<Recorder.Graph> r = new GraphReplay<>("lane", w, true);
        r.run();
        r.run();
        r.invalidate();
        assertTrue(w.graphs.get(0).closed);
        r.run();
        r.run();
        assertEquals(List.of("eager", "capture", "replay", "eager", "capture", "replay"), w.calls);
        assertEquals(2, w.graphs.size());
    }

    @Test
    void disabledNeverCaptures() {
        Recorder w = new Recorder();
        GraphReplay<Recorder.Graph> r = new GraphReplay<>("lane", w, false);
        r.run();
        r.run();
        assertEquals(List.of("eager", "eager"), w.calls);
        assertTrue(r.eagerReason().contains(GraphReplay.ENABLED_PROPERTY));
    }
}

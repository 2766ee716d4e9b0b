package dev.javelin.bindings.ort;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Outputs handed out by a {@link SessionRunner} come back to it when closed and are pinned again: the
 * next run writes into the same value (no create/describe/release per call), and never into a value a
 * caller still holds. Each output keeps {@link SessionRunner#RESIDENTS} values; more are released on close.
 */
class SessionRunnerRecyclingTest {
    private static ByteBuffer scalar(float v) {
        return ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putFloat(0, v);
    }

    private static TensorValue runOnce(SessionRunner r, float x) {
        r.setInput(0, scalar(x), 1, new long[] {1});
        r.run(null);
        TensorValue out = r.takeOutput(0);
        r.clear();
        return out;
    }

    /** Runs {@code body} on a runner of the identity model whose output shapes a first run has shown. */
    private static void withLearnedRunner(RunnerBody body) throws Exception {
        try (SessionConfig config = new SessionConfig().intraOpThreads(1);
             InferenceSession session = InferenceSession.fromBytes(ProbeModel.identity(), "identity", config);
             SessionRunner r = session.newRunner()) {
            runOnce(r, 0f).close();
            body.run(r);
        }
    }

    private interface RunnerBody {
        void run(SessionRunner r) throws Exception;
    }

    @Test
    void closedOutputIsReusedAndHeldOutputIsNot() throws Exception {
        try (SessionConfig config = new SessionConfig().intraOpThreads(1);
             InferenceSession session = InferenceSession.fromBytes(ProbeModel.identity(), "identity", config);
             SessionRunner r = session.newRunner()) {
            runOnce(r, 1f).close();           // first run: ONNX Runtime allocates, shapes are learned
            TensorValue a = runOnce(r, 2f);   // pinned, freshly created
            assertEquals(2f, a.data().getFloat(0));
            long aValue = a.address();
            a.close();                        // back to the runner
            TensorValue b = runOnce(r, 3f);
            assertEquals(aValue, b.address(), "the closed output is pinned again");
            assertEquals(3f, b.data().getFloat(0));
            TensorValue c = runOnce(r, 4f);   // b is still held: c must be another value (the second resident)
            assertNotEquals(b.address(), c.address());
            assertEquals(3f, b.data().getFloat(0), "a held output is never overwritten");
            assertEquals(4f, c.data().getFloat(0));
            // Closing on another thread recycles too: both values come home, and the next run reuses one.
            long cValue = c.address();
            CompletableFuture.runAsync(c::close).get();
            b.close();
            TensorValue d = runOnce(r, 5f);
            assertTrue(d.address() == aValue || d.address() == cValue, "a value that came home is pinned again");
            assertEquals(5f, d.data().getFloat(0));
            d.close();
        }
    }

    @Test
    void callerHoldingThePreviousResultStillReusesValues() throws Exception {
        withLearnedRunner(r -> {
            Set<Long> seen = new HashSet<>();
            TensorValue previous = runOnce(r, 1f);
            for (int i = 2; i < 20; i++) {
                TensorValue next = runOnce(r, i);
                assertNotEquals(previous.address(), next.address(), "a held output is never pinned");
                assertEquals(i - 1f, previous.data().getFloat(0));
                assertEquals(i, next.data().getFloat(0));
                seen.add(next.address());
                previous.close();
                previous = next;
            }
            previous.close();
            assertEquals(SessionRunner.RESIDENTS, seen.size(), "two values take turns: " + seen);
        });
    }

    @Test
    void valuesBeyondTheResidentsAreReleasedNotKept() throws Exception {
        withLearnedRunner(r -> {
            List<TensorValue> held = new ArrayList<>();
            for (int i = 0; i < SessionRunner.RESIDENTS + 1; i++) {
                held.add(runOnce(r, i));
            }
            Set<Long> residents = new HashSet<>();
            for (int i = 0; i < SessionRunner.RESIDENTS; i++) {
                residents.add(held.get(i).address());
            }
            held.forEach(TensorValue::close);
            for (int i = 0; i < 6; i++) {
                TensorValue t = runOnce(r, 10f + i);
                assertTrue(residents.contains(t.address()), "only the residents are pinned again");
                assertEquals(10f + i, t.data().getFloat(0));
                t.close();
            }
        });
    }

    @Test
    void outputClosedAfterItsRunnerAndSessionIsReleased() {
        TensorValue out;
        try (SessionConfig config = new SessionConfig().intraOpThreads(1);
             InferenceSession session = InferenceSession.fromBytes(ProbeModel.identity(), "identity", config);
             SessionRunner r = session.newRunner()) {
            runOnce(r, 1f).close();
            out = runOnce(r, 7f);
        }
        assertEquals(7f, out.data().getFloat(0), "outputs outlive the runner and the session");
        assertDoesNotThrow(out::close);
    }
}

package dev.javelin.bindings.ort;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Outputs handed out by a {@link SessionRunner} come back to it when closed and are pinned again: the
 * next run writes into the same value (no create/describe/release per call), and never into a value a
 * caller still holds.
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
            TensorValue c = runOnce(r, 4f);   // b is still held: c must be another value
            assertNotEquals(b.address(), c.address());
            assertEquals(3f, b.data().getFloat(0), "a held output is never overwritten");
            assertEquals(4f, c.data().getFloat(0));
            // Closing on another thread recycles too.
            long cValue = c.address();
            CompletableFuture.runAsync(c::close).get();
            b.close();                        // the slot is taken by c: b is released instead
            TensorValue d = runOnce(r, 5f);
            assertEquals(cValue, d.address());
            assertEquals(5f, d.data().getFloat(0));
            d.close();
        }
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

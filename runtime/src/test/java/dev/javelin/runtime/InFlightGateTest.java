package dev.javelin.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The striped in-flight counter: closing waits for calls in flight and no call gets in afterwards. */
class InFlightGateTest {
    @Test
    void drainWaitsForTheCallInFlightAndRefusesLaterCalls() throws Exception {
        InFlightGate gate = new InFlightGate();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            assertTrue(gate.enter());
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            gate.exit();
        });
        caller.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        AtomicLong drainedAt = new AtomicLong();
        Thread closer = new Thread(() -> {
            assertTrue(gate.closeAndDrain());
            drainedAt.set(System.nanoTime());
        });
        closer.start();
        Thread.sleep(100);
        assertEquals(0, drainedAt.get(), "close must wait while a call is inside");
        assertTrue(gate.isClosing());
        assertFalse(gate.enter(), "no call gets in once closing has begun");
        long released = System.nanoTime();
        release.countDown();
        closer.join(10_000);
        caller.join(10_000);
        assertTrue(drainedAt.get() >= released, "drain returned only after the call left");
        assertFalse(gate.closeAndDrain(), "a second close finds the gate already closing");
    }

    /** Many threads entering and leaving while another closes: every call that got in was counted out before close returned. */
    @Test
    void noCallIsInsideAfterCloseReturnsUnderContention() throws Exception {
        for (int round = 0; round < 20; round++) {
            InFlightGate gate = new InFlightGate();
            AtomicInteger inside = new AtomicInteger();
            AtomicBoolean violated = new AtomicBoolean();
            AtomicBoolean closed = new AtomicBoolean();
            Thread[] callers = new Thread[4];
            for (int t = 0; t < callers.length; t++) {
                callers[t] = new Thread(() -> {
                    while (gate.enter()) {
                        inside.incrementAndGet();
                        if (closed.get()) {
                            violated.set(true);
                        }
                        inside.decrementAndGet();
                        gate.exit();
                    }
                });
                callers[t].start();
            }
            Thread.sleep(5);
            gate.closeAndDrain();
            closed.set(true);
            assertEquals(0, inside.get(), "a call was still inside when close returned");
            for (Thread t : callers) {
                t.join(10_000);
            }
            assertFalse(violated.get(), "a call entered after close returned");
        }
    }
}

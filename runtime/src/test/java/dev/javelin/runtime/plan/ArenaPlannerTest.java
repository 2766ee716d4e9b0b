package dev.javelin.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.plan.ArenaPlanner.Request;
import dev.javelin.runtime.plan.ArenaPlanner.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Arena offsets: hand-checked layouts, and on random lifetimes a brute-force check that live tensors never share bytes. */
class ArenaPlannerTest {
    private static Map<String, ArenaSlot> byName(ArenaPlan p) {
        return p.slots().stream().collect(Collectors.toMap(ArenaSlot::tensor, Function.identity()));
    }

    @Test
    void aChainReusesTheBytesOfTensorsThatAreDead() {
        // a: steps 0-1, b: 1-2, c: 2-3. a and c never live together, so c takes a's place.
        ArenaPlan p = ArenaPlanner.plan(List.of(new Request("a", 1000, 0, 1), new Request("b", 1000, 1, 2),
                new Request("c", 1000, 2, 3)), 256, Strategy.BEST_FIT);
        Map<String, ArenaSlot> s = byName(p);
        assertEquals(1024, s.get("a").bytes(), "sizes round up to the alignment");
        assertEquals(0, s.get("a").offset());
        assertEquals(1024, s.get("b").offset());
        assertEquals(0, s.get("c").offset());
        assertEquals(2048, p.sizeBytes());
        assertEquals(3072, p.naiveBytes());
        assertEquals(2048, p.lowerBoundBytes());
    }

    @Test
    void largestFirstThenTheGapBetweenLiveTensors() {
        // big (steps 0-2) at 0, mid (step 0) above it; small (step 1) goes where mid was, as mid is dead by then.
        ArenaPlan p = ArenaPlanner.plan(List.of(new Request("small", 512, 1, 1), new Request("mid", 2048, 0, 0),
                new Request("big", 4096, 0, 2)), 512, Strategy.FIRST_FIT);
        Map<String, ArenaSlot> s = byName(p);
        assertEquals(0, s.get("big").offset());
        assertEquals(4096, s.get("mid").offset());
        assertEquals(4096, s.get("small").offset());
        assertEquals(6144, p.sizeBytes());
        assertEquals(List.of("small", "mid", "big"), p.slots().stream().map(ArenaSlot::tensor).toList(), "slots in request order");
    }

    @Test
    void bestFitTakesTheSmallestGapThatFitsAndFirstFitTheLowest() {
        // Placed largest first, then by first step and name: g1 [0, 3072), l1 [3072, 5120), g2 [5120, 6144),
        // g3 [6144, 7168), l2 [7168, 8192). At step 1 only l1 and l2 are live, leaving gaps [0, 3072) and [5120, 7168)
        // for x: first-fit takes the lower, best-fit the smaller.
        List<Request> r = List.of(
                new Request("g1", 3072, 0, 0),
                new Request("l1", 2048, 0, 2),
                new Request("g2", 1024, 0, 0),
                new Request("g3", 1024, 0, 0),
                new Request("l2", 1024, 0, 2),
                new Request("x", 1024, 1, 1));
        Map<String, ArenaSlot> best = byName(ArenaPlanner.plan(r, 1024, Strategy.BEST_FIT));
        Map<String, ArenaSlot> first = byName(ArenaPlanner.plan(r, 1024, Strategy.FIRST_FIT));
        for (Map<String, ArenaSlot> s : List.of(best, first)) {
            assertEquals(0, s.get("g1").offset());
            assertEquals(3072, s.get("l1").offset());
            assertEquals(5120, s.get("g2").offset());
            assertEquals(6144, s.get("g3").offset());
            assertEquals(7168, s.get("l2").offset());
        }
        assertEquals(0, first.get("x").offset(), "first-fit: the lowest gap");
        assertEquals(5120, best.get("x").offset(), "best-fit: the smaller (2 KiB) gap");
    }

    @Test
    void emptyTensorsTakeNoRoomAndBadRequestsAreRefused() {
        ArenaPlan p = ArenaPlanner.plan(List.of(new Request("empty", 0, 0, 3), new Request("a", 10, 0, 3)), 64, Strategy.BEST_FIT);
        assertEquals(64, p.sizeBytes());
        assertEquals(0, byName(p).get("empty").bytes());
        assertThrows(IllegalArgumentException.class, () -> ArenaPlanner.plan(List.of(new Request("a", 1, 0, 0),
                new Request("a", 1, 1, 1)), 64, Strategy.BEST_FIT));
        assertThrows(IllegalArgumentException.class, () -> ArenaPlanner.plan(List.of(), 48, Strategy.BEST_FIT));
        assertThrows(IllegalArgumentException.class, () -> new Request("b", 1, 2, 1));
    }

    @Test
    void randomLifetimesNeverShareBytesWhileLiveAndStayWithinTheBounds() {
        Random r = new Random(42);
        for (int round = 0; round < 300; round++) {
            int steps = 1 + r.nextInt(20);
            int count = r.nextInt(40);
            List<Request> requests = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int first = r.nextInt(steps);
                int last = first + r.nextInt(steps - first);
                long bytes = r.nextInt(5) == 0 ? r.nextInt(100_000) : r.nextInt(5000);
                requests.add(new Request("t" + i, bytes, first, last));
            }
            for (Strategy strategy : Strategy.values()) {
                long alignment = 1L << r.nextInt(10);
                ArenaPlan p = ArenaPlanner.plan(requests, alignment, strategy);
                assertEquals(count, p.slots().size());
                long naive = 0;
                for (int i = 0; i < p.slots().size(); i++) {
                    ArenaSlot a = p.slots().get(i);
                    assertEquals(requests.get(i).name(), a.tensor());
                    assertTrue(a.bytes() >= requests.get(i).bytes() && a.bytes() % alignment == 0, a.toString());
                    assertEquals(0, a.offset() % alignment, a.toString());
                    assertTrue(a.end() <= p.sizeBytes(), a + " within " + p.sizeBytes());
                    naive += a.bytes();
                    for (int j = i + 1; j < p.slots().size(); j++) {
                        ArenaSlot b = p.slots().get(j);
                        if (a.bytes() > 0 && b.bytes() > 0 && a.overlapsInTime(b)) {
                            assertFalse(a.overlapsInMemory(b), "round " + round + ": " + a + " and " + b + " are live together");
                        }
                    }
                }
                assertEquals(naive, p.naiveBytes());
                // The planned peak lies between what is live at the busiest step and one buffer per tensor.
                long[] live = new long[steps];
                for (ArenaSlot a : p.slots()) {
                    for (int t = a.firstStep(); t <= a.lastStep(); t++) {
                        live[t] += a.bytes();
                    }
                }
                long lower = 0;
                for (long l : live) {
                    lower = Math.max(lower, l);
                }
                assertEquals(lower, p.lowerBoundBytes());
                assertTrue(p.sizeBytes() >= lower && p.sizeBytes() <= naive, p.summary());
            }
        }
    }
}

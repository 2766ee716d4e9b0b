package dev.javelin.runtime.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OffsetAllocatorTest {
    @Test
    void handCheckedFirstFitAlignmentAndMerging() {
        OffsetAllocator a = new OffsetAllocator(4096 + 100, 256);
        assertEquals(4096, a.capacity(), "capacity rounded down to the alignment");
        assertEquals(0, a.allocate(1000));       // 1024
        assertEquals(1024, a.allocate(256));     // 256
        assertEquals(1280, a.allocate(0));       // an empty request still gets a distinct aligned range
        assertEquals(1536, a.allocate(2560));    // exactly the rest
        assertEquals(-1, a.allocate(1));
        a.free(1024);
        a.free(1280);                            // merges with the range freed before: 512 at 1024
        assertEquals(512, a.largestFree());
        assertEquals(-1, a.allocate(513));
        assertEquals(1024, a.allocate(512));
        a.free(0);
        a.free(1024);
        a.free(1536);
        assertEquals(4096, a.largestFree(), "everything merged back into one range");
        assertEquals(0, a.usedBytes());
        assertThrows(IllegalArgumentException.class, () -> a.free(1536));
    }

    @Test
    void randomWorkloadNeverOverlapsAndAccountsExactly() {
        Random rnd = new Random(11);
        OffsetAllocator a = new OffsetAllocator(1 << 20, 256);
        List<long[]> live = new ArrayList<>();
        for (int step = 0; step < 5000; step++) {
            if (live.isEmpty() || rnd.nextInt(3) > 0) {
                long bytes = rnd.nextInt(40_000);
                long at = a.allocate(bytes);
                if (at < 0) {
                    assertTrue(a.largestFree() < a.round(Math.max(1, bytes)), "refused although a range fits");
                    continue;
                }
                assertEquals(0, at % 256);
                long end = at + a.round(Math.max(1, bytes));
                assertTrue(end <= a.capacity());
                for (long[] r : live) {
                    assertTrue(end <= r[0] || at >= r[1], "ranges overlap");
                }
                live.add(new long[] {at, end});
            } else {
                long[] r = live.remove(rnd.nextInt(live.size()));
                a.free(r[0]);
            }
            long sum = 0;
            for (long[] r : live) {
                sum += r[1] - r[0];
            }
            assertEquals(sum, a.usedBytes());
        }
    }
}

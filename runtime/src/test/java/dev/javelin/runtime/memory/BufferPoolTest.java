package dev.javelin.runtime.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Size-class arithmetic and pool bookkeeping in plain Java (the same logic serves device pools). */
class BufferPoolTest {
    /** A fake allocator: buffers are records of their capacity; counts what was allocated and freed. */
    static final class Fake implements Allocator<long[]> {
        final List<Long> allocated = new ArrayList<>();
        final List<Long> freed = new ArrayList<>();

        @Override
        public long[] allocate(long capacity) {
            allocated.add(capacity);
            return new long[] {capacity};
        }

        @Override
        public void free(long[] buffer) {
            freed.add(buffer[0]);
        }

        @Override
        public String name() {
            return "fake device";
        }
    }

    @Test
    void sizeClassesRoundUpToPowersOfTwo() {
        SizeClasses c = new SizeClasses(256);
        assertEquals(0, c.classOf(0));
        assertEquals(0, c.classOf(1));
        assertEquals(0, c.classOf(256));
        assertEquals(1, c.classOf(257));
        assertEquals(1, c.classOf(512));
        assertEquals(2, c.classOf(513));
        assertEquals(256, c.capacity(0));
        assertEquals(1L << 20, c.capacity(c.classOf(1_000_000)));
        for (long n : new long[] {1, 255, 256, 257, 4095, 4096, 4097, 1 << 30, (1L << 30) + 1}) {
            long cap = c.capacity(c.classOf(n));
            assertTrue(cap >= n && (cap == 256 || cap / 2 < n), n + " -> " + cap);
        }
        assertThrows(IllegalArgumentException.class, () -> new SizeClasses(300));
        assertThrows(IllegalArgumentException.class, () -> c.classOf(-1));
    }

    @Test
    void leasesReuseBuffersOfTheSameClass() {
        Fake fake = new Fake();
        BufferPool<long[]> pool = new BufferPool<>(fake, SizeClasses.DEFAULT, 1 << 20);
        Lease<long[]> a = pool.lease(1000);
        long[] first = a.buffer();
        assertEquals(1024, first[0]);
        a.close();
        a.close(); // idempotent: returned once
        Lease<long[]> b = pool.lease(700); // same class (1 KiB): the same buffer comes back
        assertSame(first, b.buffer());
        assertThrows(IllegalStateException.class, a::buffer);
        Lease<long[]> c = pool.lease(700); // b still leased: a new one
        assertEquals(List.of(1024L, 1024L), fake.allocated);
        b.close();
        c.close();
        for (int i = 0; i < 1000; i++) {
            try (Lease<long[]> l = pool.lease(900)) {
                assertEquals(1024, l.buffer()[0]);
            }
        }
        assertEquals(2, pool.stats().allocations(), "steady state allocates nothing");
        assertEquals(2048, pool.stats().retainedBytes());
        pool.close();
        assertEquals(List.of(1024L, 1024L), fake.freed);
        assertThrows(IllegalStateException.class, () -> pool.lease(1));
    }

    @Test
    void retentionIsBoundedAndLateReturnsAreFreed() {
        Fake fake = new Fake();
        BufferPool<long[]> pool = new BufferPool<>(fake, SizeClasses.DEFAULT, 4096);
        List<Lease<long[]>> leases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leases.add(pool.lease(2048));
        }
        leases.forEach(Lease::close);
        assertEquals(4096, pool.stats().retainedBytes());
        assertEquals(List.of(2048L), fake.freed, "the third buffer exceeded the retention bound");
        Lease<long[]> out = pool.lease(2048); // one of the two retained
        pool.close();
        assertEquals(2, fake.freed.size(), "close frees the other retained buffer");
        out.close(); // returned after close: freed, not kept
        assertEquals(3, fake.freed.size());
        assertEquals(3, fake.allocated.size());
        assertEquals(0, pool.stats().retainedBytes());
    }

    @Test
    void hostTensorsReturnTheirBufferOnClose() {
        try (BufferPool<dev.javelin.bindings.core.HostBuffer> pool = Pools.host(1 << 20)) {
            for (int i = 0; i < 100; i++) {
                try (Tensor t = Pools.hostTensor(pool, DType.FLOAT32, Shape.of(3, 5))) {
                    assertEquals(60, t.byteSize());
                    t.unsafeBuffer().putFloat(56, i);
                    assertEquals(i, t.toFloatArray()[14]);
                }
            }
            assertEquals(1, pool.stats().allocations());
            assertEquals(0, pool.stats().leasedBytes());
        }
    }
}

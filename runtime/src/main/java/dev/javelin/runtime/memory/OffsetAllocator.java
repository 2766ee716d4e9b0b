package dev.javelin.runtime.memory;

import java.util.Map;
import java.util.TreeMap;

/**
 * Hands out aligned ranges of one fixed-size region (offsets only; the memory is someone else's): first fit
 * over the free ranges, with freed neighbours merged back so the region does not fragment into pieces too small
 * for the next request. Used to carve TensorRT contexts' scratch memory out of one device allocation; the calls
 * are rare (a lane or execution slot is created once), so a sorted map is plenty. Not thread-safe.
 */
public final class OffsetAllocator {
    private final long capacity;
    private final long alignment;
    /** Free ranges, offset -> length, never adjacent (merged on free). */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    /** Allocated ranges, offset -> length (as rounded up). */
    private final TreeMap<Long, Long> used = new TreeMap<>();

    /**
     * @param capacity  bytes in the region
     * @param alignment every offset and length is a multiple of this (a power of two)
     */
    public OffsetAllocator(long capacity, long alignment) {
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, was " + alignment);
        }
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be >= 0, was " + capacity);
        }
        this.capacity = capacity - capacity % alignment;
        this.alignment = alignment;
        if (this.capacity > 0) {
            free.put(0L, this.capacity);
        }
    }

    /** {@code bytes} rounded up to the alignment. */
    public long round(long bytes) {
        return (bytes + alignment - 1) & -alignment;
    }

    /** The offset of a new range of at least {@code bytes}, or -1 if no free range is large enough. */
    public long allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
        long need = Math.max(alignment, round(bytes));
        long at = -1;
        long length = 0;
        for (Map.Entry<Long, Long> f : free.entrySet()) {
            if (f.getValue() >= need) {
                // Read before removing: TreeMap's delete may move another node's key and value into this entry.
                at = f.getKey();
                length = f.getValue();
                break;
            }
        }
        if (at < 0) {
            return -1;
        }
        free.remove(at);
        if (length > need) {
            free.put(at + need, length - need);
        }
        used.put(at, need);
        return at;
    }

    /** Returns the range at {@code offset}. */
    public void free(long offset) {
        Long length = used.remove(offset);
        if (length == null) {
            throw new IllegalArgumentException("offset " + offset + " is not an allocated range");
        }
        long start = offset;
        long end = offset + length;
        Map.Entry<Long, Long> before = free.floorEntry(start);
        if (before != null && before.getKey() + before.getValue() == start) {
            start = before.getKey();
            free.remove(start);
        }
        Long after = free.get(end);
        if (after != null) {
            free.remove(end);
            end += after;
        }
        free.put(start, end - start);
    }

    /** Bytes in the region (rounded down to the alignment). */
    public long capacity() {
        return capacity;
    }

    /** Bytes currently allocated (as rounded up). */
    public long usedBytes() {
        long n = 0;
        for (long l : used.values()) {
            n += l;
        }
        return n;
    }

    /** The largest request that would succeed now. */
    public long largestFree() {
        long m = 0;
        for (long l : free.values()) {
            m = Math.max(m, l);
        }
        return m;
    }
}

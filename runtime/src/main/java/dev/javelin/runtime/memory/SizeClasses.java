package dev.javelin.runtime.memory;

/**
 * Power-of-two size classes from {@code minBytes} up: a request of {@code n} bytes is served by a buffer of
 * the smallest class capacity {@code >= n}, so at most half of a leased buffer is slack and buffers of one
 * class are interchangeable. Plain arithmetic, shared by the host, pinned and device pools.
 *
 * @param minBytes capacity of class 0; a power of two
 */
public record SizeClasses(long minBytes) {
    /** Classes starting at 256 bytes (a few cache lines; smaller requests share it). */
    public static final SizeClasses DEFAULT = new SizeClasses(256);

    public SizeClasses {
        if (minBytes <= 0 || Long.bitCount(minBytes) != 1) {
            throw new IllegalArgumentException("minBytes must be a positive power of two, was " + minBytes);
        }
    }

    /** The class serving a request of {@code bytes} (0 for anything up to {@link #minBytes}). */
    public int classOf(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
        if (bytes <= minBytes) {
            return 0;
        }
        if (bytes > (1L << 62)) {
            throw new IllegalArgumentException("size " + bytes + " is beyond the largest size class");
        }
        int ceilLog2 = 64 - Long.numberOfLeadingZeros(bytes - 1);
        return ceilLog2 - Long.numberOfTrailingZeros(minBytes);
    }

    /** The capacity of every buffer in class {@code sizeClass}. */
    public long capacity(int sizeClass) {
        if (sizeClass < 0 || sizeClass > 62 - Long.numberOfTrailingZeros(minBytes)) {
            throw new IllegalArgumentException("no size class " + sizeClass);
        }
        return minBytes << sizeClass;
    }
}

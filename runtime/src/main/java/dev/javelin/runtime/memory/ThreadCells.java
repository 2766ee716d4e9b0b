package dev.javelin.runtime.memory;

/**
 * Which of a few per-thread cells a thread uses, for state kept per thread in a padded atomic array (a count
 * of calls in flight, a remembered pool slot) so that two threads rarely write the same cache line. Four cells
 * per core, a power of two: two threads share a cell with probability 1 / (4 x cores).
 */
public final class ThreadCells {
    private static final int COUNT;

    static {
        int cores = Math.max(1, Math.min(64, Runtime.getRuntime().availableProcessors()));
        COUNT = Integer.highestOneBit(4 * cores * 2 - 1);
    }

    private ThreadCells() {
    }

    /** How many cells there are on this machine. */
    public static int count() {
        return COUNT;
    }

    /** The cell (0 to {@link #count()} - 1) of the thread with id {@code threadId}. */
    public static int of(long threadId) {
        // Fibonacci hashing spreads consecutive and strided thread ids over the cells.
        int h = (int) ((threadId * 0x9E3779B97F4A7C15L) >>> 40);
        return h & (COUNT - 1);
    }
}

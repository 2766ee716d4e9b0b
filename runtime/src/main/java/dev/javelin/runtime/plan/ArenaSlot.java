package dev.javelin.runtime.plan;

/**
 * Where one tensor (or a kernel step's workspace) lives in the arena, and when.
 *
 * @param tensor    the tensor name, or {@code <step id>/workspace}
 * @param offset    byte offset in the arena (a multiple of the arena's alignment)
 * @param bytes     the bytes reserved: its upper bound, rounded up to the alignment
 * @param firstStep index of the step that writes it
 * @param lastStep  index of the last step that reads it (inclusive)
 */
public record ArenaSlot(String tensor, long offset, long bytes, int firstStep, int lastStep) {
    public ArenaSlot {
        if (offset < 0 || bytes < 0 || firstStep < 0 || lastStep < firstStep) {
            throw new IllegalArgumentException("arena slot of '" + tensor + "': offset " + offset + ", " + bytes
                    + " bytes, steps [" + firstStep + ", " + lastStep + "]");
        }
    }

    /** One past the last byte. */
    public long end() {
        return offset + bytes;
    }

    /** Whether the two are live at a common step. */
    public boolean overlapsInTime(ArenaSlot o) {
        return firstStep <= o.lastStep && o.firstStep <= lastStep;
    }

    /** Whether the two share a byte. */
    public boolean overlapsInMemory(ArenaSlot o) {
        return offset < o.end() && o.offset < end();
    }
}

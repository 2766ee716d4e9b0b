package dev.javelin.runtime.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import java.util.Optional;

/**
 * The liveness-planned arena of a partition plan: one device allocation of {@code sizeBytes} in which every
 * intermediate tensor crossing steps and every kernel workspace has a fixed offset; tensors whose lifetimes do not
 * overlap share bytes.
 *
 * @param alignment       offset alignment in bytes
 * @param strategy        how offsets were chosen ({@link ArenaPlanner.Strategy})
 * @param sizeBytes       the planned peak: the arena's size
 * @param naiveBytes      what one buffer per tensor would take (the sum of the aligned sizes)
 * @param lowerBoundBytes the most bytes live at any one step: no placement can do with less
 * @param slots           one per tensor and workspace
 */
public record ArenaPlan(long alignment, String strategy, long sizeBytes, long naiveBytes, long lowerBoundBytes,
                        List<ArenaSlot> slots) {
    public ArenaPlan {
        slots = List.copyOf(slots);
    }

    /** The slot of {@code tensor}, if it has one. */
    public Optional<ArenaSlot> slot(String tensor) {
        return slots.stream().filter(s -> s.tensor().equals(tensor)).findFirst();
    }

    /** {@code planned peak 1.2 MiB vs naive 3.4 MiB (35%), lower bound 1.1 MiB, 12 slots}. */
    @JsonIgnore
    public String summary() {
        return "arena " + sizeBytes + " B planned vs " + naiveBytes + " B naive"
                + (naiveBytes > 0 ? String.format(java.util.Locale.ROOT, " (%.0f%%)", 100.0 * sizeBytes / naiveBytes) : "")
                + ", live lower bound " + lowerBoundBytes + " B, " + slots.size() + " slot(s), " + strategy;
    }
}

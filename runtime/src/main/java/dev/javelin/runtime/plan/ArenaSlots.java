package dev.javelin.runtime.plan;

import dev.javelin.runtime.ModelException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The arena slots of a partition plan by tensor name, with the bound check both executors (GPU and CPU emulation)
 * make before a step writes a tensor into its slot.
 */
public final class ArenaSlots {
    private final Path planFile;
    private final Map<String, ArenaSlot> byTensor = new HashMap<>();

    /** The slots of {@code arena} ({@code null}: a plan without an arena, which has no slots). */
    public ArenaSlots(Path planFile, ArenaPlan arena) {
        this.planFile = planFile;
        if (arena != null) {
            arena.slots().forEach(s -> byTensor.put(s.tensor(), s));
        }
    }

    /**
     * The slot of {@code name}, which step {@code step} is about to fill with {@code bytes} bytes.
     *
     * @throws ModelException if the tensor has no slot or needs more bytes than its slot was planned with
     */
    public ArenaSlot require(String name, long bytes, PlanStep step) {
        ArenaSlot slot = byTensor.get(name);
        if (slot == null) {
            throw new ModelException("partition plan " + planFile + ": '" + name + "', written by step '" + step.id()
                    + "', has no arena slot");
        }
        if (bytes > slot.bytes()) {
            throw new ModelException("partition plan " + planFile + ": '" + name + "' (written by step '" + step.id() + "') needs "
                    + bytes + " bytes, more than the " + slot.bytes() + " its arena slot was planned with from the plan's "
                    + "bounds; rebuild the plan with larger bounds");
        }
        return slot;
    }
}

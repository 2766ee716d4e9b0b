package dev.javelin.runtime.plan;

/**
 * The value of a constant (an initializer of the source model) that a kernel step reads, stored in the plan's
 * constants file; its type and shape are in the plan's tensor list.
 *
 * @param name   the tensor
 * @param offset byte offset in the constants file
 * @param bytes  its size in bytes (little-endian, row-major)
 */
public record PlanConstant(String name, long offset, long bytes) {
    public PlanConstant {
        if (offset < 0 || bytes < 0) {
            throw new IllegalArgumentException("constant '" + name + "': negative offset or size");
        }
    }
}

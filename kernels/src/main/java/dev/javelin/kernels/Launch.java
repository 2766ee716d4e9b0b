package dev.javelin.kernels;

import dev.javelin.bindings.cuda.Dim3;
import dev.javelin.bindings.cuda.KernelArgs;

/**
 * One kernel launch, decided in Java: the entry, the geometry and the marshalled arguments. The constructor
 * checks what the driver would only report as a crash or garbage: the argument kinds against the entry's
 * declared parameters, the block against its launch bounds and the device limits.
 *
 * @param entry       the kernel
 * @param grid        blocks
 * @param block       threads per block
 * @param sharedBytes dynamic shared memory per block
 * @param args        parameter values in declaration order
 */
public record Launch(KernelEntry entry, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
    /** Dynamic shared memory a launch may use without opting in (cuFuncSetAttribute), on every GPU. */
    public static final int MAX_DYNAMIC_SHARED_BYTES = 48 * 1024;

    public Launch {
        if (args.count() != entry.params().size()) {
            throw new IllegalArgumentException(entry.symbol() + " takes " + entry.params().size() + " parameters, got " + args.count());
        }
        for (int i = 0; i < args.count(); i++) {
            if (args.kind(i) != entry.params().get(i)) {
                throw new IllegalArgumentException(entry.symbol() + " parameter " + i + " is " + entry.params().get(i) + ", got "
                        + args.kind(i));
            }
        }
        if (block.volume() > entry.maxThreads()) {
            throw new IllegalArgumentException(entry.symbol() + " runs at most " + entry.maxThreads() + " threads per block, got "
                    + block);
        }
        if (block.z() > 64 || grid.y() > 65535 || grid.z() > 65535) {
            throw new IllegalArgumentException(entry.symbol() + ": grid " + grid + " / block " + block + " exceeds the CUDA limits");
        }
        if (sharedBytes < 0 || sharedBytes > MAX_DYNAMIC_SHARED_BYTES) {
            throw new IllegalArgumentException(entry.symbol() + ": " + sharedBytes + " bytes of dynamic shared memory (at most "
                    + MAX_DYNAMIC_SHARED_BYTES + ")");
        }
    }

    @Override
    public String toString() {
        return entry.symbol() + " grid " + grid + " block " + block + (sharedBytes > 0 ? " smem " + sharedBytes : "") + " " + args;
    }
}

package dev.javelin.builder.legalize;

import java.util.Locale;

/** What the builder does with a node TensorRT cannot build. */
public enum Decision {
    /** Replaced by standard ops TensorRT builds (exact, or within the stated tolerance). */
    REWRITE,
    /** All inputs are constants: evaluated once at build time and replaced by its value. */
    FOLD,
    /** Left in the graph for a Javelin CUDA kernel that runs between TensorRT engine segments. */
    KERNEL,
    /** Nothing handles it: the model cannot be built with TensorRT as it is. */
    UNSUPPORTED;

    /** Lower-case label as printed. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

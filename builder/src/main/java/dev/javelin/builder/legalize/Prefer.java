package dev.javelin.builder.legalize;

import java.util.Locale;

/**
 * What the builder prefers for an op that both a rewrite and a Javelin CUDA kernel can handle
 * ({@code DynamicQuantizeLinear}, {@code MatMulInteger}): a rewrite keeps the whole graph in TensorRT, which can
 * then fuse across the op; a kernel keeps ONNX Runtime's exact integer semantics at the cost of splitting the
 * engine around it.
 */
public enum Prefer {
    /** Rewrite when a rewrite applies (the default). */
    REWRITE,
    /** Use the Javelin kernel when one exists. */
    KERNELS;

    /** The option value as typed on the command line ({@code rewrite}, {@code kernels}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code rewrite} or {@code kernels} (any case; {@code kernel} accepted).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Prefer parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "rewrite", "rewrites" -> REWRITE;
            case "kernels", "kernel" -> KERNELS;
            default -> throw new IllegalArgumentException("prefer '" + s + "': expected rewrite or kernels");
        };
    }
}

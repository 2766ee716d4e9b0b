package dev.javelin.builder.partition;

import java.util.Locale;

/**
 * Where an op TensorRT cannot build could be either rewritten into buildable ops (the builder's legalization) or run by
 * a Javelin kernel between engine segments, which one the plan takes ({@code --prefer kernels|rewrite}, as in
 * {@code javelin build}).
 */
public enum Prefer {
    /**
     * Run such ops on their kernel. For DynamicQuantizeLinear and MatMulInteger this keeps ONNX Runtime's exact integer
     * semantics (the rewrites go through float arithmetic).
     */
    KERNELS,
    /** Keep such ops in the engine segment, where the legalizer rewrites them; one engine instead of a split. */
    REWRITE;

    /** {@code kernels} / {@code rewrite}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code kernels} or {@code rewrite} (case-insensitive). */
    public static Prefer parse(String s) {
        for (Prefer p : values()) {
            if (p.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown --prefer value '" + s + "' (expected kernels or rewrite)");
    }
}

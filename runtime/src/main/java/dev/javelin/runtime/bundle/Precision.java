package dev.javelin.runtime.bundle;

import java.util.Locale;

/** The numeric precision a bundle's graph was prepared for (decided in the ONNX graph, not by TensorRT flags). */
public enum Precision {
    /** The model as exported. */
    FP32,
    /** Compute and weights converted to float16, sensitive ops kept in float32. */
    FP16,
    /** Calibrated Q/DQ pairs: int8 weights and activations where TensorRT fuses them. */
    INT8;

    /** {@code fp32}, {@code fp16} or {@code int8}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The precision named {@code text} (case-insensitive).
     *
     * @throws IllegalArgumentException listing the choices
     */
    public static Precision parse(String text) {
        for (Precision p : values()) {
            if (p.label().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + text + "'; expected fp32, fp16 or int8");
    }

    @Override
    public String toString() {
        return label();
    }
}

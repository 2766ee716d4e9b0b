package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ElementType;

/** The two precisions a float value can have after FP16 conversion. */
enum Fp16Precision {
    F32(ElementType.FLOAT, "float32", "_fp32"),
    F16(ElementType.FLOAT16, "float16", "_fp16");

    /** The ONNX element type. */
    final ElementType type;
    /** How reports name it. */
    final String label;
    /** Appended to a tensor name for its copy in this precision. */
    final String suffix;

    Fp16Precision(ElementType type, String label, String suffix) {
        this.type = type;
        this.label = label;
        this.suffix = suffix;
    }

    Fp16Precision other() {
        return this == F32 ? F16 : F32;
    }
}

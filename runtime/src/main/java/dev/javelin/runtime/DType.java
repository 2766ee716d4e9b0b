package dev.javelin.runtime;

import java.util.Locale;

/**
 * Element types a {@link Tensor} can hold. The set is the one Javelin moves between backends;
 * each constant knows its size and its ONNX {@code TensorProto.DataType} number.
 */
public enum DType {
    /** IEEE 754 binary32. */
    FLOAT32(4, 1, "float32"),
    /** IEEE 754 binary16, stored as raw 16-bit patterns. */
    FLOAT16(2, 10, "float16"),
    /** Signed 8-bit integer. */
    INT8(1, 3, "int8"),
    /** Unsigned 8-bit integer. */
    UINT8(1, 2, "uint8"),
    /** Signed 32-bit integer. */
    INT32(4, 6, "int32"),
    /** Signed 64-bit integer. */
    INT64(8, 7, "int64"),
    /** One byte per element, 0 or 1. */
    BOOL(1, 9, "bool");

    /** {@code values()} clones its array on every call; the per-output lookup in a run should not allocate. */
    private static final DType[] ALL = values();

    private final int byteSize;
    private final int onnxType;
    private final String label;

    DType(int byteSize, int onnxType, String label) {
        this.byteSize = byteSize;
        this.onnxType = onnxType;
        this.label = label;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The ONNX {@code TensorProto.DataType} enum value. */
    public int onnxType() {
        return onnxType;
    }

    /** Lower-case name as printed by the CLI ({@code float32}, {@code int64}, ...). */
    public String label() {
        return label;
    }

    /**
     * Maps an ONNX {@code TensorProto.DataType} number to a DType.
     *
     * @throws IllegalArgumentException if Javelin does not carry that element type
     */
    public static DType fromOnnx(int onnxType) {
        for (DType t : ALL) {
            if (t.onnxType == onnxType) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported ONNX element type " + onnxType
                + " (Javelin carries float32, float16, int8, uint8, int32, int64, bool)");
    }

    /** Parses a label such as {@code float32} or {@code FLOAT16}. */
    public static DType parse(String label) {
        for (DType t : values()) {
            if (t.label.equals(label.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + label + "'");
    }

    @Override
    public String toString() {
        return label;
    }
}

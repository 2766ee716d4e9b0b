package dev.javelin.bindings.trt;

/**
 * TensorRT {@code nvinfer1::DataType} values (from {@code NvInferRuntimeBase.h} 10.15) with their storage
 * size, so callers can compute byte sizes without loading TensorRT.
 */
public enum TrtDataType {
    FLOAT(0, 32),
    HALF(1, 16),
    INT8(2, 8),
    INT32(3, 32),
    BOOL(4, 8),
    UINT8(5, 8),
    FP8(6, 8),
    BF16(7, 16),
    INT64(8, 64),
    INT4(9, 4),
    FP4(10, 4),
    E8M0(11, 8);

    private final int value;
    private final int bits;

    TrtDataType(int value, int bits) {
        this.value = value;
        this.bits = bits;
    }

    /** The C++ enum value. */
    public int value() {
        return value;
    }

    /** Storage bits per element (4 for the packed types). */
    public int bits() {
        return bits;
    }

    /**
     * The constant for a C++ enum value.
     *
     * @throws IllegalArgumentException for a value this TensorRT line does not define
     */
    public static TrtDataType fromValue(int value) {
        for (TrtDataType t : values()) {
            if (t.value == value) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown TensorRT DataType " + value);
    }
}

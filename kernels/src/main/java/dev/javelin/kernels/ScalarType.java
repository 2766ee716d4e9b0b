package dev.javelin.kernels;

/**
 * Element types the kernels read or write, with their ONNX {@code TensorProto.DataType} codes (the kernels
 * receive the code where one kernel serves several types).
 */
public enum ScalarType {
    FLOAT(1, 4),
    UINT8(2, 1),
    INT8(3, 1),
    INT32(6, 4),
    INT64(7, 8),
    FLOAT16(10, 2),
    DOUBLE(11, 8);

    private final int onnxCode;
    private final int bytes;

    ScalarType(int onnxCode, int bytes) {
        this.onnxCode = onnxCode;
        this.bytes = bytes;
    }

    /** The ONNX element type code. */
    public int onnxCode() {
        return onnxCode;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The type with ONNX element type code {@code code}, if the kernels know it. */
    public static java.util.Optional<ScalarType> fromOnnx(int code) {
        for (ScalarType t : values()) {
            if (t.onnxCode == code) {
                return java.util.Optional.of(t);
            }
        }
        return java.util.Optional.empty();
    }

    /** Lower-case ONNX name, e.g. {@code float16}. */
    public String onnxName() {
        return this == FLOAT ? "float" : name().toLowerCase(java.util.Locale.ROOT);
    }
}

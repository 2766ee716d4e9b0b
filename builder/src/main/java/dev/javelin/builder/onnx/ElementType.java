package dev.javelin.builder.onnx;

import dev.javelin.runtime.DType;
import java.util.Optional;

/**
 * Every ONNX tensor element type ({@code TensorProto.DataType}) with its storage width, so sizes can
 * be computed for any initializer, not only the types the runtime carries ({@link DType}).
 */
public enum ElementType {
    UNDEFINED(0, "undefined", 0),
    FLOAT(1, "float32", 32),
    UINT8(2, "uint8", 8),
    INT8(3, "int8", 8),
    UINT16(4, "uint16", 16),
    INT16(5, "int16", 16),
    INT32(6, "int32", 32),
    INT64(7, "int64", 64),
    /** Variable length: sizes come from the stored strings. */
    STRING(8, "string", 0),
    BOOL(9, "bool", 8),
    FLOAT16(10, "float16", 16),
    DOUBLE(11, "float64", 64),
    UINT32(12, "uint32", 32),
    UINT64(13, "uint64", 64),
    COMPLEX64(14, "complex64", 64),
    COMPLEX128(15, "complex128", 128),
    BFLOAT16(16, "bfloat16", 16),
    FLOAT8E4M3FN(17, "float8e4m3fn", 8),
    FLOAT8E4M3FNUZ(18, "float8e4m3fnuz", 8),
    FLOAT8E5M2(19, "float8e5m2", 8),
    FLOAT8E5M2FNUZ(20, "float8e5m2fnuz", 8),
    UINT4(21, "uint4", 4),
    INT4(22, "int4", 4),
    FLOAT4E2M1(23, "float4e2m1", 4),
    FLOAT8E8M0(24, "float8e8m0", 8),
    UINT2(25, "uint2", 2),
    INT2(26, "int2", 2);

    private static final ElementType[] BY_NUMBER = new ElementType[27];

    static {
        for (ElementType t : values()) {
            BY_NUMBER[t.onnx] = t;
        }
    }

    private final int onnx;
    private final String label;
    private final int bits;

    ElementType(int onnx, String label, int bits) {
        this.onnx = onnx;
        this.label = label;
        this.bits = bits;
    }

    /** The {@code TensorProto.DataType} number. */
    public int onnx() {
        return onnx;
    }

    /** Lower-case name as printed by {@code javelin inspect} ({@code float32}, {@code int64}, ...). */
    public String label() {
        return label;
    }

    /** Bits per element; 0 for {@link #STRING} and {@link #UNDEFINED}. */
    public int bits() {
        return bits;
    }

    /** Whether every element has the same storage width. */
    public boolean isFixedWidth() {
        return bits > 0;
    }

    /**
     * Bytes needed for {@code elements} elements stored densely (sub-byte types packed, rounded up to
     * whole bytes), as in {@code raw_data} or an external data file.
     *
     * @throws IllegalStateException for variable-width types
     */
    public long byteSize(long elements) {
        if (!isFixedWidth()) {
            throw new IllegalStateException(label + " elements have no fixed size");
        }
        return Math.addExact(Math.multiplyExact(elements, bits), 7) / 8;
    }

    /** The runtime's element type, when the runtime carries this one. */
    public Optional<DType> toDType() {
        return switch (this) {
            case FLOAT -> Optional.of(DType.FLOAT32);
            case FLOAT16 -> Optional.of(DType.FLOAT16);
            case INT8 -> Optional.of(DType.INT8);
            case UINT8 -> Optional.of(DType.UINT8);
            case INT32 -> Optional.of(DType.INT32);
            case INT64 -> Optional.of(DType.INT64);
            case BOOL -> Optional.of(DType.BOOL);
            default -> Optional.empty();
        };
    }

    /** The ONNX element type of a runtime element type. */
    public static ElementType of(DType dtype) {
        return fromOnnx(dtype.onnxType());
    }

    /**
     * Maps a {@code TensorProto.DataType} number.
     *
     * @throws IllegalArgumentException for a number the ONNX specification does not define
     */
    public static ElementType fromOnnx(int number) {
        if (number < 0 || number >= BY_NUMBER.length || BY_NUMBER[number] == null) {
            throw new IllegalArgumentException("unknown ONNX element type " + number);
        }
        return BY_NUMBER[number];
    }

    /** Like {@link #fromOnnx} but returns {@code null} for unknown numbers (newer ONNX versions). */
    static ElementType fromOnnxOrNull(int number) {
        return number >= 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }

    @Override
    public String toString() {
        return label;
    }
}

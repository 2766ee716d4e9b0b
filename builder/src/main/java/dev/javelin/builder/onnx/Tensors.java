package dev.javelin.builder.onnx;

import com.google.protobuf.ByteString;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.ModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Sizes and bytes of {@link TensorProto}s whatever field holds their data (a typed field,
 * {@code raw_data}, or an external file), and factories for small tensors.
 */
public final class Tensors {
    private Tensors() {
    }

    /** The tensor's element type. */
    public static ElementType elementType(TensorProto t) {
        ElementType type = ElementType.fromOnnxOrNull(t.getDataType());
        if (type == null) {
            throw new ModelException("tensor '" + t.getName() + "' has unknown data_type " + t.getDataType());
        }
        return type;
    }

    /**
     * Number of elements (product of dims; 1 for a scalar).
     *
     * @throws ModelException if a dim is negative or the product overflows
     */
    public static long elementCount(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            if (d < 0) {
                throw new ModelException("tensor '" + t.getName() + "' has negative dimension " + d
                        + " in dims " + t.getDimsList());
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new ModelException("tensor '" + t.getName() + "' dims " + t.getDimsList() + " overflow a 64-bit element count");
            }
        }
        return n;
    }

    /**
     * Bytes the tensor's data occupies in dense form: element count times element width (sub-byte types
     * packed), or for strings the summed string lengths. The same whether the data is inline or external.
     */
    public static long dataBytes(TensorProto t) {
        ElementType type = elementType(t);
        if (type == ElementType.STRING) {
            long n = 0;
            for (ByteString s : t.getStringDataList()) {
                n += s.size();
            }
            return n;
        }
        if (type == ElementType.UNDEFINED) {
            return 0;
        }
        return type.byteSize(elementCount(t));
    }

    /** Whether the tensor's data lives in an external file. */
    public static boolean isExternal(TensorProto t) {
        return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }

    /**
     * The tensor's data as dense little-endian bytes, the layout of {@code raw_data}.
     *
     * @param modelDir folder of the model, for external data (may be {@code null} if none is used)
     * @throws ModelException if the data is missing, of the wrong size, or external and rejected
     */
    public static byte[] rawBytes(TensorProto t, Path modelDir) {
        ElementType type = elementType(t);
        if (type == ElementType.STRING || type == ElementType.UNDEFINED) {
            throw new ModelException("tensor '" + t.getName() + "' of type " + type + " has no fixed-width byte layout");
        }
        long expected = type.byteSize(elementCount(t));
        Optional<ExternalData> ext = ExternalData.of(t);
        if (ext.isPresent()) {
            return ext.get().read(modelDir, expected);
        }
        if (t.hasRawData()) {
            if (t.getRawData().size() != expected) {
                throw new ModelException("tensor '" + t.getName() + "' has " + t.getRawData().size()
                        + " bytes of raw_data but its type " + type + " and dims " + t.getDimsList() + " need " + expected);
            }
            return t.getRawData().toByteArray();
        }
        if (expected > Integer.MAX_VALUE - 8) {
            throw new ModelException("tensor '" + t.getName() + "' is larger than 2 GiB");
        }
        ByteBuffer out = ByteBuffer.allocate((int) expected).order(ByteOrder.LITTLE_ENDIAN);
        long elements = elementCount(t);
        switch (type) {
            case FLOAT, COMPLEX64 -> {
                long want = type == ElementType.COMPLEX64 ? 2 * elements : elements;
                checkCount(t, "float_data", t.getFloatDataCount(), want);
                for (float f : t.getFloatDataList()) {
                    out.putFloat(f);
                }
            }
            case DOUBLE, COMPLEX128 -> {
                long want = type == ElementType.COMPLEX128 ? 2 * elements : elements;
                checkCount(t, "double_data", t.getDoubleDataCount(), want);
                for (double d : t.getDoubleDataList()) {
                    out.putDouble(d);
                }
            }
            case INT64 -> {
                checkCount(t, "int64_data", t.getInt64DataCount(), elements);
                for (long v : t.getInt64DataList()) {
                    out.putLong(v);
                }
            }
            case UINT32, UINT64 -> {
                checkCount(t, "uint64_data", t.getUint64DataCount(), elements);
                for (long v : t.getUint64DataList()) {
                    if (type == ElementType.UINT32) {
                        out.putInt((int) v);
                    } else {
                        out.putLong(v);
                    }
                }
            }
            case UINT4, INT4, FLOAT4E2M1, UINT2, INT2 -> {
                // Sub-byte types: each int32_data entry already holds one packed byte.
                checkCount(t, "int32_data", t.getInt32DataCount(), expected);
                for (int v : t.getInt32DataList()) {
                    out.put((byte) v);
                }
            }
            default -> {
                // int32 and every narrower type: one element per int32_data entry, as a bit pattern.
                checkCount(t, "int32_data", t.getInt32DataCount(), elements);
                int width = type.bits() / 8;
                for (int v : t.getInt32DataList()) {
                    switch (width) {
                        case 1 -> out.put((byte) v);
                        case 2 -> out.putShort((short) v);
                        default -> out.putInt(v);
                    }
                }
            }
        }
        return out.array();
    }

    private static void checkCount(TensorProto t, String field, int have, long want) {
        if (have != want) {
            throw new ModelException("tensor '" + t.getName() + "' has " + have + " values in " + field
                    + " but its type " + elementType(t) + " and dims " + t.getDimsList() + " need " + want);
        }
    }

    /** A copy of {@code t} whose data is {@code raw} in {@code raw_data}, every other data field cleared. */
    public static TensorProto withRawData(TensorProto t, byte[] raw) {
        return clearData(t.toBuilder()).setRawData(ByteString.copyFrom(raw)).build();
    }

    /** Clears every data field and the external-data description of a tensor builder. */
    static TensorProto.Builder clearData(TensorProto.Builder b) {
        return b.clearRawData().clearFloatData().clearInt32Data().clearInt64Data().clearDoubleData()
                .clearUint64Data().clearStringData().clearExternalData().clearDataLocation();
    }

    // ---- factories ------------------------------------------------------------------------------

    /** A float32 tensor in {@code raw_data}. */
    public static TensorProto floats(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return raw(name, ElementType.FLOAT, dims, b.array());
    }

    /** An int64 tensor in {@code raw_data}. */
    public static TensorProto int64s(String name, long[] dims, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return raw(name, ElementType.INT64, dims, b.array());
    }

    /** An int32 tensor in {@code raw_data}. */
    public static TensorProto int32s(String name, long[] dims, int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return raw(name, ElementType.INT32, dims, b.array());
    }

    /** A bool tensor in {@code raw_data}. */
    public static TensorProto bools(String name, long[] dims, boolean... values) {
        byte[] raw = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            raw[i] = (byte) (values[i] ? 1 : 0);
        }
        return raw(name, ElementType.BOOL, dims, raw);
    }

    /**
     * A tensor of any fixed-width type from dense little-endian bytes.
     *
     * @throws IllegalArgumentException if the byte count does not match type and dims
     */
    public static TensorProto raw(String name, ElementType type, long[] dims, byte[] raw) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.onnx());
        long n = 1;
        for (long d : dims) {
            b.addDims(d);
            n *= d;
        }
        if (type.byteSize(n) != raw.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + raw.length + " bytes given, "
                    + type + java.util.Arrays.toString(dims) + " needs " + type.byteSize(n));
        }
        return b.setRawData(ByteString.copyFrom(raw)).build();
    }

    /** Reads a dense little-endian float32 buffer (e.g. from {@link #rawBytes}). */
    public static float[] toFloats(byte[] raw) {
        float[] out = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Reads a dense little-endian int64 buffer. */
    public static long[] toLongs(byte[] raw) {
        long[] out = new long[raw.length / 8];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }
}

package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dense little-endian bytes from every storage field the ONNX spec allows, checked byte by byte by hand. */
class TensorsTest {

    private static TensorProto.Builder tensor(ElementType type, long... dims) {
        TensorProto.Builder b = TensorProto.newBuilder().setName("t").setDataType(type.onnx());
        for (long d : dims) {
            b.addDims(d);
        }
        return b;
    }

    private static byte[] bytes(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    @Test
    void floatData() {
        // 1.0f = 0x3F800000, -2.0f = 0xC0000000, little-endian.
        TensorProto t = tensor(ElementType.FLOAT, 2).addFloatData(1f).addFloatData(-2f).build();
        assertArrayEquals(bytes(0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0), Tensors.rawBytes(t, null));
        assertEquals(8, Tensors.dataBytes(t));
    }

    @Test
    void narrowTypesInInt32Data() {
        // float16 bit patterns 0x3C00 (1.0) and 0xC000 (-2.0), one per int32 entry.
        TensorProto f16 = tensor(ElementType.FLOAT16, 2).addInt32Data(0x3C00).addInt32Data(0xC000).build();
        assertArrayEquals(bytes(0x00, 0x3C, 0x00, 0xC0), Tensors.rawBytes(f16, null));
        TensorProto i8 = tensor(ElementType.INT8, 3).addInt32Data(-1).addInt32Data(127).addInt32Data(-128).build();
        assertArrayEquals(bytes(0xFF, 0x7F, 0x80), Tensors.rawBytes(i8, null));
        TensorProto bool = tensor(ElementType.BOOL, 2).addInt32Data(1).addInt32Data(0).build();
        assertArrayEquals(bytes(1, 0), Tensors.rawBytes(bool, null));
        // int4: 3 elements packed in 2 bytes; each int32 entry holds one packed byte.
        TensorProto i4 = tensor(ElementType.INT4, 3).addInt32Data(0x21).addInt32Data(0x03).build();
        assertArrayEquals(bytes(0x21, 0x03), Tensors.rawBytes(i4, null));
        assertEquals(2, Tensors.dataBytes(i4));
    }

    @Test
    void wideTypes() {
        TensorProto i64 = tensor(ElementType.INT64, 1).addInt64Data(-2).build();
        assertArrayEquals(bytes(0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), Tensors.rawBytes(i64, null));
        TensorProto u32 = tensor(ElementType.UINT32, 1).addUint64Data(0xDEADBEEFL).build();
        assertArrayEquals(bytes(0xEF, 0xBE, 0xAD, 0xDE), Tensors.rawBytes(u32, null));
        TensorProto f64 = tensor(ElementType.DOUBLE).addDoubleData(1.0).build(); // scalar
        assertArrayEquals(bytes(0, 0, 0, 0, 0, 0, 0xF0, 0x3F), Tensors.rawBytes(f64, null));
        TensorProto c64 = tensor(ElementType.COMPLEX64, 1).addFloatData(1f).addFloatData(-2f).build();
        assertEquals(8, Tensors.rawBytes(c64, null).length);
    }

    @Test
    void rawDataAndMismatches() {
        TensorProto raw = Tensors.floats("w", new long[] {2, 2}, 1, 2, 3, 4);
        assertArrayEquals(new float[] {1, 2, 3, 4}, Tensors.toFloats(Tensors.rawBytes(raw, null)));
        TensorProto shortRaw = raw.toBuilder().setRawData(ByteString.copyFrom(new byte[12])).build();
        ModelException e = assertThrows(ModelException.class, () -> Tensors.rawBytes(shortRaw, null));
        assertTrue(e.getMessage().contains("tensor 'w' has 12 bytes of raw_data") && e.getMessage().contains("need 16"),
                e.getMessage());
        TensorProto fewValues = tensor(ElementType.INT64, 3).addInt64Data(1).build();
        ModelException e2 = assertThrows(ModelException.class, () -> Tensors.rawBytes(fewValues, null));
        assertTrue(e2.getMessage().contains("1 values in int64_data") && e2.getMessage().contains("need 3"), e2.getMessage());
        TensorProto negative = tensor(ElementType.FLOAT, 2, -1).build();
        assertThrows(ModelException.class, () -> Tensors.elementCount(negative));
        TensorProto strings = tensor(ElementType.STRING, 2).addStringData(ByteString.copyFromUtf8("ab"))
                .addStringData(ByteString.copyFromUtf8("cde")).build();
        assertEquals(5, Tensors.dataBytes(strings));
        assertThrows(ModelException.class, () -> Tensors.rawBytes(strings, null));
    }

    @Test
    void elementTypesMatchTheRuntimeAndTheSpec() {
        for (DType d : DType.values()) {
            assertEquals(d, ElementType.of(d).toDType().orElseThrow());
            assertEquals(d.byteSize() * 8, ElementType.of(d).bits(), d.label());
        }
        assertEquals(List.of(0L, 1L, 1L, 2L), List.of(ElementType.INT4.byteSize(0), ElementType.INT4.byteSize(1),
                ElementType.INT4.byteSize(2), ElementType.INT4.byteSize(3)));
        assertEquals(1, ElementType.UINT2.byteSize(4));
        assertEquals(26, ElementType.fromOnnx(26).onnx());
        assertThrows(IllegalArgumentException.class, () -> ElementType.fromOnnx(99));
    }
}

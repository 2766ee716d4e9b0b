package dev.javelin.bindings.ort;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The smallest useful ONNX model, {@code y = Identity(x)} over {@code float[1]}, serialized by hand
 * (field numbers per the public onnx.proto). Creating a session from it on an execution provider is
 * the cheapest complete check that the provider, its libraries and the device all work.
 */
public final class ProbeModel {
    private ProbeModel() {
    }

    /** The model bytes (IR version 8, opset 17). */
    public static byte[] identity() {
        byte[] dim = msg(varint(1, 1));                                    // Dimension.dim_value = 1
        byte[] shape = msg(bytes(1, dim));                                 // TensorShapeProto.dim
        byte[] tensorType = msg(varint(1, 1), bytes(2, shape));            // elem_type FLOAT, shape
        byte[] type = msg(bytes(1, tensorType));                           // TypeProto.tensor_type
        byte[] x = msg(string(1, "x"), bytes(2, type));                    // ValueInfoProto
        byte[] y = msg(string(1, "y"), bytes(2, type));
        byte[] node = msg(string(1, "x"), string(2, "y"), string(3, "probe"), string(4, "Identity"));
        byte[] graph = msg(bytes(1, node), string(2, "javelin_probe"), bytes(11, x), bytes(12, y));
        byte[] opset = msg(string(1, ""), varint(2, 17));
        return msg(varint(1, 8), string(2, "javelin"), bytes(7, graph), bytes(8, opset));
    }

    private static byte[] msg(byte[]... fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : fields) {
            out.writeBytes(f);
        }
        return out.toByteArray();
    }

    private static byte[] varint(int field, long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeVarint(out, (long) field << 3);
        writeVarint(out, v);
        return out.toByteArray();
    }

    private static byte[] bytes(int field, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeVarint(out, ((long) field << 3) | 2);
        writeVarint(out, b.length);
        out.writeBytes(b);
        return out.toByteArray();
    }

    private static byte[] string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}

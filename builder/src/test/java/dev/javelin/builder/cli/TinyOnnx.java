package dev.javelin.builder.cli;

import dev.javelin.runtime.DType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes small ONNX models byte by byte (protobuf wire format, field numbers from onnx.proto), so CLI
 * tests need neither Python nor the builder's ONNX toolkit.
 */
final class TinyOnnx {
    private TinyOnnx() {
    }

    /** A ModelProto: IR version 8, default-domain opset {@code opset}, one graph. */
    static byte[] model(int opset, List<byte[]> nodes, List<byte[]> inputs, List<byte[]> outputs) {
        Proto graph = new Proto();
        nodes.forEach(n -> graph.bytes(1, n));
        graph.string(2, "tiny");
        inputs.forEach(i -> graph.bytes(11, i));
        outputs.forEach(o -> graph.bytes(12, o));
        Proto opsetId = new Proto().string(1, "").varint(2, opset);
        return new Proto().varint(1, 8).string(2, "javelin-test").bytes(7, graph.toBytes()).bytes(8, opsetId.toBytes())
                .toBytes();
    }

    /** A NodeProto. */
    static byte[] node(String opType, List<String> inputs, List<String> outputs, byte[]... attributes) {
        Proto n = new Proto();
        inputs.forEach(i -> n.string(1, i));
        outputs.forEach(o -> n.string(2, o));
        n.string(3, opType + "_" + outputs.get(0).hashCode());
        n.string(4, opType);
        for (byte[] a : attributes) {
            n.bytes(5, a);
        }
        return n.toBytes();
    }

    /** An INT AttributeProto. */
    static byte[] intAttribute(String name, long value) {
        return new Proto().string(1, name).varint(3, value).varint(20, 2).toBytes();
    }

    /** A ValueInfoProto for a tensor; each dim is a Long (fixed) or a String (symbolic). */
    static byte[] tensor(String name, DType dtype, Object... dims) {
        Proto shape = new Proto();
        for (Object d : dims) {
            Proto dim = d instanceof String s ? new Proto().string(2, s) : new Proto().varint(1, ((Number) d).longValue());
            shape.bytes(1, dim.toBytes());
        }
        Proto tensorType = new Proto().varint(1, dtype.onnxType()).bytes(2, shape.toBytes());
        Proto type = new Proto().bytes(1, tensorType.toBytes());
        return new Proto().string(1, name).bytes(2, type.toBytes()).toBytes();
    }

    /** Minimal protobuf message writer: varint and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint((long) field << 3);
            writeVarint(value);
            return this;
        }

        Proto bytes(int field, byte[] value) {
            writeVarint(((long) field << 3) | 2);
            writeVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        private void writeVarint(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] toBytes() {
            return out.toByteArray();
        }
    }
}

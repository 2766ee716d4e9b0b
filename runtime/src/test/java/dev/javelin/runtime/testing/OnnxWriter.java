package dev.javelin.runtime.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny, test-only writer of ONNX {@code ModelProto} files in the protobuf wire format, so runtime
 * tests can generate small models without depending on the builder module. Field numbers follow the
 * public {@code onnx.proto}: ModelProto (ir_version 1, graph 7, opset_import 8), GraphProto (node 1,
 * name 2, initializer 5, input 11, output 12), NodeProto (input 1, output 2, name 3, op_type 4,
 * attribute 5), AttributeProto (name 1, f 2, i 3, ints 8, type 20), ValueInfoProto (name 1, type 2),
 * TypeProto (tensor_type 1), TypeProto.Tensor (elem_type 1, shape 2), TensorShapeProto (dim 1),
 * Dimension (dim_value 1, dim_param 2), TensorProto (dims 1, data_type 2, name 8, raw_data 9),
 * OperatorSetIdProto (domain 1, version 2).
 */
public final class OnnxWriter {
    /** ONNX element type numbers (TensorProto.DataType). */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;
    public static final int FLOAT16 = 10;

    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> inputs = new ArrayList<>();
    private final List<byte[]> outputs = new ArrayList<>();
    private final List<byte[]> initializers = new ArrayList<>();
    private int opset = 17;
    private long irVersion = 8;

    /** Sets the default-domain opset (17 unless changed). */
    public OnnxWriter opset(int version) {
        this.opset = version;
        return this;
    }

    /**
     * Declares a graph input. Each dim is a {@code Long} (fixed) or a {@code String} (symbolic dim_param).
     */
    public OnnxWriter input(String name, int elemType, Object... dims) {
        inputs.add(valueInfo(name, elemType, dims));
        return this;
    }

    /** Declares a graph output; dims as for {@link #input}. */
    public OnnxWriter output(String name, int elemType, Object... dims) {
        outputs.add(valueInfo(name, elemType, dims));
        return this;
    }

    /** Adds a float32 initializer. */
    public OnnxWriter initializer(String name, float[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        Msg t = new Msg();
        for (long d : dims) {
            t.varintField(1, d);
        }
        t.varintField(2, FLOAT);
        t.stringField(8, name);
        t.bytesField(9, raw.array());
        initializers.add(t.bytes());
        return this;
    }

    /** Adds a node; attributes as {@link Attr}s. */
    public OnnxWriter node(String opType, List<String> in, List<String> out, Attr... attrs) {
        Msg n = new Msg();
        for (String s : in) {
            n.stringField(1, s);
        }
        for (String s : out) {
            n.stringField(2, s);
        }
        n.stringField(3, opType + "_" + nodes.size());
        n.stringField(4, opType);
        for (Attr a : attrs) {
            n.bytesField(5, a.encode());
        }
        nodes.add(n.bytes());
        return this;
    }

    /** The serialized ModelProto. */
    public byte[] toBytes() {
        Msg graph = new Msg();
        for (byte[] n : nodes) {
            graph.bytesField(1, n);
        }
        graph.stringField(2, "javelin_test_graph");
        for (byte[] t : initializers) {
            graph.bytesField(5, t);
        }
        for (byte[] i : inputs) {
            graph.bytesField(11, i);
        }
        for (byte[] o : outputs) {
            graph.bytesField(12, o);
        }
        Msg opsetId = new Msg();
        opsetId.stringField(1, "");
        opsetId.varintField(2, opset);
        Msg model = new Msg();
        model.varintField(1, irVersion);
        model.stringField(2, "javelin-tests");
        model.bytesField(7, graph.bytes());
        model.bytesField(8, opsetId.bytes());
        return model.bytes();
    }

    /** Writes the model to {@code file} and returns the path. */
    public Path write(Path file) {
        try {
            Files.write(file, toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static byte[] valueInfo(String name, int elemType, Object... dims) {
        Msg shape = new Msg();
        for (Object d : dims) {
            Msg dim = new Msg();
            if (d instanceof String s) {
                dim.stringField(2, s);
            } else {
                dim.varintField(1, ((Number) d).longValue());
            }
            shape.bytesField(1, dim.bytes());
        }
        Msg tensorType = new Msg();
        tensorType.varintField(1, elemType);
        tensorType.bytesField(2, shape.bytes());
        Msg type = new Msg();
        type.bytesField(1, tensorType.bytes());
        Msg vi = new Msg();
        vi.stringField(1, name);
        vi.bytesField(2, type.bytes());
        return vi.bytes();
    }

    /** A node attribute. */
    public record Attr(String name, Long i, Float f, long[] ints) {
        /** An INT attribute. */
        public static Attr i(String name, long v) {
            return new Attr(name, v, null, null);
        }

        /** A FLOAT attribute. */
        public static Attr f(String name, float v) {
            return new Attr(name, null, v, null);
        }

        /** An INTS attribute. */
        public static Attr ints(String name, long... v) {
            return new Attr(name, null, null, v);
        }

        byte[] encode() {
            Msg a = new Msg();
            a.stringField(1, name);
            if (f != null) {
                a.fixed32Field(2, Float.floatToRawIntBits(f));
                a.varintField(20, 1);
            } else if (i != null) {
                a.varintField(3, i);
                a.varintField(20, 2);
            } else {
                for (long v : ints) {
                    a.varintField(8, v);
                }
                a.varintField(20, 7);
            }
            return a.bytes();
        }
    }

    /** Protobuf wire-format encoder for one message. */
    private static final class Msg {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        void tag(int field, int wireType) {
            varint(((long) field << 3) | wireType);
        }

        void varintField(int field, long v) {
            tag(field, 0);
            varint(v);
        }

        void fixed32Field(int field, int bits) {
            tag(field, 5);
            for (int k = 0; k < 4; k++) {
                out.write((bits >>> (8 * k)) & 0xFF);
            }
        }

        void bytesField(int field, byte[] b) {
            tag(field, 2);
            varint(b.length);
            out.write(b, 0, b.length);
        }

        void stringField(int field, String s) {
            bytesField(field, s.getBytes(StandardCharsets.UTF_8));
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}

package dev.javelin.kernels.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a one-node ONNX model in protobuf wire format, so the kernels' tests can ask ONNX Runtime for its
 * own result of an op without depending on the builder module (which is downstream of kernels). Covers what
 * single-op models need: typed inputs and outputs with static or symbolic dims, int/float/string/ints attributes.
 * Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto,
 * TypeProto, TensorShapeProto, OperatorSetIdProto).
 */
public final class OnnxModelWriter {
    /**
     * An input or output: ONNX element type code and dims ({@code null} dims: unknown rank; a negative dim: symbolic).
     */
    public record Io(String name, int elemType, long[] dims) {
    }

    private final String opType;
    private final int opset;
    private final List<Io> inputs = new ArrayList<>();
    private final List<String> nodeInputs = new ArrayList<>();
    private final List<Io> outputs = new ArrayList<>();
    private final Map<String, Object> attributes = new LinkedHashMap<>();

    private OnnxModelWriter(String opType, int opset) {
        this.opType = opType;
        this.opset = opset;
    }

    /** A model with one {@code opType} node from the default domain at {@code opset}. */
    public static OnnxModelWriter op(String opType, int opset) {
        return new OnnxModelWriter(opType, opset);
    }

    /** A graph input feeding the node's next input. */
    public OnnxModelWriter input(String name, int elemType, long... dims) {
        inputs.add(new Io(name, elemType, dims));
        nodeInputs.add(name);
        return this;
    }

    /** An optional node input left out (the empty name). */
    public OnnxModelWriter absentInput() {
        nodeInputs.add("");
        return this;
    }

    /** A graph output taken from the node's next output; rank unknown. */
    public OnnxModelWriter output(String name, int elemType) {
        outputs.add(new Io(name, elemType, null));
        return this;
    }

    /** An attribute: Long (INT), Float (FLOAT), String (STRING) or long[] (INTS). */
    public OnnxModelWriter attr(String name, Object value) {
        attributes.put(name, value);
        return this;
    }

    /** The serialized ModelProto. */
    public byte[] build() {
        Pb node = new Pb();
        for (String in : nodeInputs) {
            node.string(1, in);
        }
        for (Io out : outputs) {
            node.string(2, out.name());
        }
        node.string(3, opType.toLowerCase() + "_node");
        node.string(4, opType);
        for (Map.Entry<String, Object> a : attributes.entrySet()) {
            Pb attr = new Pb().string(1, a.getKey());
            Object v = a.getValue();
            if (v instanceof Long l) {
                attr.varint(3, l).varint(20, 2);
            } else if (v instanceof Integer i) {
                attr.varint(3, i).varint(20, 2);
            } else if (v instanceof Float f) {
                attr.fixed32(2, Float.floatToRawIntBits(f)).varint(20, 1);
            } else if (v instanceof String s) {
                attr.bytes(4, s.getBytes(StandardCharsets.UTF_8)).varint(20, 3);
            } else if (v instanceof long[] ls) {
                for (long l : ls) {
                    attr.varint(8, l);
                }
                attr.varint(20, 7);
            } else {
                throw new IllegalArgumentException("attribute type " + v.getClass());
            }
            node.message(5, attr);
        }
        Pb graph = new Pb().message(1, node).string(2, "single_" + opType);
        for (Io in : inputs) {
            graph.message(11, valueInfo(in));
        }
        for (Io out : outputs) {
            graph.message(12, valueInfo(out));
        }
        Pb model = new Pb().varint(1, 9).string(2, "javelin-kernels-test").message(7, graph)
                .message(8, new Pb().string(1, "").varint(2, opset));
        return model.bytes();
    }

    private static Pb valueInfo(Io io) {
        Pb tensor = new Pb().varint(1, io.elemType());
        if (io.dims() != null) {
            Pb shape = new Pb();
            int sym = 0;
            for (long d : io.dims()) {
                shape.message(1, d >= 0 ? new Pb().varint(1, d) : new Pb().string(2, io.name() + "_d" + sym++));
            }
            tensor.message(2, shape);
        }
        return new Pb().string(1, io.name()).message(2, new Pb().message(1, tensor));
    }

    /** A protobuf message being written. */
    private static final class Pb {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        Pb varint(int field, long v) {
            raw((long) field << 3);
            raw(v);
            return this;
        }

        Pb fixed32(int field, int v) {
            raw(((long) field << 3) | 5);
            for (int i = 0; i < 4; i++) {
                out.write(v >>> (8 * i));
            }
            return this;
        }

        Pb bytes(int field, byte[] b) {
            raw(((long) field << 3) | 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        Pb string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Pb message(int field, Pb m) {
            return bytes(field, m.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}

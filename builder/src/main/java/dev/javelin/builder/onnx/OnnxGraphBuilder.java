package dev.javelin.builder.onnx;

import com.google.protobuf.ByteString;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.FunctionProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.OperatorSetIdProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.TypeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Fluent construction of small ONNX graphs and models, for tests and for passes that emit new nodes.
 *
 * <pre>{@code
 * ModelProto m = OnnxGraphBuilder.graph("add")
 *         .input("x", ElementType.FLOAT, "batch", 4)
 *         .initializer(Tensors.floats("w", new long[] {4}, 1, 2, 3, 4))
 *         .node("Add").name("add0").inputs("x", "w").outputs("y").add()
 *         .output("y", ElementType.FLOAT, "batch", 4)
 *         .buildModel();
 * }</pre>
 *
 * Dims are given as numbers (fixed), strings (symbolic) or {@code null} (unknown). Nothing is validated
 * here on purpose, so tests can also build broken models; use {@link OnnxModel#validate()} to check.
 */
public final class OnnxGraphBuilder {
    /** Default IR version of built models: IR 8 (ONNX 1.10+), read by every runtime Javelin uses. */
    public static final long DEFAULT_IR_VERSION = 8;
    /** Default opset of the ai.onnx domain. */
    public static final long DEFAULT_OPSET = 17;

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private final List<FunctionProto> functions = new ArrayList<>();
    private long irVersion = DEFAULT_IR_VERSION;
    private String producer = "javelin";

    private OnnxGraphBuilder(String name) {
        graph.setName(name);
    }

    /** Starts a graph. */
    public static OnnxGraphBuilder graph(String name) {
        return new OnnxGraphBuilder(Objects.requireNonNull(name, "name"));
    }

    /** Adds a tensor input. */
    public OnnxGraphBuilder input(String name, ElementType type, Object... dims) {
        graph.addInput(tensorValue(name, type, dims));
        return this;
    }

    /** Adds a tensor input of unknown rank. */
    public OnnxGraphBuilder inputUnknownRank(String name, ElementType type) {
        graph.addInput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.onnx()))));
        return this;
    }

    /** Adds a graph output. */
    public OnnxGraphBuilder output(String name, ElementType type, Object... dims) {
        graph.addOutput(tensorValue(name, type, dims));
        return this;
    }

    /** Adds a value_info entry (type of an intermediate tensor). */
    public OnnxGraphBuilder valueInfo(String name, ElementType type, Object... dims) {
        graph.addValueInfo(tensorValue(name, type, dims));
        return this;
    }

    /** Adds any ValueInfoProto as input. */
    public OnnxGraphBuilder input(ValueInfoProto v) {
        graph.addInput(v);
        return this;
    }

    /** Adds any ValueInfoProto as output. */
    public OnnxGraphBuilder output(ValueInfoProto v) {
        graph.addOutput(v);
        return this;
    }

    /** Adds an initializer. */
    public OnnxGraphBuilder initializer(TensorProto t) {
        graph.addInitializer(t);
        return this;
    }

    /** Starts a node; finish it with {@link NodeBuilder#add()}. */
    public NodeBuilder node(String opType) {
        return new NodeBuilder(this, opType);
    }

    /** Adds a prepared node. */
    public OnnxGraphBuilder node(NodeProto n) {
        graph.addNode(n);
        return this;
    }

    /** Imports an operator set (call once per domain; {@code ""} is ai.onnx). */
    public OnnxGraphBuilder opset(String domain, long version) {
        opsets.put(domain, version);
        return this;
    }

    /** Sets the model's IR version. */
    public OnnxGraphBuilder irVersion(long v) {
        irVersion = v;
        return this;
    }

    /** Sets the producer name. */
    public OnnxGraphBuilder producer(String name) {
        producer = name;
        return this;
    }

    /** Adds a model-local function. */
    public OnnxGraphBuilder function(FunctionProto f) {
        functions.add(f);
        return this;
    }

    /** The graph. */
    public GraphProto build() {
        return graph.build();
    }

    /** A model around the graph; ai.onnx opset {@value #DEFAULT_OPSET} unless {@link #opset} was called for it. */
    public ModelProto buildModel() {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(irVersion).setProducerName(producer)
                .setGraph(graph.build()).addAllFunctions(functions);
        Map<String, Long> all = new LinkedHashMap<>();
        if (!opsets.containsKey("") && !opsets.containsKey(OpKey.AI_ONNX)) {
            all.put("", DEFAULT_OPSET);
        }
        all.putAll(opsets);
        all.forEach((d, v) -> m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
        return m.build();
    }

    /**
     * A tensor ValueInfoProto; dims are numbers (fixed), strings (symbolic) or null (unknown). A lone
     * {@code null} argument (which Java passes as a null array) means one unknown dim.
     */
    public static ValueInfoProto tensorValue(String name, ElementType type, Object... dims) {
        if (dims == null) {
            dims = new Object[] {null};
        }
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Number n) {
                db.setDimValue(n.longValue());
            } else if (d instanceof String s) {
                db.setDimParam(s);
            } else if (d != null) {
                throw new IllegalArgumentException("dim " + d + " of '" + name + "' is neither a number, a string nor null");
            }
            shape.addDim(db);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.onnx()).setShape(shape))).build();
    }

    /** A node under construction. */
    public static final class NodeBuilder {
        private final OnnxGraphBuilder parent;
        private final NodeProto.Builder node = NodeProto.newBuilder();

        private NodeBuilder(OnnxGraphBuilder parent, String opType) {
            this.parent = parent;
            node.setOpType(opType);
        }

        /** Node name. */
        public NodeBuilder name(String name) {
            node.setName(name);
            return this;
        }

        /** Operator domain ({@code com.microsoft}, ...). */
        public NodeBuilder domain(String domain) {
            node.setDomain(domain);
            return this;
        }

        /** Input names; {@code ""} leaves an optional input out. */
        public NodeBuilder inputs(String... names) {
            node.addAllInput(List.of(names));
            return this;
        }

        /** Output names. */
        public NodeBuilder outputs(String... names) {
            node.addAllOutput(List.of(names));
            return this;
        }

        /** An INT attribute. */
        public NodeBuilder attr(String name, long value) {
            return attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build());
        }

        /** A FLOAT attribute. */
        public NodeBuilder attr(String name, float value) {
            return attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build());
        }

        /** A STRING attribute. */
        public NodeBuilder attr(String name, String value) {
            return attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build());
        }

        /** An INTS attribute. */
        public NodeBuilder attr(String name, long[] values) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
            for (long v : values) {
                a.addInts(v);
            }
            return attr(a.build());
        }

        /** A FLOATS attribute. */
        public NodeBuilder attr(String name, float[] values) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
            for (float v : values) {
                a.addFloats(v);
            }
            return attr(a.build());
        }

        /** A TENSOR attribute (e.g. {@code Constant.value}). */
        public NodeBuilder attr(String name, TensorProto value) {
            return attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(value).build());
        }

        /** A GRAPH attribute (If branches, Loop/Scan bodies). */
        public NodeBuilder attr(String name, GraphProto value) {
            return attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(value).build());
        }

        /** Any attribute. */
        public NodeBuilder attr(AttributeProto a) {
            node.addAttribute(a);
            return this;
        }

        /** The node on its own (not added to the graph). */
        public NodeProto build() {
            return node.build();
        }

        /** Adds the node to the graph and returns the graph builder. */
        public OnnxGraphBuilder add() {
            parent.graph.addNode(node.build());
            return parent;
        }
    }
}

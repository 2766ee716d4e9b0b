package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.TypeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.ModelException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Finds the element type and shape of every tensor of the main graph by running the model once on ONNX
 * Runtime CPU with every intermediate tensor exposed as a graph output — what ONNX Runtime actually computes,
 * not a shape-inference estimate, so it also covers contrib ops and data-dependent shapes (for these inputs).
 *
 * <p>Inputs are given as values, or as shapes only, in which case they are zero-filled: fine for most models,
 * but an input whose values steer shapes (a Reshape target, indices) needs real values. Initializers and graph
 * inputs are reported from their declarations. Tensors inside subgraphs are not exposed (a branch or loop body
 * has no single value); non-tensor values (sequences, maps) and strings are left out.
 */
public final class ShapeDiscovery {
    private ShapeDiscovery() {
    }

    /** An element type and concrete dims, as one run produced them. */
    public record TensorType(ElementType elementType, long[] dims) {
        public TensorType {
            Objects.requireNonNull(elementType, "elementType");
            dims = dims.clone();
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }

        /** The rank. */
        public int rank() {
            return dims.length;
        }

        /** A {@code ValueInfoProto} of this type, with the dims fixed. */
        public ValueInfoProto valueInfo(String name) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
            for (long d : dims) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            }
            return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(elementType.onnx()).setShape(shape))).build();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorType t && t.elementType == elementType && Arrays.equals(t.dims, dims);
        }

        @Override
        public int hashCode() {
            return elementType.hashCode() * 31 + Arrays.hashCode(dims);
        }

        @Override
        public String toString() {
            return elementType.label() + Arrays.toString(dims);
        }
    }

    /**
     * Runs with zero-filled inputs of the given shapes.
     *
     * @param inputShapes a shape for every graph input without an initializer
     * @throws ModelException naming the input if a shape is missing or the input's element type is unknown, or
     *                        if ONNX Runtime cannot run the model
     */
    public static Map<String, TensorType> discover(OnnxModel model, Map<String, long[]> inputShapes) {
        GraphProto g = model.proto().getGraph();
        Set<String> initialized = new HashSet<>();
        g.getInitializerList().forEach(t -> initialized.add(t.getName()));
        Map<String, TensorProto> feeds = new LinkedHashMap<>();
        for (ValueInfoProto in : g.getInputList()) {
            if (initialized.contains(in.getName())) {
                continue;
            }
            long[] shape = inputShapes.get(in.getName());
            if (shape == null) {
                throw new ModelException(model.displayName() + ": shape discovery needs a shape for input '" + in.getName()
                        + "' (given: " + inputShapes.keySet() + ")");
            }
            ElementType t = in.getType().hasTensorType() ? ElementType.fromOnnxOrNull(in.getType().getTensorType().getElemType()) : null;
            if (t == null || !t.isFixedWidth()) {
                throw new ModelException(model.displayName() + ": input '" + in.getName() + "' has no fixed-width tensor "
                        + "type to zero-fill; give its value instead");
            }
            feeds.put(in.getName(), OrtCpu.zeros(in.getName(), t, shape));
        }
        return discoverWith(model, feeds);
    }

    /**
     * Runs with the given input values.
     *
     * @throws ModelException if ONNX Runtime cannot run the model with them
     */
    public static Map<String, TensorType> discoverWith(OnnxModel model, Map<String, TensorProto> feeds) {
        GraphProto g = model.proto().getGraph();
        GraphProto.Builder probe = g.toBuilder();
        Set<String> exposed = new HashSet<>();
        g.getOutputList().forEach(o -> exposed.add(o.getName()));
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && exposed.add(o)) {
                    probe.addOutput(ValueInfoProto.newBuilder().setName(o)); // untyped: ONNX Runtime infers it
                }
            }
        }
        Map<String, TensorType> types = new LinkedHashMap<>();
        for (ValueInfoProto in : g.getInputList()) {
            TensorProto fed = feeds.get(in.getName());
            if (fed != null) {
                types.put(in.getName(), new TensorType(Tensors.elementType(fed), longs(fed.getDimsList())));
            }
        }
        for (TensorProto t : g.getInitializerList()) {
            ElementType e = Tensors.elementType(t);
            if (e.isFixedWidth()) {
                types.putIfAbsent(t.getName(), new TensorType(e, longs(t.getDimsList())));
            }
        }
        ModelProto m = model.proto().toBuilder().setGraph(probe).build();
        OrtCpu.run(model.withProto(m), feeds, (name, type, shape, data) -> types.put(name, new TensorType(type, shape)));
        return types;
    }

    /**
     * The model with a {@code value_info} entry (dims fixed as discovered) for every discovered intermediate that
     * has none, so later passes see types without running anything.
     */
    public static OnnxModel annotate(OnnxModel model, Map<String, TensorType> types) {
        GraphProto g = model.proto().getGraph();
        Set<String> declared = new HashSet<>();
        g.getInputList().forEach(v -> declared.add(v.getName()));
        g.getOutputList().forEach(v -> declared.add(v.getName()));
        g.getValueInfoList().forEach(v -> declared.add(v.getName()));
        g.getInitializerList().forEach(t -> declared.add(t.getName()));
        GraphProto.Builder gb = g.toBuilder();
        types.forEach((name, t) -> {
            if (!declared.contains(name)) {
                gb.addValueInfo(t.valueInfo(name));
            }
        });
        return model.withProto(model.proto().toBuilder().setGraph(gb).build());
    }

    private static long[] longs(List<Long> l) {
        return l.stream().mapToLong(Long::longValue).toArray();
    }
}

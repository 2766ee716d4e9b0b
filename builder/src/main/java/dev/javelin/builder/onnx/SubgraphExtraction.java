package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.ShapeDiscovery.TensorType;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.TypeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.ModelException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cuts the part of the main graph between named tensors out into a model of its own (ONNX in, ONNX out): the
 * named inputs become graph inputs, the named outputs graph outputs, and the nodes and initializers needed to
 * compute the outputs from those inputs come along, in topological order. The result runs on its own, e.g. to
 * check one region of a model on ONNX Runtime or to build it as a separate engine segment.
 *
 * <p>Types of the boundary tensors come from the model's declarations (graph inputs and outputs,
 * {@code value_info}, initializers) and, for the rest, from {@link ShapeDiscovery}: pass discovered types, or
 * input shapes so a discovery run is made when a declaration is missing. Discovered inputs keep their rank with
 * free dims, so the extracted model accepts other sizes too; outputs get the discovered dims.
 */
public final class SubgraphExtraction {
    private SubgraphExtraction() {
    }

    /**
     * Extracts with types from the declarations and {@code discovered}.
     *
     * @throws ModelException naming the tensor if a name is not defined in the main graph, if an output depends
     *                        on a graph input that is not among {@code inputs}, or if a boundary tensor has no type
     */
    public static OnnxModel extract(OnnxModel model, List<String> inputs, List<String> outputs,
                                    Map<String, TensorType> discovered) {
        GraphProto g = model.proto().getGraph();
        OnnxGraph view = OnnxGraph.of(g);
        Set<String> defined = view.definedNames();
        for (String name : concat(inputs, outputs)) {
            if (!defined.contains(name)) {
                throw new ModelException(model.displayName() + ": cannot extract at tensor '" + name
                        + "': the main graph has no input, initializer or node output of that name");
            }
        }
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("extraction needs at least one output tensor");
        }
        Set<String> cut = new HashSet<>(inputs);
        Set<String> graphInputs = new HashSet<>();
        g.getInputList().forEach(v -> graphInputs.add(v.getName()));
        Map<String, TensorProto> initializers = new HashMap<>();
        g.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Map<String, Integer> producers = view.producers();

        Set<Integer> nodes = new HashSet<>();
        Set<String> usedInitializers = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(outputs);
        Set<String> seen = new HashSet<>(outputs);
        Map<String, String> neededBy = new HashMap<>();
        while (!todo.isEmpty()) {
            String name = todo.poll();
            if (cut.contains(name)) {
                continue;
            }
            Integer p = producers.get(name);
            if (p != null) {
                if (nodes.add(p)) {
                    for (String r : view.reads(p)) {
                        if (seen.add(r)) {
                            neededBy.put(r, view.describe(p));
                            todo.add(r);
                        }
                    }
                }
            } else if (graphInputs.contains(name)) {
                throw new ModelException(model.displayName() + ": cannot extract " + outputs + " from " + inputs + ": "
                        + (neededBy.containsKey(name) ? "node " + neededBy.get(name) : "the output")
                        + " needs graph input '" + name + "', which is not among the extraction inputs");
            } else if (initializers.containsKey(name)) {
                usedInitializers.add(name);
            }
        }

        GraphProto.Builder out = GraphProto.newBuilder().setName(g.getName() + "-extract");
        for (String in : inputs) {
            out.addInput(boundary(model, g, in, discovered, true));
        }
        for (String name : usedInitializers) {
            out.addInitializer(initializers.get(name));
        }
        for (int i : view.topologicalOrder()) {
            if (nodes.contains(i)) {
                out.addNode(view.nodes().get(i));
            }
        }
        for (String o : outputs) {
            out.addOutput(boundary(model, g, o, discovered, false));
        }
        Set<String> inside = new HashSet<>();
        for (int i : nodes) {
            inside.addAll(view.nodes().get(i).getOutputList());
        }
        for (ValueInfoProto v : g.getValueInfoList()) {
            if (inside.contains(v.getName()) && !outputs.contains(v.getName())) {
                out.addValueInfo(v);
            }
        }
        ModelProto m = model.proto().toBuilder().setGraph(out).build();
        OnnxModel result = model.withProto(m);
        result.graph().validate();
        return result;
    }

    /**
     * Extracts, running {@link ShapeDiscovery} with zero inputs of {@code inputShapes} if a boundary tensor has no
     * declared type.
     */
    public static OnnxModel extract(OnnxModel model, List<String> inputs, List<String> outputs,
                                    Map<String, long[]> inputShapes, boolean discoverIfNeeded) {
        GraphProto g = model.proto().getGraph();
        boolean missing = false;
        for (String name : concat(inputs, outputs)) {
            missing |= declared(g, name) == null;
        }
        Map<String, TensorType> types = missing && discoverIfNeeded ? ShapeDiscovery.discover(model, inputShapes) : Map.of();
        return extract(model, inputs, outputs, types);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new java.util.ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    private static ValueInfoProto boundary(OnnxModel model, GraphProto g, String name, Map<String, TensorType> discovered,
                                           boolean input) {
        ValueInfoProto v = declared(g, name);
        if (v != null) {
            return v;
        }
        TensorType t = discovered.get(name);
        if (t == null) {
            throw new ModelException(model.displayName() + ": the type of tensor '" + name + "' is not declared "
                    + "(no value_info); extract with input shapes or types from ShapeDiscovery");
        }
        if (!input) {
            return t.valueInfo(name);
        }
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (int k = 0; k < t.rank(); k++) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder()); // free dim: other sizes are accepted
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(t.elementType().onnx()).setShape(shape))).build();
    }

    /** A declared type for {@code name}: graph input or output, value_info, or an initializer's type and dims. */
    private static ValueInfoProto declared(GraphProto g, String name) {
        for (List<ValueInfoProto> l : List.of(g.getInputList(), g.getOutputList(), g.getValueInfoList())) {
            for (ValueInfoProto v : l) {
                if (v.getName().equals(name) && v.getType().hasTensorType() && v.getType().getTensorType().getElemType() != 0) {
                    return v;
                }
            }
        }
        for (TensorProto t : g.getInitializerList()) {
            if (t.getName().equals(name)) {
                return new TensorType(Tensors.elementType(t), t.getDimsList().stream().mapToLong(Long::longValue).toArray())
                        .valueInfo(name);
            }
        }
        return null;
    }
}

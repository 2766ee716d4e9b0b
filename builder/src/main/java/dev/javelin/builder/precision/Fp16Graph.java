package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.ModelWalk;
import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the FP16 passes know about a model's main graph: nodes in topological order, element types, producers
 * and consumers, which values are graph inputs/outputs, weights (initializers and float Constant nodes, with
 * their ranges) and which values subgraphs capture. Also hands out tensor and node names not used anywhere in
 * the model.
 */
final class Fp16Graph {
    final OnnxModel model;
    final GraphProto graph;
    final List<NodeProto> nodes;
    /** Node indices in topological order. */
    final List<Integer> order;
    /** Version of the default ONNX operator set. */
    final long opset;
    final Map<String, ElementType> types;
    final Map<String, Integer> producers;
    final Map<String, List<Integer>> consumers;
    final Set<String> inputs = new LinkedHashSet<>();
    final Set<String> outputs = new LinkedHashSet<>();
    /** Initializers that are not also graph inputs (those are defaults a caller may override). */
    final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    /** Float weights: such initializers, and outputs of Constant nodes whose float value this pass can rewrite. */
    final Set<String> weights = new HashSet<>();
    /** Values that subgraphs (If/Loop/Scan bodies) read from the main graph. */
    final Set<String> implicitReads = new HashSet<>();

    private final Set<String> usedNames = new HashSet<>();
    private final Map<String, WeightRange> weightRanges = new HashMap<>();

    /**
     * Largest magnitude of a float weight, and whether all its nonzero values are below half the smallest
     * float16 subnormal (2^-25) and so round to 0 (an epsilon like 1e-12).
     */
    record WeightRange(double maxAbs, boolean vanishes) {
        boolean beyondFloat16() {
            return !(maxAbs <= Fp16AutoPolicy.FLOAT16_MAX); // NaN too
        }
    }

    Fp16Graph(OnnxModel model) {
        this.model = model;
        this.graph = model.proto().getGraph();
        this.nodes = graph.getNodeList();
        OnnxGraph og = model.graph();
        this.order = og.topologicalOrder();
        this.opset = model.defaultOpset();
        this.producers = og.producers();
        this.consumers = og.consumers();
        this.types = Fp16TypeInference.infer(graph, order.stream().map(nodes::get).toList(), Map.of());
        graph.getInputList().forEach(v -> inputs.add(v.getName()));
        graph.getOutputList().forEach(v -> outputs.add(v.getName()));
        for (TensorProto t : graph.getInitializerList()) {
            if (!inputs.contains(t.getName())) {
                initializers.put(t.getName(), t);
                if (isFloat(t.getName())) {
                    weights.add(t.getName());
                }
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (isConstantNode(n) && convertibleConstant(n) && isFloat(n.getOutput(0))) {
                weights.add(n.getOutput(0));
            }
            implicitReads.addAll(og.implicitInputs(i));
        }
        ModelWalk.forEachGraph(graph, 0, (sub, depth) -> {
            sub.getInputList().forEach(v -> usedNames.add(v.getName()));
            sub.getOutputList().forEach(v -> usedNames.add(v.getName()));
            sub.getValueInfoList().forEach(v -> usedNames.add(v.getName()));
            sub.getInitializerList().forEach(t -> usedNames.add(t.getName()));
            for (NodeProto n : sub.getNodeList()) {
                usedNames.addAll(n.getInputList());
                usedNames.addAll(n.getOutputList());
                usedNames.add(n.getName());
            }
        });
    }

    boolean isFloat(String name) {
        return !name.isEmpty() && types.get(name) == ElementType.FLOAT;
    }

    /** Positions of float inputs whose type follows the node (any-type positions such as Cast's input excluded). */
    List<Integer> floatDataInputs(NodeProto n) {
        List<Integer> ks = new ArrayList<>();
        for (int k = 0; k < n.getInputCount(); k++) {
            if (isFloat(n.getInput(k)) && !(isDefault(n) && Fp16OpRules.anyTypeInput(n.getOpType(), k))) {
                ks.add(k);
            }
        }
        return ks;
    }

    /** Positions of float outputs. */
    List<Integer> floatOutputs(NodeProto n) {
        List<Integer> ks = new ArrayList<>();
        for (int k = 0; k < n.getOutputCount(); k++) {
            if (isFloat(n.getOutput(k))) {
                ks.add(k);
            }
        }
        return ks;
    }

    /** Whether {@code name} is a constant value: an initializer or any Constant node's output. */
    boolean isConstantValue(String name) {
        if (initializers.containsKey(name)) {
            return true;
        }
        Integer p = producers.get(name);
        return p != null && isConstantNode(nodes.get(p));
    }

    /** Range of a float weight ({@link #weights}), computed once. */
    WeightRange weightRange(String name) {
        return weightRanges.computeIfAbsent(name, k -> {
            TensorProto t = initializers.get(k);
            float[] v = t != null ? Tensors.toFloats(model.tensorBytes(t)) : constantValues(nodes.get(producers.get(k)));
            double max = 0;
            boolean anyNonzero = false;
            for (float x : v) {
                double a = Math.abs(x);
                if (!(a <= max)) {
                    max = a; // NaN sticks: not representable either
                }
                anyNonzero |= x != 0;
            }
            return new WeightRange(max, anyNonzero && max < 0x1p-25);
        });
    }

    /** Number of elements of a float weight. */
    long weightElements(String name) {
        TensorProto t = initializers.get(name);
        if (t != null) {
            return Tensors.elementCount(t);
        }
        AttributeProto a = nodes.get(producers.get(name)).getAttribute(0);
        return switch (a.getName()) {
            case "value" -> Tensors.elementCount(a.getT());
            case "value_float" -> 1;
            default -> a.getFloatsCount();
        };
    }

    /** The float values of a Constant node accepted by {@link #convertibleConstant}. */
    float[] constantValues(NodeProto n) {
        AttributeProto a = n.getAttribute(0);
        return switch (a.getName()) {
            case "value" -> Tensors.toFloats(model.tensorBytes(a.getT()));
            case "value_float" -> new float[] {a.getF()};
            default -> {
                float[] v = new float[a.getFloatsCount()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = a.getFloats(k);
                }
                yield v;
            }
        };
    }

    /** A Constant whose value this pass can rewrite: a dense tensor, value_float or value_floats. */
    static boolean convertibleConstant(NodeProto n) {
        if (n.getAttributeCount() != 1) {
            return false;
        }
        String a = n.getAttribute(0).getName();
        return a.equals("value") || a.equals("value_float") || a.equals("value_floats");
    }

    /** A name used nowhere in the model yet: {@code base + suffix}, numbered if taken. */
    String fresh(String base, String suffix) {
        String candidate = base + suffix;
        for (int k = 2; usedNames.contains(candidate); k++) {
            candidate = base + suffix + "_" + k;
        }
        usedNames.add(candidate);
        return candidate;
    }

    /** {@code 'name'} or {@code #index}, for reasons. */
    String label(int i) {
        NodeProto n = nodes.get(i);
        return n.getName().isEmpty() ? "#" + i : "'" + n.getName() + "'";
    }

    /** Names of the node-level report: the node name or {@code #index}. */
    String reportName(int i) {
        NodeProto n = nodes.get(i);
        return n.getName().isEmpty() ? "#" + i : n.getName();
    }

    static boolean isDefault(NodeProto n) {
        return OpKey.isDefaultDomain(n.getDomain());
    }

    static boolean isConstantNode(NodeProto n) {
        return isDefault(n) && n.getOpType().equals("Constant");
    }

    static boolean hasSubgraph(NodeProto n) {
        return n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    }
}

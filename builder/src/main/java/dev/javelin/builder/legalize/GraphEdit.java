package dev.javelin.builder.legalize;

import com.google.protobuf.ByteString;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One graph being legalized: its nodes by original index (a rewritten node is replaced in place by the nodes
 * that compute the same values, so the order stays topological), new initializers, the names in use, element
 * types and ranks as far as they are known, and the values of constant tensors. Rewrites read the original
 * graph through this and leave their changes here; {@link #build()} produces the new graph.
 */
final class GraphEdit {
    final OnnxModel model;
    final String path;
    final boolean topLevel;
    final long opset;
    private final GraphProto original;
    private final List<NodeProto> nodes;
    private final Map<Integer, List<NodeProto>> replacements = new HashMap<>();
    private final List<TensorProto> added = new ArrayList<>();
    private final Set<String> names;
    private final Map<String, ElementType> types;
    private final Map<String, Integer> ranks;
    private final Map<String, TensorProto> constants = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();

    GraphEdit(OnnxModel model, GraphProto graph, String path, boolean topLevel, long opset, Set<String> names,
              Map<String, ElementType> outerTypes, Map<String, Integer> outerRanks) {
        this.model = model;
        this.original = graph;
        this.path = path;
        this.topLevel = topLevel;
        this.opset = opset;
        this.nodes = new ArrayList<>(graph.getNodeList());
        this.names = names;
        this.types = new HashMap<>(ElementTypes.infer(graph, outerTypes));
        this.ranks = new HashMap<>(ElementTypes.declaredRanks(graph, outerRanks));
        Set<String> inputs = new HashSet<>();
        graph.getInputList().forEach(v -> inputs.add(v.getName()));
        for (TensorProto t : graph.getInitializerList()) {
            if (!inputs.contains(t.getName())) {
                constants.put(t.getName(), t); // an input's initializer is a default a caller may override
            }
        }
        for (NodeProto n : graph.getNodeList()) {
            if (n.getOpType().equals("Constant") && OpKey.isDefaultDomain(n.getDomain())) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        constants.put(n.getOutput(0), a.getT());
                    }
                }
            }
        }
        graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
    }

    /** Every name used anywhere in {@code g} (and its subgraphs), so new names cannot collide. */
    static Set<String> allNames(GraphProto g) {
        Set<String> s = new HashSet<>();
        collect(g, s);
        return s;
    }

    private static void collect(GraphProto g, Set<String> s) {
        g.getInputList().forEach(v -> s.add(v.getName()));
        g.getOutputList().forEach(v -> s.add(v.getName()));
        g.getInitializerList().forEach(t -> s.add(t.getName()));
        for (NodeProto n : g.getNodeList()) {
            s.add(n.getName());
            s.addAll(n.getInputList());
            s.addAll(n.getOutputList());
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collect(a.getG(), s);
                }
                a.getGraphsList().forEach(sub -> collect(sub, s));
            }
        }
    }

    int size() {
        return nodes.size();
    }

    /** Node {@code i} as it is now, or {@code null} once removed or replaced. */
    NodeProto node(int i) {
        return nodes.get(i);
    }

    /** {@code 'name' (Op)} of node {@code i} of the original graph. */
    String describe(int i) {
        return OnnxGraph.describe(original.getNode(i), i);
    }

    /** The node's name, or {@code #index} if it has none. */
    String label(int i) {
        String n = original.getNode(i).getName();
        return n.isEmpty() ? "#" + i : n;
    }

    void replace(int i, List<NodeProto> with) {
        nodes.set(i, null);
        replacements.put(i, List.copyOf(with));
    }

    void remove(int i) {
        nodes.set(i, null);
        replacements.remove(i);
    }

    /** Replaces an attribute-carrying node (subgraphs legalized) without changing what it computes. */
    void update(int i, NodeProto n) {
        nodes.set(i, n);
    }

    boolean isGraphOutput(String name) {
        return graphOutputs.contains(name);
    }

    /** Indices of the original nodes, still present, that read {@code name} (directly or inside a subgraph). */
    List<Integer> readers(String name) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (n != null && reads(n, name)) {
                r.add(i);
            }
        }
        return r;
    }

    /** Whether anything reads {@code name}: a present node, a replacement node, or the graph's outputs. */
    boolean isRead(String name) {
        if (graphOutputs.contains(name) || !readers(name).isEmpty()) {
            return true;
        }
        for (List<NodeProto> l : replacements.values()) {
            for (NodeProto n : l) {
                if (reads(n, name)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean reads(NodeProto n, String name) {
        if (n.getInputList().contains(name)) {
            return true;
        }
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG() && allNames(a.getG()).contains(name)) {
                return true;
            }
            for (GraphProto g : a.getGraphsList()) {
                if (allNames(g).contains(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Index of the present original node producing {@code name}, or -1. */
    int producer(String name) {
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (n != null && n.getOutputList().contains(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Removes present nodes none of whose outputs is read, repeatedly (what a rewrite left dead).
     *
     * @return the indices removed
     */
    List<Integer> sweepDead() {
        List<Integer> removed = new ArrayList<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = nodes.size() - 1; i >= 0; i--) {
                NodeProto n = nodes.get(i);
                if (n != null && n.getOutputList().stream().noneMatch(o -> !o.isEmpty() && isRead(o))) {
                    nodes.set(i, null);
                    removed.add(i);
                    changed = true;
                }
            }
        }
        return removed;
    }

    ElementType type(String name) {
        return types.get(name);
    }

    Integer rank(String name) {
        return ranks.get(name);
    }

    /** Adds facts from a discovery run (types and ranks of the main graph). */
    void learn(Map<String, ElementType> t, Map<String, Integer> r) {
        t.forEach(types::putIfAbsent);
        r.forEach(ranks::putIfAbsent);
    }

    /** The set of names in use, shared by the model's graphs being edited. */
    Set<String> names() {
        return names;
    }

    Map<String, ElementType> types() {
        return types;
    }

    Map<String, Integer> ranks() {
        return ranks;
    }

    /** The value of a constant tensor (a non-input initializer or a Constant node's value), or {@code null}. */
    TensorProto constant(String name) {
        return name.isEmpty() ? null : constants.get(name);
    }

    /** A constant's values widened to double (any numeric type), or {@code null} if not constant. */
    double[] constantValues(String name) {
        TensorProto t = constant(name);
        if (t == null) {
            return null;
        }
        ElementType type = Tensors.elementType(t);
        ByteBuffer b = ByteBuffer.wrap(model.tensorBytes(t)).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) Tensors.elementCount(t);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (type) {
                case FLOAT -> b.getFloat();
                case DOUBLE -> b.getDouble();
                case FLOAT16 -> Float16.toFloat(b.getShort());
                case INT8 -> b.get();
                case UINT8 -> b.get() & 0xff;
                case INT16 -> b.getShort();
                case UINT16 -> b.getShort() & 0xffff;
                case INT32 -> b.getInt();
                case INT64 -> b.getLong();
                case BOOL -> b.get();
                default -> throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " is not numeric");
            };
        }
        return v;
    }

    /** Dims of a constant, or {@code null}. */
    long[] constantDims(String name) {
        TensorProto t = constant(name);
        return t == null ? null : t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** A name not used anywhere in the model, starting with {@code base}. */
    String fresh(String base) {
        String name = base;
        for (int k = 1; !names.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    /** Adds an initializer (its name must come from {@link #fresh}). */
    void addInitializer(TensorProto t) {
        added.add(t);
        constants.put(t.getName(), t);
        types.put(t.getName(), Tensors.elementType(t));
        ranks.put(t.getName(), t.getDimsCount());
    }

    /** A builder of replacement nodes named after node {@code i}. */
    Emitter emitter(int i) {
        return new Emitter(this, label(i));
    }

    /** The new graph: replacements in place of their nodes, new initializers after the old ones. */
    GraphProto build() {
        GraphProto.Builder gb = original.toBuilder().clearNode();
        for (int i = 0; i < nodes.size(); i++) {
            List<NodeProto> r = replacements.get(i);
            if (r != null) {
                gb.addAllNode(r);
            } else if (nodes.get(i) != null) {
                gb.addNode(nodes.get(i));
            }
        }
        gb.addAllInitializer(added);
        return gb.build();
    }

    // ---- tensors and attributes -----------------------------------------------------------------------

    /** A dense tensor of {@code type} holding {@code values} (float types and integers). */
    static TensorProto tensor(String name, ElementType type, long[] dims, double... values) {
        ByteBuffer b = ByteBuffer.allocate((int) type.byteSize(values.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (type) {
                case FLOAT -> b.putFloat((float) v);
                case DOUBLE -> b.putDouble(v);
                case FLOAT16 -> b.putShort(Float16.fromFloat((float) v));
                case INT64 -> b.putLong((long) v);
                case INT32 -> b.putInt((int) v);
                case INT8, UINT8 -> b.put((byte) (long) v);
                default -> throw new IllegalArgumentException("no constants of type " + type);
            }
        }
        return Tensors.raw(name, type, dims, b.array());
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        Arrays.stream(v).forEach(a::addInts);
        return a.build();
    }

    static AttributeProto stringAttr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    /** The node's attribute of that name, or {@code null}. */
    static AttributeProto attr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    static long intOf(NodeProto n, String name, long dflt) {
        AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getI();
    }

    static float floatOf(NodeProto n, String name, float dflt) {
        AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getF();
    }

    /** Input {@code k} of {@code n}, or {@code ""} if absent. */
    static String input(NodeProto n, int k) {
        return n.getInputCount() > k ? n.getInput(k) : "";
    }

    /** Output {@code k} of {@code n}, or {@code ""} if absent. */
    static String output(NodeProto n, int k) {
        return n.getOutputCount() > k ? n.getOutput(k) : "";
    }

    /** Outputs as a map from index to name, for messages. */
    static Map<Integer, String> presentOutputs(NodeProto n) {
        Map<Integer, String> m = new LinkedHashMap<>();
        for (int k = 0; k < n.getOutputCount(); k++) {
            if (!n.getOutput(k).isEmpty()) {
                m.put(k, n.getOutput(k));
            }
        }
        return m;
    }

    /** The graph's value_info, for callers that rebuild subgraphs. */
    List<ValueInfoProto> valueInfo() {
        return original.getValueInfoList();
    }
}

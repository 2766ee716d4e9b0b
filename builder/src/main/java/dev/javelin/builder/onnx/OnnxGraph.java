package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.SparseTensorProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.ModelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Read-only view of one ONNX graph with the relations passes need: who produces and who consumes each
 * tensor, which outer-scope names a node's subgraphs use, and a topological order. A subgraph (an
 * {@code If} branch, a {@code Loop} or {@code Scan} body) is an {@code OnnxGraph} too, whose outer scope
 * is every name its enclosing graphs define.
 *
 * <p>Errors are {@link ModelException}s naming the graph, the node and the tensor concerned. Nodes are
 * named in messages as {@code 'name' (OpType)}, or {@code #index (OpType)} when the node has no name.
 */
public final class OnnxGraph {
    private final GraphProto graph;
    private final String path;
    private final Set<String> outerScope;
    private final Map<GraphProto, Set<String>> freeNamesCache;

    private Set<String> defined;
    private Map<String, Integer> producers;

    private OnnxGraph(GraphProto graph, String path, Set<String> outerScope, Map<GraphProto, Set<String>> cache) {
        this.graph = graph;
        this.path = path;
        this.outerScope = outerScope;
        this.freeNamesCache = cache;
    }

    /** A top-level graph (no outer scope). */
    public static OnnxGraph of(GraphProto graph) {
        String name = graph.getName().isEmpty() ? "main" : graph.getName();
        return new OnnxGraph(graph, name, Set.of(), new IdentityHashMap<>());
    }

    /**
     * The same place in the model (path and outer scope) holding another version of this graph, e.g. after a pass
     * changed its nodes.
     */
    public OnnxGraph withProto(GraphProto replacement) {
        return new OnnxGraph(replacement, path, outerScope, new IdentityHashMap<>());
    }

    /** The graph message. */
    public GraphProto proto() {
        return graph;
    }

    /** Where this graph sits, e.g. {@code main} or {@code main/If_3.then_branch}. */
    public String path() {
        return path;
    }

    /** Nodes in file order. */
    public List<NodeProto> nodes() {
        return graph.getNodeList();
    }

    /** Names visible from enclosing graphs (empty for a top-level graph). */
    public Set<String> outerScope() {
        return outerScope;
    }

    /** Names of graph inputs and initializers (dense and sparse): the values available before any node runs. */
    public Set<String> sourceNames() {
        Set<String> s = new LinkedHashSet<>();
        for (ValueInfoProto v : graph.getInputList()) {
            s.add(v.getName());
        }
        for (TensorProto t : graph.getInitializerList()) {
            s.add(t.getName());
        }
        for (SparseTensorProto t : graph.getSparseInitializerList()) {
            s.add(t.getValues().getName());
        }
        return s;
    }

    /** Every name this graph defines: inputs, initializers and node outputs. */
    public Set<String> definedNames() {
        if (defined == null) {
            defined = definedNames(graph);
        }
        return defined;
    }

    private static Set<String> definedNames(GraphProto g) {
        Set<String> s = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) {
            s.add(v.getName());
        }
        for (TensorProto t : g.getInitializerList()) {
            s.add(t.getName());
        }
        for (SparseTensorProto t : g.getSparseInitializerList()) {
            s.add(t.getValues().getName());
        }
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    s.add(o);
                }
            }
        }
        return s;
    }

    /**
     * Tensor name to the index of the node that produces it.
     *
     * @throws ModelException if two nodes produce the same name, or a node output reuses the name of a
     *                        graph input or initializer (ONNX values are assigned once)
     */
    public Map<String, Integer> producers() {
        if (producers == null) {
            Set<String> sources = sourceNames();
            Map<String, Integer> p = new HashMap<>();
            List<NodeProto> nodes = nodes();
            for (int i = 0; i < nodes.size(); i++) {
                for (String o : nodes.get(i).getOutputList()) {
                    if (o.isEmpty()) {
                        continue;
                    }
                    Integer prev = p.putIfAbsent(o, i);
                    if (prev != null) {
                        throw new ModelException("graph '" + path + "': tensor '" + o + "' is produced by both node "
                                + describe(prev) + " and node " + describe(i) + "; every value must have one producer");
                    }
                    if (sources.contains(o)) {
                        throw new ModelException("graph '" + path + "': node " + describe(i) + " writes tensor '" + o
                                + "', which is already a graph input or initializer");
                    }
                }
            }
            producers = Collections.unmodifiableMap(p);
        }
        return producers;
    }

    /**
     * Tensor name to the indices of the nodes that read it, directly or from inside their subgraphs, in
     * node order. A node that reads a tensor twice is listed once.
     */
    public Map<String, List<Integer>> consumers() {
        Map<String, List<Integer>> c = new LinkedHashMap<>();
        List<NodeProto> nodes = nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (String name : reads(i)) {
                c.computeIfAbsent(name, k -> new ArrayList<>()).add(i);
            }
        }
        return c;
    }

    /** Names node {@code i} reads: its non-empty inputs, then the outer-scope names its subgraphs use. */
    public Set<String> reads(int i) {
        NodeProto n = nodes().get(i);
        Set<String> r = new LinkedHashSet<>();
        for (String in : n.getInputList()) {
            if (!in.isEmpty()) {
                r.add(in);
            }
        }
        r.addAll(implicitInputs(i));
        return r;
    }

    /**
     * Names that node {@code i}'s subgraphs use but do not define themselves: values the node captures
     * from this graph or from further out. Empty for nodes without graph attributes.
     */
    public Set<String> implicitInputs(int i) {
        Set<String> free = new LinkedHashSet<>();
        for (AttributeProto a : nodes().get(i).getAttributeList()) {
            if (a.hasG()) {
                free.addAll(freeNames(a.getG()));
            }
            for (GraphProto g : a.getGraphsList()) {
                free.addAll(freeNames(g));
            }
        }
        return free;
    }

    /** Names a graph uses (node inputs, graph outputs, nested subgraphs) but does not define. */
    private Set<String> freeNames(GraphProto g) {
        Set<String> cached = freeNamesCache.get(g);
        if (cached != null) {
            return cached;
        }
        Set<String> def = definedNames(g);
        Set<String> free = new LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                if (!in.isEmpty() && !def.contains(in)) {
                    free.add(in);
                }
            }
            for (AttributeProto a : n.getAttributeList()) {
                List<GraphProto> subs = new ArrayList<>(a.getGraphsList());
                if (a.hasG()) {
                    subs.add(a.getG());
                }
                for (GraphProto sub : subs) {
                    for (String name : freeNames(sub)) {
                        if (!def.contains(name)) {
                            free.add(name);
                        }
                    }
                }
            }
        }
        for (ValueInfoProto out : g.getOutputList()) {
            if (!def.contains(out.getName())) {
                free.add(out.getName());
            }
        }
        Set<String> result = Collections.unmodifiableSet(free);
        freeNamesCache.put(g, result);
        return result;
    }

    /** The subgraphs held by node {@code i}'s attributes, each with this graph's names as its outer scope. */
    public List<OnnxGraph> subgraphs(int i) {
        NodeProto n = nodes().get(i);
        List<OnnxGraph> out = new ArrayList<>();
        Set<String> scope = null;
        for (AttributeProto a : n.getAttributeList()) {
            List<GraphProto> subs = new ArrayList<>();
            if (a.hasG()) {
                subs.add(a.getG());
            }
            subs.addAll(a.getGraphsList());
            for (int k = 0; k < subs.size(); k++) {
                if (scope == null) {
                    scope = new HashSet<>(outerScope);
                    scope.addAll(definedNames());
                    scope = Collections.unmodifiableSet(scope);
                }
                String label = a.getName() + (a.getGraphsCount() > 0 ? "[" + k + "]" : "");
                String nodeName = n.getName().isEmpty() ? "#" + i : n.getName();
                out.add(new OnnxGraph(subs.get(k), path + "/" + nodeName + "." + label, scope, freeNamesCache));
            }
        }
        return out;
    }

    /**
     * Node indices in an order where every node comes after the producers of everything it reads
     * (including what its subgraphs capture). Nodes already in order keep their file order.
     *
     * @throws ModelException if a node reads a name nothing defines (naming node and tensor), if two nodes
     *                        produce one name, or if the nodes form a cycle (naming the nodes on it)
     */
    public List<Integer> topologicalOrder() {
        Map<String, Integer> prod = producers();
        Set<String> available = new HashSet<>(sourceNames());
        available.addAll(outerScope);
        List<NodeProto> nodes = nodes();
        int n = nodes.size();
        List<List<Integer>> successors = new ArrayList<>(n);
        int[] indegree = new int[n];
        List<Set<Integer>> preds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            successors.add(new ArrayList<>());
            preds.add(new LinkedHashSet<>());
        }
        for (int i = 0; i < n; i++) {
            NodeProto node = nodes.get(i);
            Set<String> direct = new HashSet<>(node.getInputList());
            for (String name : reads(i)) {
                Integer p = prod.get(name);
                if (p != null) {
                    preds.get(i).add(p);
                } else if (!available.contains(name)) {
                    String how = direct.contains(name) ? "reads tensor '" + name + "'"
                            : "uses tensor '" + name + "' inside its subgraph";
                    throw new ModelException("graph '" + path + "': node " + describe(i) + " " + how
                            + ", but no node, graph input or initializer produces it (dangling name)");
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int p : preds.get(i)) {
                successors.get(p).add(i);
                indegree[i]++;
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < n; i++) {
            if (indegree[i] == 0) {
                ready.add(i);
            }
        }
        List<Integer> order = new ArrayList<>(n);
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(i);
            for (int s : successors.get(i)) {
                if (--indegree[s] == 0) {
                    ready.add(s);
                }
            }
        }
        if (order.size() < n) {
            List<Integer> cycle = findCycle(indegree, preds);
            String names = cycle.stream().map(this::describe).collect(Collectors.joining(" -> "));
            throw new ModelException("graph '" + path + "' has a cycle, so it has no topological order: " + names
                    + " -> " + describe(cycle.get(0)) + " (" + (n - order.size()) + " node(s) cannot be scheduled)");
        }
        return order;
    }

    /**
     * Every unscheduled node has an unscheduled predecessor, so walking predecessors from any of them
     * must revisit a node; the part of the walk from that node on is a cycle.
     */
    private static List<Integer> findCycle(int[] indegree, List<Set<Integer>> preds) {
        int start = -1;
        for (int i = 0; i < indegree.length; i++) {
            if (indegree[i] > 0) {
                start = i;
                break;
            }
        }
        Map<Integer, Integer> position = new HashMap<>();
        List<Integer> walk = new ArrayList<>();
        int v = start;
        while (!position.containsKey(v)) {
            position.put(v, walk.size());
            walk.add(v);
            int next = -1;
            for (int p : preds.get(v)) {
                if (indegree[p] > 0) {
                    next = p;
                    break;
                }
            }
            v = next;
        }
        List<Integer> cycle = new ArrayList<>(walk.subList(position.get(v), walk.size()));
        Collections.reverse(cycle); // walked against the edges; report in data-flow order
        int first = cycle.indexOf(Collections.min(cycle));
        Collections.rotate(cycle, -first); // start at the node written first, for stable messages
        return cycle;
    }

    /** The nodes in topological order. */
    public List<NodeProto> sortedNodes() {
        List<NodeProto> nodes = nodes();
        return topologicalOrder().stream().map(nodes::get).toList();
    }

    /**
     * Checks this graph and, recursively, every subgraph: single producers, no dangling names, no
     * cycles, every graph output defined.
     *
     * @throws ModelException describing the first problem found
     */
    public void validate() {
        Deque<OnnxGraph> todo = new ArrayDeque<>();
        todo.add(this);
        while (!todo.isEmpty()) {
            OnnxGraph g = todo.poll();
            g.validateOwnNodes();
            for (int i = 0; i < g.nodes().size(); i++) {
                todo.addAll(g.subgraphs(i));
            }
        }
    }

    private void validateOwnNodes() {
        topologicalOrder();
        Set<String> visible = new HashSet<>(definedNames());
        visible.addAll(outerScope);
        for (ValueInfoProto out : graph.getOutputList()) {
            if (!visible.contains(out.getName())) {
                throw new ModelException("graph '" + path + "': output '" + out.getName()
                        + "' is not produced by any node, graph input or initializer (dangling name)");
            }
        }
    }

    /** {@code 'name' (OpType)} or {@code #index (OpType)} for node {@code i}. */
    public String describe(int i) {
        return describe(nodes().get(i), i);
    }

    /** {@code 'name' (OpType)} or {@code #index (OpType)}; a non-default domain is shown before the op. */
    public static String describe(NodeProto n, int index) {
        String op = OpKey.of(n);
        return (n.getName().isEmpty() ? "#" + index : "'" + n.getName() + "'") + " (" + op + ")";
    }
}

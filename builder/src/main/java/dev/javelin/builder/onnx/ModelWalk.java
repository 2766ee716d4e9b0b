package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.FunctionProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.SparseTensorProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TrainingInfoProto;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Walks every graph and every tensor of a model, including subgraphs (If/Loop/Scan bodies at any
 * depth), model-local function bodies and training graphs, and rebuilds a model with tensors
 * replaced. The places a tensor can sit are many; passes use this one walker so none is forgotten.
 */
public final class ModelWalk {
    private ModelWalk() {
    }

    /** Where a tensor was found. */
    public enum TensorSite {
        /** {@code GraphProto.initializer} of the main graph or a subgraph. */
        INITIALIZER,
        /** Values or indices of a {@code GraphProto.sparse_initializer}. */
        SPARSE_INITIALIZER,
        /** A tensor-valued node attribute ({@code Constant.value} and the like). */
        ATTRIBUTE
    }

    /** Calls {@code visit} for every graph reachable from {@code root}, {@code root} first, with its nesting depth. */
    public static void forEachGraph(GraphProto root, int depth, GraphVisitor visit) {
        visit.visit(root, depth);
        for (NodeProto n : root.getNodeList()) {
            forEachSubgraph(n, depth + 1, visit);
        }
    }

    private static void forEachSubgraph(NodeProto n, int depth, GraphVisitor visit) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                forEachGraph(a.getG(), depth, visit);
            }
            for (GraphProto g : a.getGraphsList()) {
                forEachGraph(g, depth, visit);
            }
        }
    }

    /** A graph and how deeply it is nested (0 for the main graph). */
    @FunctionalInterface
    public interface GraphVisitor {
        void visit(GraphProto graph, int depth);
    }

    /**
     * Calls {@code visit} for every node of the main graph, of every subgraph at any depth, and of every
     * model-local function body (and the subgraphs inside those).
     */
    public static void forEachNode(ModelProto m, Consumer<NodeProto> visit) {
        forEachGraph(m.getGraph(), 0, (g, d) -> g.getNodeList().forEach(visit));
        for (FunctionProto f : m.getFunctionsList()) {
            for (NodeProto n : f.getNodeList()) {
                visit.accept(n);
                forEachSubgraph(n, 1, (g, d) -> g.getNodeList().forEach(visit));
            }
        }
    }

    /** Calls {@code visit} for every tensor of the model, with where it sits. */
    public static void forEachTensor(ModelProto m, BiConsumer<TensorProto, TensorSite> visit) {
        GraphVisitor perGraph = (g, d) -> {
            g.getInitializerList().forEach(t -> visit.accept(t, TensorSite.INITIALIZER));
            for (SparseTensorProto s : g.getSparseInitializerList()) {
                sparse(s, TensorSite.SPARSE_INITIALIZER, visit);
            }
            for (NodeProto n : g.getNodeList()) {
                attributeTensors(n, visit);
            }
        };
        forEachGraph(m.getGraph(), 0, perGraph);
        for (TrainingInfoProto ti : m.getTrainingInfoList()) {
            forEachGraph(ti.getInitialization(), 1, perGraph);
            forEachGraph(ti.getAlgorithm(), 1, perGraph);
        }
        for (FunctionProto f : m.getFunctionsList()) {
            for (NodeProto n : f.getNodeList()) {
                attributeTensors(n, visit);
                forEachSubgraph(n, 1, perGraph);
            }
        }
    }

    private static void attributeTensors(NodeProto n, BiConsumer<TensorProto, TensorSite> visit) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasT()) {
                visit.accept(a.getT(), TensorSite.ATTRIBUTE);
            }
            a.getTensorsList().forEach(t -> visit.accept(t, TensorSite.ATTRIBUTE));
            if (a.hasSparseTensor()) {
                sparse(a.getSparseTensor(), TensorSite.ATTRIBUTE, visit);
            }
            for (SparseTensorProto s : a.getSparseTensorsList()) {
                sparse(s, TensorSite.ATTRIBUTE, visit);
            }
        }
    }

    private static void sparse(SparseTensorProto s, TensorSite site, BiConsumer<TensorProto, TensorSite> visit) {
        if (s.hasValues()) {
            visit.accept(s.getValues(), site);
        }
        if (s.hasIndices()) {
            visit.accept(s.getIndices(), site);
        }
    }

    /** Replaces tensors; returns the same object for a tensor that should stay. */
    @FunctionalInterface
    public interface TensorMapper {
        TensorProto map(TensorProto tensor, TensorSite site);
    }

    /** A copy of {@code m} with every tensor passed through {@code f}; unchanged parts are shared. */
    public static ModelProto mapTensors(ModelProto m, TensorMapper f) {
        ModelProto.Builder b = m.toBuilder();
        if (m.hasGraph()) {
            b.setGraph(mapGraph(m.getGraph(), f));
        }
        for (int i = 0; i < m.getTrainingInfoCount(); i++) {
            TrainingInfoProto ti = m.getTrainingInfo(i);
            TrainingInfoProto.Builder tb = ti.toBuilder();
            if (ti.hasInitialization()) {
                tb.setInitialization(mapGraph(ti.getInitialization(), f));
            }
            if (ti.hasAlgorithm()) {
                tb.setAlgorithm(mapGraph(ti.getAlgorithm(), f));
            }
            b.setTrainingInfo(i, tb);
        }
        for (int i = 0; i < m.getFunctionsCount(); i++) {
            FunctionProto fn = m.getFunctions(i);
            FunctionProto.Builder fb = fn.toBuilder();
            for (int k = 0; k < fn.getNodeCount(); k++) {
                fb.setNode(k, mapNode(fn.getNode(k), f));
            }
            b.setFunctions(i, fb);
        }
        return b.build();
    }

    private static GraphProto mapGraph(GraphProto g, TensorMapper f) {
        GraphProto.Builder b = g.toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            b.setInitializer(i, f.map(g.getInitializer(i), TensorSite.INITIALIZER));
        }
        for (int i = 0; i < g.getSparseInitializerCount(); i++) {
            b.setSparseInitializer(i, mapSparse(g.getSparseInitializer(i), TensorSite.SPARSE_INITIALIZER, f));
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            b.setNode(i, mapNode(g.getNode(i), f));
        }
        return b.build();
    }

    private static NodeProto mapNode(NodeProto n, TensorMapper f) {
        NodeProto.Builder b = n.toBuilder();
        for (int i = 0; i < n.getAttributeCount(); i++) {
            AttributeProto a = n.getAttribute(i);
            AttributeProto.Builder ab = a.toBuilder();
            if (a.hasT()) {
                ab.setT(f.map(a.getT(), TensorSite.ATTRIBUTE));
            }
            for (int k = 0; k < a.getTensorsCount(); k++) {
                ab.setTensors(k, f.map(a.getTensors(k), TensorSite.ATTRIBUTE));
            }
            if (a.hasSparseTensor()) {
                ab.setSparseTensor(mapSparse(a.getSparseTensor(), TensorSite.ATTRIBUTE, f));
            }
            for (int k = 0; k < a.getSparseTensorsCount(); k++) {
                ab.setSparseTensors(k, mapSparse(a.getSparseTensors(k), TensorSite.ATTRIBUTE, f));
            }
            if (a.hasG()) {
                ab.setG(mapGraph(a.getG(), f));
            }
            List<GraphProto> graphs = a.getGraphsList();
            for (int k = 0; k < graphs.size(); k++) {
                ab.setGraphs(k, mapGraph(graphs.get(k), f));
            }
            b.setAttribute(i, ab);
        }
        return b.build();
    }

    private static SparseTensorProto mapSparse(SparseTensorProto s, TensorSite site, TensorMapper f) {
        SparseTensorProto.Builder b = s.toBuilder();
        if (s.hasValues()) {
            b.setValues(f.map(s.getValues(), site));
        }
        if (s.hasIndices()) {
            b.setIndices(f.map(s.getIndices(), site));
        }
        return b.build();
    }
}

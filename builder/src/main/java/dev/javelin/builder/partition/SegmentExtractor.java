package dev.javelin.builder.partition;

import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.SparseTensorProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.TensorInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An engine segment as an ONNX model of its own: the segment's nodes (in topological order, subgraphs untouched), its
 * inputs — tensors produced outside it — and outputs — tensors read outside it or model outputs — typed from the plan,
 * the initializers its nodes read (also from inside their subgraphs), the source's value infos for its inner tensors,
 * and the source's opset imports, IR version and functions. Initializers keep their storage (external data is resolved
 * when the segment is written).
 */
final class SegmentExtractor {
    private SegmentExtractor() {
    }

    /**
     * @param shapes concrete dims per input to use instead of the declared ones (bounds), or null
     */
    static ModelProto extract(ModelProto source, OnnxGraph graph, String name, List<Integer> nodes, List<String> inputs,
                              List<String> outputs, Map<String, TensorInfo> types, Map<String, long[]> shapes) {
        GraphProto g = source.getGraph();
        GraphProto.Builder b = GraphProto.newBuilder().setName(name);
        Set<String> reads = new HashSet<>();
        Set<String> produced = new HashSet<>();
        for (int i : nodes) {
            NodeProto n = graph.nodes().get(i);
            b.addNode(n);
            reads.addAll(graph.reads(i));
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    produced.add(o);
                }
            }
        }
        for (String in : inputs) {
            b.addInput(TensorTypes.valueInfo(types.get(in), shapes == null ? null : shapes.get(in)));
        }
        for (String out : outputs) {
            b.addOutput(TensorTypes.valueInfo(types.get(out), null));
        }
        Set<String> inputSet = new HashSet<>(inputs);
        for (TensorProto t : g.getInitializerList()) {
            if (reads.contains(t.getName()) && !inputSet.contains(t.getName())) {
                b.addInitializer(t);
            }
        }
        for (SparseTensorProto t : g.getSparseInitializerList()) {
            if (reads.contains(t.getValues().getName()) && !inputSet.contains(t.getValues().getName())) {
                b.addSparseInitializer(t);
            }
        }
        Set<String> outputSet = new HashSet<>(outputs);
        for (ValueInfoProto v : g.getValueInfoList()) {
            if (produced.contains(v.getName()) && !outputSet.contains(v.getName())) {
                b.addValueInfo(v);
            }
        }
        return source.toBuilder().setGraph(b).setProducerName("javelin-partition").clearMetadataProps().build();
    }
}

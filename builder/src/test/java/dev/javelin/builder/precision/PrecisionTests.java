package dev.javelin.builder.precision;


import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Tensor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared test code: real models, running a model on ONNX Runtime CPU, exposing intermediates for ranges. */
final class PrecisionTests {
    /**
     * ONNX Runtime CPU executing the graph as written (no fusions). float16 nodes without a float16 CPU kernel
     * then run in float32 between Casts ONNX Runtime inserts, so every intermediate tensor is rounded to
     * float16 as a GPU stores it; with graph optimizations on, ONNX Runtime would fuse across and drop some of
     * those roundings and the float16 model would look better than it is.
     */
    static final SessionOptions CPU_AS_WRITTEN = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(2)
            .optimization(SessionOptions.Optimization.NONE).build();
    static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(2).build();

    private PrecisionTests() {
    }

    /** Writes {@code model} to {@code file} and runs it once; every output copied out as floats. */
    static Map<String, float[]> run(OnnxModel model, Path file, Map<String, Tensor> inputs, SessionOptions options) {
        model.write(file);
        try (Session s = Session.open(file, options); Result r = AccuracyReport.runAdapted(s, inputs)) {
            Map<String, float[]> out = new LinkedHashMap<>();
            r.asMap().forEach((k, t) -> out.put(k, toFloats(t)));
            return out;
        }
    }

    private static float[] toFloats(Tensor t) {
        double[] d = AccuracyStats.values(t);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError(a.length + " vs " + b.length + " values");
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (!(d <= m)) {
                m = d;
            }
        }
        return m;
    }

    /**
     * {@code model} with every float16 node output passed through two Identity nodes, so that ONNX Runtime CPU
     * keeps it rounded to float16. ONNX Runtime runs float16 nodes that have no float16 CPU kernel in float32
     * between Casts it inserts, then deletes each Cast-to-float16 / Cast-to-float32 pair between two such nodes
     * (it counts both types as one "float" group), and runs an isolated float16 node (one Identity) in float32
     * too. Two Identities in a row have float16 kernels and neighbours that do not need Casts, so they stay float16
     * and the rounding stays: the model then behaves like a GPU that stores every activation in float16 (while
     * computing each operator in float32, as TensorRT's float16 kernels accumulate).
     */
    static OnnxModel withFloat16Barriers(OnnxModel model) {
        GraphProto g = model.proto().getGraph();
        Map<String, ElementType> types = Fp16TypeInference.infer(g, model.graph().sortedNodes(), Map.of());
        GraphProto.Builder b = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            NodeProto.Builder nb = n.toBuilder();
            List<NodeProto> after = new java.util.ArrayList<>();
            for (int k = 0; k < n.getOutputCount(); k++) {
                String o = n.getOutput(k);
                if (o.isEmpty() || types.get(o) != ElementType.FLOAT16 || n.getOpType().equals("Constant")) {
                    continue;
                }
                nb.setOutput(k, o + "__barrier0");
                after.add(NodeProto.newBuilder().setOpType("Identity").setName(o + "__barrier1")
                        .addInput(o + "__barrier0").addOutput(o + "__barrier1").build());
                after.add(NodeProto.newBuilder().setOpType("Identity").setName(o + "__barrier2")
                        .addInput(o + "__barrier1").addOutput(o).build());
            }
            b.addNode(nb);
            after.forEach(b::addNode);
        }
        return model.withProto(model.proto().toBuilder().setGraph(b).build());
    }

    /**
     * The largest |x| of every float tensor of the main graph (inputs and node outputs) on {@code sample}: the
     * model is rewritten with every float node output as a graph output and run once on ONNX Runtime CPU, as
     * the activation probe of a calibration run does.
     */
    static Map<String, Double> observeRanges(OnnxModel model, Path file, Map<String, Tensor> sample) {
        GraphProto g = model.proto().getGraph();
        List<NodeProto> sorted = model.graph().sortedNodes();
        Map<String, ElementType> types = Fp16TypeInference.infer(g, sorted, Map.of());
        GraphProto.Builder probe = g.toBuilder();
        java.util.Set<String> outputs = new java.util.HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && types.get(o) == ElementType.FLOAT && outputs.add(o)) {
                    probe.addOutput(ValueInfoProto.newBuilder().setName(o).setType(dev.javelin.builder.onnx.proto.TypeProto
                            .newBuilder().setTensorType(dev.javelin.builder.onnx.proto.TypeProto.Tensor.newBuilder()
                                    .setElemType(ElementType.FLOAT.onnx()))));
                }
            }
        }
        Map<String, float[]> values = run(model.withProto(model.proto().toBuilder().setGraph(probe).build()), file,
                sample, CPU_AS_WRITTEN);
        Map<String, Double> ranges = new HashMap<>();
        sample.forEach((k, t) -> values.putIfAbsent(k, toFloats(t)));
        values.forEach((k, v) -> {
            double m = 0;
            for (float x : v) {
                double a = Math.abs(x);
                if (!(a <= m)) {
                    m = a;
                }
            }
            ranges.put(k, m);
        });
        return ranges;
    }
}

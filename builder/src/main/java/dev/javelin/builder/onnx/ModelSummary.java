package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.TypeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What {@code javelin inspect} reports about a model: signature with symbolic dims, IR version, opsets,
 * op histogram (nodes inside If/Loop/Scan subgraphs at any depth included), weight bytes, and the op
 * types TensorRT cannot build.
 *
 * @param irVersion          {@code ModelProto.ir_version}
 * @param producer           producer name and version, or empty
 * @param opsets             domain ({@code ai.onnx} for the default) to version
 * @param inputs             graph inputs that are not initializers, in model order
 * @param outputs            graph outputs, in model order
 * @param ops                op key (see {@link OpKey}) to node count, most frequent first
 * @param nodeCount          nodes in all graphs
 * @param subgraphCount      graphs nested in node attributes, at any depth
 * @param functionCount      model-local functions (their calls are counted in {@code ops}, their bodies are not)
 * @param initializerCount   initializers in all graphs
 * @param initializerBytes   dense size of all initializers, wherever stored
 * @param externalBytes      the part of {@code initializerBytes} kept in external data files
 * @param constantBytes      dense size of tensors held in node attributes (Constant, ConstantOfShape, ...;
 *                           some exporters keep all weights in Constant nodes)
 * @param tensorRtVersion    the TensorRT version the op check is for
 * @param tensorRtUnsupported op types TensorRT cannot build, most frequent first
 */
public record ModelSummary(
        long irVersion,
        String producer,
        Map<String, Long> opsets,
        List<ValueSummary> inputs,
        List<ValueSummary> outputs,
        Map<String, Integer> ops,
        int nodeCount,
        int subgraphCount,
        int functionCount,
        int initializerCount,
        long initializerBytes,
        long externalBytes,
        long constantBytes,
        String tensorRtVersion,
        List<TensorRtOpSupport.Finding> tensorRtUnsupported) {

    public ModelSummary {
        opsets = Collections.unmodifiableMap(new LinkedHashMap<>(opsets));
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        ops = Collections.unmodifiableMap(new LinkedHashMap<>(ops));
        tensorRtUnsupported = List.copyOf(tensorRtUnsupported);
    }

    /**
     * A graph input or output.
     *
     * @param name  value name
     * @param dtype element type label ({@code float32}), or a composite such as {@code sequence(float32)}
     * @param shape one entry per dim: a {@code Long} size, a {@code String} symbol, or {@code null} when the
     *              dim is unknown; {@code null} when the rank is unknown or the value is not a tensor
     */
    public record ValueSummary(String name, String dtype, List<Object> shape) {
        public ValueSummary {
            shape = shape == null ? null : Collections.unmodifiableList(new ArrayList<>(shape));
        }

        /** {@code [batch, 3, 224, 224]}, {@code ?} for unknown dims, {@code [?...]} for unknown rank. */
        public String shapeText() {
            if (shape == null) {
                return "[?...]";
            }
            return shape.stream().map(d -> d == null ? "?" : d.toString()).collect(Collectors.joining(", ", "[", "]"));
        }
    }

    /** Summarizes a model against the pinned TensorRT version. */
    public static ModelSummary of(OnnxModel model) {
        return of(model, TensorRtOpSupport.pinned());
    }

    /** Summarizes a model against the given TensorRT op table. */
    public static ModelSummary of(OnnxModel model, TensorRtOpSupport trt) {
        ModelProto m = model.proto();
        GraphProto g = m.getGraph();
        Set<String> initNames = new HashSet<>();
        g.getInitializerList().forEach(t -> initNames.add(t.getName()));
        List<ValueSummary> inputs = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) {
            if (!initNames.contains(v.getName())) {
                inputs.add(describe(v));
            }
        }
        List<ValueSummary> outputs = g.getOutputList().stream().map(ModelSummary::describe).toList();

        Map<String, Integer> counts = opHistogram(m);
        int[] graphs = {0};
        int[] initCount = {0};
        ModelWalk.forEachGraph(g, 0, (sub, depth) -> {
            graphs[0]++;
            initCount[0] += sub.getInitializerCount();
        });
        long[] bytes = new long[3]; // initializer, external, constant
        ModelWalk.forEachTensor(m, (t, site) -> {
            long n = Tensors.dataBytes(t);
            switch (site) {
                case INITIALIZER, SPARSE_INITIALIZER -> {
                    bytes[0] += n;
                    if (Tensors.isExternal(t)) {
                        bytes[1] += n;
                    }
                }
                case ATTRIBUTE -> bytes[2] += n;
            }
        });
        int nodes = counts.values().stream().mapToInt(Integer::intValue).sum();
        String producer = (m.getProducerName() + " " + m.getProducerVersion()).trim();
        return new ModelSummary(m.getIrVersion(), producer, model.opsetImports(), inputs, outputs, counts, nodes,
                graphs[0] - 1, m.getFunctionsCount(), initCount[0], bytes[0], bytes[1], bytes[2],
                trt.tensorRtVersion(), trt.check(m));
    }

    /**
     * Op key to node count over the main graph and every subgraph at any depth, most frequent first, then
     * by name. Calls of model-local functions count under the function's key.
     */
    public static Map<String, Integer> opHistogram(ModelProto m) {
        Map<String, Integer> counts = new HashMap<>();
        ModelWalk.forEachGraph(m.getGraph(), 0, (sub, depth) -> {
            for (NodeProto n : sub.getNodeList()) {
                counts.merge(OpKey.of(n), 1, Integer::sum);
            }
        });
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** Name, dtype and shape of a value. */
    public static ValueSummary describe(ValueInfoProto v) {
        TypeProto t = v.getType();
        if (t.hasTensorType()) {
            return new ValueSummary(v.getName(), elementLabel(t.getTensorType().getElemType()),
                    t.getTensorType().hasShape() ? dims(t.getTensorType().getShape()) : null);
        }
        if (t.hasSparseTensorType()) {
            return new ValueSummary(v.getName(), "sparse(" + elementLabel(t.getSparseTensorType().getElemType()) + ")",
                    t.getSparseTensorType().hasShape() ? dims(t.getSparseTensorType().getShape()) : null);
        }
        return new ValueSummary(v.getName(), typeLabel(t), null);
    }

    private static List<Object> dims(TensorShapeProto shape) {
        List<Object> out = new ArrayList<>();
        for (TensorShapeProto.Dimension d : shape.getDimList()) {
            if (d.hasDimValue()) {
                out.add(d.getDimValue());
            } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                out.add(d.getDimParam());
            } else {
                out.add(null);
            }
        }
        return out;
    }

    /** A type as text: {@code float32}, {@code sequence(float32)}, {@code map(int64,float32)}, {@code optional(...)}. */
    public static String typeLabel(TypeProto t) {
        return switch (t.getValueCase()) {
            case TENSOR_TYPE -> elementLabel(t.getTensorType().getElemType());
            case SPARSE_TENSOR_TYPE -> "sparse(" + elementLabel(t.getSparseTensorType().getElemType()) + ")";
            case SEQUENCE_TYPE -> "sequence(" + typeLabel(t.getSequenceType().getElemType()) + ")";
            case MAP_TYPE -> "map(" + elementLabel(t.getMapType().getKeyType()) + ","
                    + typeLabel(t.getMapType().getValueType()) + ")";
            case OPTIONAL_TYPE -> "optional(" + typeLabel(t.getOptionalType().getElemType()) + ")";
            case OPAQUE_TYPE -> "opaque(" + t.getOpaqueType().getDomain() + ":" + t.getOpaqueType().getName() + ")";
            case VALUE_NOT_SET -> "unknown";
        };
    }

    private static String elementLabel(int onnxType) {
        ElementType e = ElementType.fromOnnxOrNull(onnxType);
        return e == null ? "type" + onnxType : e.label();
    }

    /** Op types TensorRT cannot build, most frequent first. */
    public List<String> tensorRtUnsupportedOps() {
        return tensorRtUnsupported.stream().map(TensorRtOpSupport.Finding::op).toList();
    }
}

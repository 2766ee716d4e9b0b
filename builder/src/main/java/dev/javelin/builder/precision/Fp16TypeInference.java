package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TypeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The element type of every tensor of one graph, without shapes: what the precision passes need to know
 * which tensors are float32 (and so candidates for float16) and which are integer or boolean (never touched).
 *
 * <p>Types come, in this order of trust, from graph inputs and initializers, {@code value_info} and graph
 * outputs the exporter wrote, and per-operator rules of the ONNX specification (most operators' outputs
 * have the type of their first input; the exceptions — {@code Shape}, comparisons, {@code Cast},
 * {@code ArgMax}, {@code TopK}'s indices, {@code QuantizeLinear} and so on — are listed). A tensor whose type
 * cannot be derived (e.g. the output of an operator from a custom domain without {@code value_info}) is left
 * unknown; the converter never changes a node that touches an unknown float-or-not tensor.
 *
 * <p>Nodes are visited in the order given (callers pass a topological order), so each rule sees its inputs'
 * types. Subgraph bodies are not entered: their values are not part of this graph.
 */
final class Fp16TypeInference {
    private final Map<String, ElementType> types = new HashMap<>();

    private Fp16TypeInference() {
    }

    /**
     * Infers the types of {@code graph}'s values.
     *
     * @param sortedNodes the graph's nodes in topological order
     * @param outerTypes  types of names visible from enclosing graphs (empty for a main graph)
     */
    static Map<String, ElementType> infer(GraphProto graph, List<NodeProto> sortedNodes, Map<String, ElementType> outerTypes) {
        Fp16TypeInference inf = new Fp16TypeInference();
        inf.types.putAll(outerTypes);
        for (TensorProto t : graph.getInitializerList()) {
            elementType(t.getDataType()).ifPresent(e -> inf.types.put(t.getName(), e));
        }
        for (ValueInfoProto v : graph.getInputList()) {
            declared(v).ifPresent(e -> inf.types.put(v.getName(), e));
        }
        // Declared intermediate types are the exporter's own inference: trusted over the rules below.
        Map<String, ElementType> declared = new HashMap<>();
        for (ValueInfoProto v : graph.getValueInfoList()) {
            declared(v).ifPresent(e -> declared.put(v.getName(), e));
        }
        for (ValueInfoProto v : graph.getOutputList()) {
            declared(v).ifPresent(e -> declared.put(v.getName(), e));
        }
        for (NodeProto n : sortedNodes) {
            for (int k = 0; k < n.getOutputCount(); k++) {
                String out = n.getOutput(k);
                if (out.isEmpty()) {
                    continue;
                }
                ElementType t = declared.containsKey(out) ? declared.get(out) : inf.rule(n, k);
                if (t != null) {
                    inf.types.put(out, t);
                }
            }
        }
        return inf.types;
    }

    /** The declared tensor element type of a value, if it has one. */
    static Optional<ElementType> declared(ValueInfoProto v) {
        TypeProto type = v.getType();
        if (!type.hasTensorType() || type.getTensorType().getElemType() == 0) {
            return Optional.empty();
        }
        return elementType(type.getTensorType().getElemType());
    }

    static Optional<ElementType> elementType(int onnx) {
        try {
            ElementType t = ElementType.fromOnnx(onnx);
            return t == ElementType.UNDEFINED ? Optional.empty() : Optional.of(t);
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // a type from a newer ONNX version: unknown here
        }
    }

    private ElementType in(NodeProto n, int k) {
        return k < n.getInputCount() && !n.getInput(k).isEmpty() ? types.get(n.getInput(k)) : null;
    }

    /** Output {@code k}'s type by the operator's type constraints, or null if not derivable. */
    private ElementType rule(NodeProto n, int k) {
        if (!OpKey.isDefaultDomain(n.getDomain())) {
            return null; // custom operators: only value_info can tell
        }
        switch (n.getOpType()) {
            case "Constant":
                return constantType(n);
            case "Cast":
                return attrType(n, "to").orElse(null);
            case "CastLike":
                return in(n, 1);
            case "Shape", "Size", "NonZero", "ArgMax", "ArgMin", "NonMaxSuppression":
                return ElementType.INT64;
            case "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf",
                    "RegexFullMatch":
                return ElementType.BOOL;
            case "TopK":
                return k == 0 ? in(n, 0) : ElementType.INT64;
            case "Unique":
                return k == 0 ? in(n, 0) : ElementType.INT64;
            case "MaxPool":
                return k == 0 ? in(n, 0) : ElementType.INT64;
            case "Dropout":
                return k == 0 ? in(n, 0) : ElementType.BOOL;
            case "LayerNormalization":
                // Mean and InvStdDev have the stash type (float unless stash_type says otherwise).
                return k == 0 ? in(n, 0) : attrType(n, "stash_type").orElse(ElementType.FLOAT);
            case "ConstantOfShape":
                return attr(n, "value").map(a -> elementType(a.getT().getDataType()).orElse(null)).orElse(ElementType.FLOAT);
            case "EyeLike", "RandomNormalLike", "RandomUniformLike", "Bernoulli":
                return attrType(n, "dtype").orElse(in(n, 0));
            case "RandomNormal", "RandomUniform":
                return attrType(n, "dtype").orElse(ElementType.FLOAT);
            case "Multinomial":
                return attrType(n, "dtype").orElse(ElementType.INT32);
            case "MelWeightMatrix", "HannWindow", "HammingWindow", "BlackmanWindow":
                return attrType(n, "output_datatype").orElse(ElementType.FLOAT);
            case "QuantizeLinear":
                if (in(n, 2) != null) {
                    return in(n, 2);
                }
                return attrType(n, "output_dtype").orElse(ElementType.UINT8);
            case "DequantizeLinear":
                return in(n, 1);
            case "DynamicQuantizeLinear":
                return k == 1 ? ElementType.FLOAT : ElementType.UINT8;
            case "MatMulInteger", "ConvInteger":
                return ElementType.INT32;
            case "QLinearConv", "QLinearMatMul":
                return in(n, 7);
            case "Where":
                return in(n, 1);
            case "OneHot":
                return in(n, 2);
            case "If":
                return subgraphOutputType(n, "then_branch", k);
            case "Loop":
                return subgraphOutputType(n, "body", k + 1); // body outputs: condition, then the loop's outputs
            case "Scan":
                return subgraphOutputType(n, "body", k);
            case "StringNormalizer", "StringConcat", "StringSplit":
                return k == 1 && n.getOpType().equals("StringSplit") ? ElementType.INT64 : ElementType.STRING;
            case "TfIdfVectorizer":
                return ElementType.FLOAT;
            case "ImageDecoder":
                return ElementType.UINT8;
            case "SequenceAt":
            case "SequenceConstruct", "SequenceEmpty", "SequenceInsert", "SequenceErase", "SplitToSequence",
                    "ConcatFromSequence", "SequenceLength", "SequenceMap", "Optional", "OptionalGetElement",
                    "OptionalHasElement":
                return null; // sequences and optionals: not tensors this pass reasons about
            default:
                // Every other standard operator's outputs share the type variable of its first input
                // (elementwise ops, Conv, MatMul, Reshape, Gather, Concat, Resize, Reduce*, Softmax, ...).
                return in(n, 0);
        }
    }

    private ElementType subgraphOutputType(NodeProto n, String attribute, int index) {
        Optional<AttributeProto> a = attr(n, attribute);
        if (a.isEmpty() || !a.get().hasG() || index >= a.get().getG().getOutputCount()) {
            return null;
        }
        return declared(a.get().getG().getOutput(index)).orElse(null);
    }

    private static ElementType constantType(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            switch (a.getName()) {
                case "value":
                    return elementType(a.getT().getDataType()).orElse(null);
                case "sparse_value":
                    return elementType(a.getSparseTensor().getValues().getDataType()).orElse(null);
                case "value_float", "value_floats":
                    return ElementType.FLOAT;
                case "value_int", "value_ints":
                    return ElementType.INT64;
                case "value_string", "value_strings":
                    return ElementType.STRING;
                default:
                    break;
            }
        }
        return null;
    }

    static Optional<AttributeProto> attr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** An INT attribute holding a {@code TensorProto.DataType} (Cast's {@code to}, {@code dtype}, ...). */
    static Optional<ElementType> attrType(NodeProto n, String name) {
        return attr(n, name).flatMap(a -> elementType((int) a.getI()));
    }
}

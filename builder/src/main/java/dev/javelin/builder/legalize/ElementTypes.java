package dev.javelin.builder.legalize;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Element types of a graph's tensors without running it: declarations (inputs, outputs, {@code value_info},
 * initializers, {@code Constant} values) first, then a forward pass with the output-type rule of each op — most
 * ops give their first input's type; the exceptions (casts, comparisons, shapes, quantization, indices) are
 * listed. Rewrites need the type to build constants of the right precision; a tensor this cannot type stays
 * unknown (and the rewrite that needed it declines, saying so) rather than being guessed.
 */
final class ElementTypes {
    private static final Set<String> BOOL_OUT = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "And", "Or", "Xor", "Not", "IsNaN", "IsInf", "RegexFullMatch");
    private static final Set<String> INT64_OUT = Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin",
            "NonMaxSuppression");
    /** Ops whose output type is not their first input's and not covered by a rule below: left unknown. */
    private static final Set<String> UNKNOWN_OUT = Set.of("If", "Loop", "Scan", "SequenceAt", "SequenceConstruct",
            "OptionalGetElement", "TfIdfVectorizer", "StringNormalizer", "ImageDecoder");

    private ElementTypes() {
    }

    /** The types of {@code g}'s tensors; {@code outer} holds the enclosing graphs' types (for subgraphs). */
    static Map<String, ElementType> infer(GraphProto g, Map<String, ElementType> outer) {
        Map<String, ElementType> t = new HashMap<>(outer);
        for (List<ValueInfoProto> l : List.of(g.getInputList(), g.getOutputList(), g.getValueInfoList())) {
            for (ValueInfoProto v : l) {
                if (v.getType().hasTensorType() && v.getType().getTensorType().getElemType() != 0) {
                    t.put(v.getName(), ElementType.fromOnnx(v.getType().getTensorType().getElemType()));
                }
            }
        }
        for (TensorProto init : g.getInitializerList()) {
            t.put(init.getName(), Tensors.elementType(init));
        }
        for (NodeProto n : g.getNodeList()) {
            List<ElementType> out = outputs(n, t);
            for (int k = 0; k < n.getOutputCount() && k < out.size(); k++) {
                String name = n.getOutput(k);
                if (!name.isEmpty() && out.get(k) != null) {
                    t.putIfAbsent(name, out.get(k)); // a declaration wins over the rule
                }
            }
        }
        return t;
    }

    private static List<ElementType> outputs(NodeProto n, Map<String, ElementType> t) {
        String op = n.getOpType();
        ElementType first = n.getInputCount() > 0 ? t.get(n.getInput(0)) : null;
        if (!OpKey.isDefaultDomain(n.getDomain())) {
            return switch (op) {
                // mean and inv_std_var are float whatever the data type
                case "SkipLayerNormalization", "SkipSimplifiedLayerNormalization" -> list(first, ElementType.FLOAT,
                        ElementType.FLOAT, first);
                case "LayerNormalization", "SimplifiedLayerNormalization" -> list(first, ElementType.FLOAT, ElementType.FLOAT);
                case "DynamicQuantizeMatMul", "MatMulIntegerToFloat" -> list(ElementType.FLOAT);
                default -> repeat(first, n.getOutputCount());
            };
        }
        if (BOOL_OUT.contains(op)) {
            return repeat(ElementType.BOOL, n.getOutputCount());
        }
        if (INT64_OUT.contains(op)) {
            return repeat(ElementType.INT64, n.getOutputCount());
        }
        if (UNKNOWN_OUT.contains(op)) {
            return List.of();
        }
        return switch (op) {
            case "Cast" -> list(attrType(n, "to", null));
            case "CastLike" -> list(n.getInputCount() > 1 ? t.get(n.getInput(1)) : null);
            case "Constant" -> list(constantType(n));
            case "ConstantOfShape" -> list(n.getAttributeList().stream().filter(a -> a.getName().equals("value") && a.hasT())
                    .map(a -> Tensors.elementType(a.getT())).findFirst().orElse(ElementType.FLOAT));
            case "DynamicQuantizeLinear" -> list(ElementType.UINT8, ElementType.FLOAT, ElementType.UINT8);
            case "MatMulInteger", "ConvInteger" -> list(ElementType.INT32);
            case "QuantizeLinear" -> list(n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? t.get(n.getInput(2))
                    : attrType(n, "output_dtype", ElementType.UINT8));
            case "DequantizeLinear" -> list(n.getInputCount() > 1 ? t.get(n.getInput(1)) : ElementType.FLOAT);
            case "QLinearMatMul", "QLinearConv" -> list(n.getInputCount() > 7 ? t.get(n.getInput(7)) : null);
            case "Where" -> list(n.getInputCount() > 1 ? t.get(n.getInput(1)) : null);
            case "TopK" -> list(first, ElementType.INT64);
            case "MaxPool" -> list(first, ElementType.INT64);
            case "Unique" -> list(first, ElementType.INT64, ElementType.INT64, ElementType.INT64);
            case "Dropout" -> list(first, ElementType.BOOL);
            case "LayerNormalization" -> list(first, attrType(n, "stash_type", ElementType.FLOAT),
                    attrType(n, "stash_type", ElementType.FLOAT));
            case "EyeLike" -> list(attrType(n, "dtype", first));
            case "RandomNormal", "RandomUniform" -> list(attrType(n, "dtype", ElementType.FLOAT));
            case "RandomNormalLike", "RandomUniformLike", "Bernoulli" -> list(attrType(n, "dtype", first));
            case "Multinomial" -> list(attrType(n, "dtype", ElementType.INT32));
            case "MelWeightMatrix" -> list(attrType(n, "output_datatype", ElementType.FLOAT));
            case "HannWindow", "HammingWindow", "BlackmanWindow" -> list(attrType(n, "output_datatype", ElementType.FLOAT));
            case "Range" -> list(first);
            default -> repeat(first, n.getOutputCount());
        };
    }

    private static ElementType attrType(NodeProto n, String name, ElementType dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name) && a.getType() == AttributeProto.AttributeType.INT) {
                try {
                    return ElementType.fromOnnx((int) a.getI());
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return dflt;
    }

    private static ElementType constantType(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            switch (a.getName()) {
                case "value" -> {
                    return a.hasT() ? Tensors.elementType(a.getT()) : null;
                }
                case "value_float", "value_floats" -> {
                    return ElementType.FLOAT;
                }
                case "value_int", "value_ints" -> {
                    return ElementType.INT64;
                }
                case "value_string", "value_strings" -> {
                    return ElementType.STRING;
                }
                default -> {
                }
            }
        }
        return null;
    }

    private static List<ElementType> list(ElementType... t) {
        return java.util.Arrays.asList(t);
    }

    private static List<ElementType> repeat(ElementType t, int n) {
        return java.util.Collections.nCopies(n, t);
    }

    /** Declared ranks: inputs, outputs, value_info with a shape, initializers. */
    static Map<String, Integer> declaredRanks(GraphProto g, Map<String, Integer> outer) {
        Map<String, Integer> r = new HashMap<>(outer);
        for (List<ValueInfoProto> l : List.of(g.getInputList(), g.getOutputList(), g.getValueInfoList())) {
            for (ValueInfoProto v : l) {
                if (v.getType().hasTensorType() && v.getType().getTensorType().hasShape()) {
                    r.put(v.getName(), v.getType().getTensorType().getShape().getDimCount());
                }
            }
        }
        for (TensorProto init : g.getInitializerList()) {
            r.put(init.getName(), init.getDimsCount());
        }
        return r;
    }
}

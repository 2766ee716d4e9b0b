package dev.javelin.builder.partition;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.TypeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.TensorInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Element types and (symbolic) shapes of the tensors a plan names, and their ONNX value infos. */
final class TensorTypes {
    private TensorTypes() {
    }

    /**
     * Types of {@code names}: model inputs from their declarations, initializers from their data, everything else from
     * ONNX Runtime's inference ({@link OrtShapes}).
     *
     * @throws ModelException naming a tensor whose element type Javelin plans cannot carry
     */
    static Map<String, TensorInfo> discover(OnnxModel model, Set<String> names) {
        GraphProto g = model.proto().getGraph();
        Map<String, TensorInfo> known = new LinkedHashMap<>();
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        for (ValueInfoProto v : g.getInputList()) {
            if (names.contains(v.getName()) && !inits.containsKey(v.getName())) {
                TensorInfo t = fromValueInfo(v);
                if (t != null) {
                    known.put(v.getName(), t);
                }
            }
        }
        for (String n : names) {
            TensorProto t = inits.get(n);
            if (t != null && !known.containsKey(n)) {
                List<TensorInfo.Dim> dims = new ArrayList<>();
                t.getDimsList().forEach(d -> dims.add(TensorInfo.Dim.fixed(d)));
                known.put(n, new TensorInfo(n, dtype(ElementType.fromOnnx(t.getDataType()), n), dims));
            }
        }
        Set<String> rest = new LinkedHashSet<>(names);
        rest.removeAll(known.keySet());
        if (!rest.isEmpty()) {
            try {
                known.putAll(OrtShapes.infer(model, rest, "type inference of the tensors crossing plan steps of " + model.displayName()));
            } catch (ModelException ortFailed) {
                // ONNX Runtime must load the model to infer types (e.g. it has no float16 DynamicQuantizeLinear); the
                // model's own value_info (onnx.shape_inference output) can stand in.
                Map<String, ValueInfoProto> declared = new LinkedHashMap<>();
                g.getValueInfoList().forEach(v -> declared.put(v.getName(), v));
                g.getOutputList().forEach(v -> declared.put(v.getName(), v));
                List<String> missing = new ArrayList<>();
                for (String n : rest) {
                    TensorInfo t = declared.containsKey(n) ? fromValueInfo(declared.get(n)) : null;
                    if (t == null) {
                        missing.add(n);
                    } else {
                        known.put(n, t);
                    }
                }
                if (!missing.isEmpty()) {
                    throw new ModelException("cannot type the tensors " + missing + " crossing plan steps of " + model.displayName()
                            + ": the model declares no value_info for them and ONNX Runtime could not infer them ("
                            + ortFailed.getMessage() + ")", ortFailed);
                }
            }
        }
        Map<String, TensorInfo> ordered = new LinkedHashMap<>();
        for (String n : names) {
            ordered.put(n, known.get(n));
        }
        return ordered;
    }

    /** A declared tensor value, or null when it has no element type. */
    static TensorInfo fromValueInfo(ValueInfoProto v) {
        if (!v.hasType() || !v.getType().hasTensorType() || v.getType().getTensorType().getElemType() == 0) {
            return null;
        }
        TypeProto.Tensor t = v.getType().getTensorType();
        DType dtype = dtype(ElementType.fromOnnx(t.getElemType()), v.getName());
        if (!t.hasShape()) {
            return null;
        }
        List<TensorInfo.Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
            dims.add(d.hasDimValue() ? TensorInfo.Dim.fixed(d.getDimValue())
                    : new TensorInfo.Dim(-1, d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : null));
        }
        return new TensorInfo(v.getName(), dtype, dims);
    }

    static DType dtype(ElementType e, String tensor) {
        return e.toDType().orElseThrow(() -> new ModelException("tensor '" + tensor + "' is " + e + "; tensors crossing plan "
                + "steps must be float32, float16, int8, uint8, int32, int64 or bool"));
    }

    /** The value info of {@code t}, with its shape ({@code dims} overrides it when given). */
    static ValueInfoProto valueInfo(TensorInfo t, long[] dims) {
        Object[] ds = new Object[t.rank()];
        for (int i = 0; i < ds.length; i++) {
            TensorInfo.Dim d = t.dims().get(i);
            ds[i] = dims != null ? (Object) dims[i] : d.isFixed() ? (Object) d.size() : d.symbol();
        }
        return OnnxGraphBuilder.tensorValue(t.name(), ElementType.of(t.dtype()), ds);
    }
}

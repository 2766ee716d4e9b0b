package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inputs a caller must feed (graph inputs that are not initializers), read from the model file, and the
 * check that a calibration sample matches them. A dim is fixed (a number) or free (a symbol or unknown); an
 * input without a declared shape accepts any rank.
 */
final class ModelInputs {
    /** One input: dtype ({@code null} if the runtime cannot carry it) and dims ({@code null} if unknown rank). */
    record Input(String name, ElementType type, long[] dims) {
        /** The runtime dtype, if the runtime carries this element type. */
        DType dtype() {
            return type.toDType().orElse(null);
        }

        String describe() {
            StringBuilder sb = new StringBuilder(type.label());
            if (dims == null) {
                return sb.append("[any shape]").toString();
            }
            sb.append('[');
            for (int i = 0; i < dims.length; i++) {
                sb.append(i > 0 ? ", " : "").append(dims[i] < 0 ? "?" : Long.toString(dims[i]));
            }
            return sb.append(']').toString();
        }

        boolean accepts(Shape shape) {
            if (dims == null) {
                return true;
            }
            if (shape.rank() != dims.length) {
                return false;
            }
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] >= 0 && dims[i] != shape.dim(i)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final Map<String, Input> inputs;

    private ModelInputs(Map<String, Input> inputs) {
        this.inputs = inputs;
    }

    static ModelInputs of(OnnxModel model) {
        Set<String> inits = new HashSet<>();
        for (TensorProto t : model.proto().getGraph().getInitializerList()) {
            inits.add(t.getName());
        }
        Map<String, Input> m = new LinkedHashMap<>();
        for (ValueInfoProto v : model.proto().getGraph().getInputList()) {
            if (inits.contains(v.getName()) || !v.getType().hasTensorType()) {
                continue;
            }
            ElementType type = ElementType.fromOnnx(v.getType().getTensorType().getElemType());
            long[] dims = null;
            if (v.getType().getTensorType().hasShape()) {
                List<TensorShapeProto.Dimension> d = v.getType().getTensorType().getShape().getDimList();
                dims = new long[d.size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = d.get(i).hasDimValue() ? d.get(i).getDimValue() : -1;
                }
            }
            m.put(v.getName(), new Input(v.getName(), type, dims));
        }
        return new ModelInputs(m);
    }

    List<String> names() {
        return new ArrayList<>(inputs.keySet());
    }

    Input get(String name) {
        return inputs.get(name);
    }

    int size() {
        return inputs.size();
    }

    /**
     * Checks one sample: every input present, nothing else, dtype and shape as declared.
     *
     * @param sample names the sample in messages (a file or folder)
     * @throws InvalidInputException naming the sample, the input and what was expected
     */
    void check(String sample, Map<String, Tensor> feeds) {
        for (String name : feeds.keySet()) {
            if (!inputs.containsKey(name)) {
                throw new InvalidInputException(name, "calibration sample " + sample + ": '" + name
                        + "' is not an input of the model (inputs: " + names() + ")");
            }
        }
        for (Input in : inputs.values()) {
            Tensor t = feeds.get(in.name());
            if (t == null) {
                throw new InvalidInputException(in.name(), "calibration sample " + sample + ": input '" + in.name()
                        + "' (" + in.describe() + ") is missing");
            }
            if (in.dtype() != t.dtype()) {
                throw new InvalidInputException(in.name(), "calibration sample " + sample + ": input '" + in.name()
                        + "' is " + t.dtype() + t.shape() + ", expected " + in.describe());
            }
            if (!in.accepts(t.shape())) {
                throw new InvalidInputException(in.name(), "calibration sample " + sample + ": input '" + in.name()
                        + "' has shape " + t.shape() + ", expected " + in.describe());
            }
        }
    }
}

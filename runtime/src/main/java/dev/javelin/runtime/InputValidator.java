package dev.javelin.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Checks requests against a signature in Java, before any native call. */
final class InputValidator {
    private InputValidator() {
    }

    static void validate(ModelSignature signature, Map<String, Tensor> inputs) {
        if (inputs == null) {
            throw new InvalidInputException(null, "inputs must not be null; expected " + signature.inputNames());
        }
        List<TensorInfo> infos = signature.inputs();
        // Fast path without streams or iterators: this runs on every call (allocation here showed up as GC
        // work competing with concurrent callers). Unknown names exist exactly when fewer keys match.
        int known = 0;
        for (int i = 0; i < infos.size(); i++) {
            if (inputs.containsKey(infos.get(i).name())) {
                known++;
            }
        }
        if (known != inputs.size()) {
            for (String name : inputs.keySet()) {
                if (signature.input(name).isEmpty()) {
                    throw new InvalidInputException(name, "unknown input '" + name + "'; the model's inputs are "
                            + signature.inputNames());
                }
            }
        }
        List<String> missing = null;
        for (int i = 0; i < infos.size(); i++) {
            TensorInfo info = infos.get(i);
            Tensor t = inputs.get(info.name());
            if (t == null) {
                if (missing == null) {
                    missing = new ArrayList<>();
                }
                missing.add(info.name());
                continue;
            }
            check(info, t);
        }
        if (missing != null) {
            throw new InvalidInputException(missing.get(0), "missing input" + (missing.size() > 1 ? "s " : " ")
                    + missing + "; expected " + describe(signature));
        }
    }

    static void check(TensorInfo info, Tensor t) {
        if (t.isClosed()) {
            throw new InvalidInputException(info.name(), "input '" + info.name() + "' is a closed tensor");
        }
        if (t.dtype() != info.dtype()) {
            throw new InvalidInputException(info.name(), "input '" + info.name() + "' has dtype " + t.dtype()
                    + " but the model expects " + info.dtype());
        }
        checkShape(info, t.shape());
    }

    static void checkShape(TensorInfo info, Shape shape) {
        if (shape.rank() != info.rank()) {
            throw new InvalidInputException(info.name(), "input '" + info.name() + "' has rank " + shape.rank()
                    + " " + shape + " but the model expects rank " + info.rank() + " " + info.shapeString());
        }
        for (int i = 0; i < info.rank(); i++) {
            TensorInfo.Dim d = info.dims().get(i);
            if (d.isFixed() && d.size() != shape.dim(i)) {
                throw new InvalidInputException(info.name(), "input '" + info.name() + "' has shape " + shape
                        + " but dimension " + i + " must be " + d.size() + " (model expects " + info.shapeString() + ")");
            }
        }
    }

    private static String describe(ModelSignature signature) {
        StringBuilder sb = new StringBuilder();
        for (TensorInfo t : signature.inputs()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(t);
        }
        return sb.toString();
    }
}

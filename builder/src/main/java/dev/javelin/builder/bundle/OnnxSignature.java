package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.ModelSummary;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.bundle.BundleManifest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A model's inputs and outputs as a bundle manifest records them (ONNX element type labels, symbolic dims). */
final class OnnxSignature {
    private OnnxSignature() {
    }

    /** Inputs (initializers excluded) and outputs, in model order. */
    record Io(List<BundleManifest.IoTensor> inputs, List<BundleManifest.IoTensor> outputs) {
    }

    static Io of(OnnxModel m) {
        ModelSummary s = ModelSummary.of(m);
        return new Io(convert(s.inputs()), convert(s.outputs()));
    }

    /**
     * Input name to dimensions, for profile derivation; an input of unknown rank is left out (TensorRT will say
     * it needs one).
     */
    static Map<String, List<TensorInfo.Dim>> inputDims(List<BundleManifest.IoTensor> inputs) {
        Map<String, List<TensorInfo.Dim>> out = new LinkedHashMap<>();
        inputs.stream().filter(t -> t.dims() != null).forEach(t -> out.put(t.name(), t.dims()));
        return out;
    }

    private static List<BundleManifest.IoTensor> convert(List<ModelSummary.ValueSummary> values) {
        List<BundleManifest.IoTensor> out = new ArrayList<>();
        for (ModelSummary.ValueSummary v : values) {
            List<TensorInfo.Dim> dims = null;
            if (v.shape() != null) {
                dims = new ArrayList<>();
                for (Object d : v.shape()) {
                    if (d instanceof Long size) {
                        dims.add(TensorInfo.Dim.fixed(size));
                    } else {
                        dims.add(TensorInfo.Dim.symbolic((String) d)); // a name, or null for an unknown dimension
                    }
                }
            }
            out.add(new BundleManifest.IoTensor(v.name(), v.dtype(), dims));
        }
        return out;
    }
}

package dev.javelin.bindings.ort;

import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtValue;

/**
 * The ONNX Runtime C API calls that differ between native lines, for the default line (ONNX Runtime 1.24).
 * Its twin in {@code src/stack-jetpack6} does the same with the calls ONNX Runtime 1.20 has.
 */
final class OrtStackApi {
    private OrtStackApi() {
    }

    /** Error codes ({@code OrtErrorCode}) this line's ONNX Runtime adds after 1.20, by C name and number. */
    static final int MODEL_LOAD_CANCELED = org.bytedeco.onnxruntime.global.onnxruntime.ORT_MODEL_LOAD_CANCELED;
    static final int MODEL_REQUIRES_COMPILATION = org.bytedeco.onnxruntime.global.onnxruntime.ORT_MODEL_REQUIRES_COMPILATION;
    static final int NOT_FOUND = org.bytedeco.onnxruntime.global.onnxruntime.ORT_NOT_FOUND;

    /**
     * Element type and shape of a tensor value in one C call,
     * GetTensorElementTypeAndShapeDataReference (ONNX Runtime >= 1.23): the shape array is owned by the value.
     */
    static long[] typeAndShape(OrtApi api, OrtValue value, Scratch s, String what) {
        Ort.check(api.GetTensorElementTypeAndShapeDataReference(value, s.intSlot, s.ptrSlot, s.sizeSlot),
                "GetTensorElementTypeAndShapeDataReference(" + what + ")");
        int rank = (int) s.sizeSlot.get();
        long[] shape = new long[rank];
        if (rank > 0) {
            s.longs.at(s.ptrResult(), rank).get(shape);
        }
        return shape;
    }

}

package dev.javelin.bindings.ort;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.onnxruntime.OrtApi;
import org.bytedeco.onnxruntime.OrtTensorTypeAndShapeInfo;
import org.bytedeco.onnxruntime.OrtValue;

/**
 * The ONNX Runtime C API calls that differ between native lines, for the JetPack 6 line (ONNX Runtime 1.20):
 * no GetTensorElementTypeAndShapeDataReference and fewer error codes than the default line's twin.
 */
final class OrtStackApi {
    private OrtStackApi() {
    }

    /** Codes ONNX Runtime 1.20 does not have; -2..-4 never match a status it returns. */
    static final int MODEL_LOAD_CANCELED = -2;
    static final int MODEL_REQUIRES_COMPILATION = -3;
    static final int NOT_FOUND = -4;

    /**
     * Element type and shape of a tensor value through a type-and-shape info object: GetTensorTypeAndShape
     * (info owned by us, released here), GetTensorElementType, GetDimensionsCount, GetDimensions.
     */
    static long[] typeAndShape(OrtApi api, OrtValue value, Scratch s, String what) {
        Ort.check(api.GetTensorTypeAndShape(value, s.ptrSlot), "GetTensorTypeAndShape(" + what + ")");
        OrtTensorTypeAndShapeInfo info = new OrtTensorTypeAndShapeInfo(s.ptrSlot.get(0));
        try {
            Ort.check(api.GetTensorElementType(info, s.intSlot), "GetTensorElementType(" + what + ")");
            Ort.check(api.GetDimensionsCount(info, s.sizeSlot), "GetDimensionsCount(" + what + ")");
            int rank = (int) s.sizeSlot.get();
            long[] shape = new long[rank];
            if (rank > 0) {
                try (LongPointer dims = new LongPointer(rank)) {
                    Ort.check(api.GetDimensions(info, dims, rank), "GetDimensions(" + what + ")");
                    dims.get(shape);
                }
            }
            return shape;
        } finally {
            api.ReleaseTensorTypeAndShapeInfo(info);
        }
    }
}

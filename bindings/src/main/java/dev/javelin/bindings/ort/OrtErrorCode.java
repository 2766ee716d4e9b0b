package dev.javelin.bindings.ort;

import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_ENGINE_ERROR;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_EP_FAIL;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_FAIL;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_INVALID_ARGUMENT;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_INVALID_GRAPH;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_INVALID_PROTOBUF;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_MODEL_LOADED;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_NOT_IMPLEMENTED;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_NO_MODEL;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_NO_SUCHFILE;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_OK;
import static org.bytedeco.onnxruntime.global.onnxruntime.ORT_RUNTIME_EXCEPTION;

/** ONNX Runtime's {@code OrtErrorCode}, plus {@link #UNKNOWN} for codes newer than these bindings. */
public enum OrtErrorCode {
    OK(ORT_OK),
    FAIL(ORT_FAIL),
    INVALID_ARGUMENT(ORT_INVALID_ARGUMENT),
    NO_SUCHFILE(ORT_NO_SUCHFILE),
    NO_MODEL(ORT_NO_MODEL),
    ENGINE_ERROR(ORT_ENGINE_ERROR),
    RUNTIME_EXCEPTION(ORT_RUNTIME_EXCEPTION),
    INVALID_PROTOBUF(ORT_INVALID_PROTOBUF),
    MODEL_LOADED(ORT_MODEL_LOADED),
    NOT_IMPLEMENTED(ORT_NOT_IMPLEMENTED),
    INVALID_GRAPH(ORT_INVALID_GRAPH),
    EP_FAIL(ORT_EP_FAIL),
    MODEL_LOAD_CANCELED(OrtStackApi.MODEL_LOAD_CANCELED),
    MODEL_REQUIRES_COMPILATION(OrtStackApi.MODEL_REQUIRES_COMPILATION),
    NOT_FOUND(OrtStackApi.NOT_FOUND),
    /** A code these bindings do not know. */
    UNKNOWN(-1);

    private final int code;

    OrtErrorCode(int code) {
        this.code = code;
    }

    /** The numeric code ONNX Runtime uses. */
    public int code() {
        return code;
    }

    /** The enum constant for a numeric code ({@link #UNKNOWN} if none). */
    public static OrtErrorCode of(int code) {
        for (OrtErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return UNKNOWN;
    }

    /** The C name, e.g. {@code ORT_INVALID_ARGUMENT}. */
    public String cName() {
        return "ORT_" + name();
    }
}

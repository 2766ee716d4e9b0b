package dev.javelin.bindings.ort;

import dev.javelin.bindings.core.NativeCallException;

/**
 * An ONNX Runtime call failed. The message holds the call, the {@link OrtErrorCode} and ONNX Runtime's
 * own message, e.g. {@code CreateSession(model.onnx) failed: ORT_INVALID_PROTOBUF (7): Protobuf parsing failed.}
 */
public class OrtException extends NativeCallException {
    private final OrtErrorCode errorCode;
    private final String ortMessage;

    public OrtException(String call, int code, String ortMessage) {
        this(call, OrtErrorCode.of(code), code, ortMessage, null);
    }

    OrtException(String call, OrtErrorCode errorCode, int code, String ortMessage, Throwable cause) {
        super(call, errorCode == OrtErrorCode.UNKNOWN ? "ORT error" : errorCode.cName(), code, ortMessage);
        this.errorCode = errorCode;
        this.ortMessage = ortMessage == null ? "" : ortMessage;
        if (cause != null) {
            initCause(cause);
        }
    }

    /** The ONNX Runtime error code. */
    public OrtErrorCode errorCode() {
        return errorCode;
    }

    /** ONNX Runtime's message, without the call prefix. */
    public String ortMessage() {
        return ortMessage;
    }
}

package dev.javelin.bindings.ort;

/**
 * An execution provider could not be added to a session: the ONNX Runtime natives on the class path
 * were built without it, or a library it needs (CUDA, cuDNN, TensorRT) or a device is missing.
 * {@link #reason()} says which, in words a user can act on.
 */
public final class ExecutionProviderUnavailableException extends OrtException {
    private final String provider;
    private final String reason;

    ExecutionProviderUnavailableException(String call, String provider, String reason, OrtException cause) {
        super(call, cause == null ? OrtErrorCode.FAIL : cause.errorCode(), cause == null ? OrtErrorCode.FAIL.code() : cause.code(),
                reason + (cause == null ? "" : " [" + cause.ortMessage() + "]"), cause);
        this.provider = provider;
        this.reason = reason;
    }

    /** The provider, e.g. {@code CUDAExecutionProvider}. */
    public String provider() {
        return provider;
    }

    /** Why it is unavailable and what to do. */
    public String reason() {
        return reason;
    }
}

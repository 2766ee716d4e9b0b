package dev.javelin.bindings.core;

/**
 * A native call returned an error status. The message holds the call, its arguments that matter and
 * the status, e.g. {@code cuMemcpyHtoDAsync(4.0 MiB, stream 3) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)}.
 */
public class NativeCallException extends RuntimeException {
    private final String call;
    private final String status;
    private final int code;
    private final String detail;

    public NativeCallException(String call, String status, int code, String detail) {
        super(call + " failed: " + status + " (" + code + ")" + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.status = status;
        this.code = code;
        this.detail = detail;
    }

    /** The native call, with its salient arguments. */
    public String call() {
        return call;
    }

    /** The status name, e.g. {@code ORT_INVALID_ARGUMENT}. */
    public String status() {
        return status;
    }

    /** The numeric status. */
    public int code() {
        return code;
    }

    /** The library's own description of the status (e.g. {@code "out of memory"}), or {@code null}. */
    public String detail() {
        return detail;
    }
}

package dev.javelin.bindings.trt;

import dev.javelin.bindings.core.NativeCallException;

/** TensorRT reports failures as a null or false result plus a log line; this turns both into one exception. */
final class TrtErrors {
    /** Status name used for TensorRT failures, which have no numeric code. */
    static final String STATUS = "TENSORRT_ERROR";

    private TrtErrors() {
    }

    /** The exception for a failed {@code call}, with the last error TensorRT logged on this thread. */
    static NativeCallException failure(String call) {
        String logged = TensorRt.sharedLogger().takeLastError();
        return new NativeCallException(call, STATUS, -1, logged == null ? "no error logged by TensorRT" : logged);
    }

    /** For calls that return nothing ({@code void}): fails if TensorRT logged an error during {@code call}. */
    static void throwIfLogged(String call) {
        String logged = TensorRt.sharedLogger().takeLastError();
        if (logged != null) {
            throw new NativeCallException(call, STATUS, -1, logged);
        }
    }
}

package dev.javelin.bindings.trt;

import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge from TensorRT's {@code ILogger} (the one TensorRT class the bytedeco preset lets Java
 * subclass) to SLF4J logger {@code dev.javelin.tensorrt}: internal errors and errors at ERROR, warnings at
 * WARN, info at DEBUG (TensorRT's INFO is build chatter), verbose at TRACE.
 *
 * <p>One instance serves the process ({@link TensorRt#logger()}): TensorRT keeps the first logger it is
 * given globally, and the object must outlive every runtime and builder, so it is held in a static field
 * and never freed. The last
 * error logged on each thread is kept so a failing call (TensorRT reports most failures as a null result
 * plus a log line) can put TensorRT's own words into its exception.
 */
public final class TrtLogger extends ILogger {
    private static final Logger LOG = LoggerFactory.getLogger("dev.javelin.tensorrt");

    private final ThreadLocal<String> lastError = new ThreadLocal<>();

    TrtLogger() {
        super(); // allocates the C++ adapter that forwards ILogger::log to this object
    }

    @Override
    public void log(Severity severity, String msg) {
        // Called from native code: an exception escaping here would unwind through TensorRT.
        try {
            switch (severity) {
                case kINTERNAL_ERROR, kERROR -> {
                    lastError.set(msg);
                    LOG.error("{}", msg);
                }
                case kWARNING -> LOG.warn("{}", msg);
                case kINFO -> LOG.debug("{}", msg);
                default -> LOG.trace("{}", msg);
            }
        } catch (Throwable ignored) {
            // nothing sensible to do inside a native callback
        }
    }

    /** The last error TensorRT logged on this thread, cleared by the call; {@code null} if none. */
    String takeLastError() {
        String e = lastError.get();
        lastError.remove();
        return e;
    }

    /** Forgets the last error of this thread, before a call whose failure should be reported on its own. */
    void clearLastError() {
        lastError.remove();
    }
}

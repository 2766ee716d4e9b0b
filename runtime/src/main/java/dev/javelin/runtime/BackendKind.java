package dev.javelin.runtime;

import java.util.Locale;

/** Which backend a session should run on. */
public enum BackendKind {
    /** The best usable backend, in the order TensorRT, ONNX Runtime CUDA, ONNX Runtime CPU. */
    AUTO("auto"),
    /** TensorRT engines on an NVIDIA GPU. */
    TENSORRT("tensorrt"),
    /** ONNX Runtime with the CUDA execution provider. */
    CUDA("cuda"),
    /** ONNX Runtime on the CPU. */
    CPU("cpu");

    private final String label;

    BackendKind(String label) {
        this.label = label;
    }

    /** The name used on the command line and in logs. */
    public String label() {
        return label;
    }

    /** Parses {@code auto|tensorrt|cuda|cpu} (case-insensitive). */
    public static BackendKind parse(String s) {
        for (BackendKind k : values()) {
            if (k.label.equals(s.toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + s + "' (expected auto, tensorrt, cuda or cpu)");
    }

    @Override
    public String toString() {
        return label;
    }
}

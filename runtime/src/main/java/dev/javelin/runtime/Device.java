package dev.javelin.runtime;

/**
 * Where tensor memory lives or where a model runs.
 *
 * @param kind  host or CUDA device
 * @param index device ordinal (0 for the host)
 */
public record Device(Kind kind, int index) {
    /** Memory or compute location kinds. */
    public enum Kind {
        /** Host memory / CPU execution. */
        CPU,
        /** An NVIDIA GPU through CUDA. */
        CUDA
    }

    /** The host. */
    public static final Device CPU = new Device(Kind.CPU, 0);

    /** CUDA device {@code index}. */
    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }
}

package dev.javelin.runtime;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a {@link Session} is opened. Immutable; start from {@link #defaults()} or {@link #builder()}.
 *
 * @param backend           which backend to use ({@link BackendKind#AUTO} picks the best usable one)
 * @param deviceId          CUDA device ordinal for the GPU backends
 * @param intraOpThreads    threads inside one operator on the CPU backend; 0 lets ONNX Runtime choose
 * @param interOpThreads    threads across independent operators on the CPU backend; 0 lets ONNX Runtime choose
 * @param optimization      graph optimization level applied by ONNX Runtime
 * @param engineCacheDir    where built TensorRT engines are cached; {@code null} for the default
 *                          ({@code -Djavelin.engine.cache.dir}, else {@code $JAVELIN_ENGINE_CACHE}, else
 *                          {@code ~/.cache/javelin/engines})
 */
public record SessionOptions(BackendKind backend, int deviceId, int intraOpThreads, int interOpThreads,
                             Optimization optimization, Path engineCacheDir) {

    /** ONNX Runtime graph optimization levels. */
    public enum Optimization {
        /** No graph rewrites. */
        NONE,
        /** Constant folding, redundant node removal. */
        BASIC,
        /** Basic plus operator fusions. */
        EXTENDED,
        /** Everything, including layout changes. */
        ALL
    }

    public SessionOptions {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(optimization, "optimization");
        if (deviceId < 0) {
            throw new IllegalArgumentException("deviceId must be >= 0, was " + deviceId);
        }
        if (intraOpThreads < 0 || interOpThreads < 0) {
            throw new IllegalArgumentException("thread counts must be >= 0 (0 = default)");
        }
    }

    /** Auto backend, device 0, ONNX Runtime's default threading, all optimizations. */
    public static SessionOptions defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.backend = backend;
        b.deviceId = deviceId;
        b.intraOpThreads = intraOpThreads;
        b.interOpThreads = interOpThreads;
        b.optimization = optimization;
        b.engineCacheDir = engineCacheDir;
        return b;
    }

    /** Builder for {@link SessionOptions}. */
    public static final class Builder {
        private BackendKind backend = BackendKind.AUTO;
        private int deviceId;
        private int intraOpThreads;
        private int interOpThreads;
        private Optimization optimization = Optimization.ALL;
        private Path engineCacheDir;

        private Builder() {
        }

        /** Sets the backend. */
        public Builder backend(BackendKind backend) {
            this.backend = backend;
            return this;
        }

        /** Sets the CUDA device ordinal. */
        public Builder deviceId(int deviceId) {
            this.deviceId = deviceId;
            return this;
        }

        /** Sets intra-op threads (0 = default). */
        public Builder intraOpThreads(int n) {
            this.intraOpThreads = n;
            return this;
        }

        /** Sets inter-op threads (0 = default). */
        public Builder interOpThreads(int n) {
            this.interOpThreads = n;
            return this;
        }

        /** Sets the graph optimization level. */
        public Builder optimization(Optimization level) {
            this.optimization = level;
            return this;
        }

        /** Sets the TensorRT engine cache folder. */
        public Builder engineCacheDir(Path dir) {
            this.engineCacheDir = dir;
            return this;
        }

        /** Builds the options. */
        public SessionOptions build() {
            return new SessionOptions(backend, deviceId, intraOpThreads, interOpThreads, optimization, engineCacheDir);
        }
    }
}

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
 * @param instances         how many copies ("instances", as Triton's instance_group) of the model the CPU
 *                          backend may load so that concurrent callers do not contend inside one ONNX Runtime
 *                          session; 0 = automatic (more than one only on the CPU backend with at least 2 cores,
 *                          intra-op threads x instances &lt;= cores and a model of at most 64 MiB). Instances after
 *                          the first are created only when that many calls run at once, and share pre-packed weights
 * @param rebuildEngines    when an engine bundle's TensorRT plans were all built for another TensorRT version or GPU
 *                          compute capability, build the engine from the bundle's {@code model.onnx} (through the
 *                          engine cache) instead of refusing the bundle
 */
public record SessionOptions(BackendKind backend, int deviceId, int intraOpThreads, int interOpThreads,
                             Optimization optimization, Path engineCacheDir, int instances, boolean rebuildEngines) {

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
        if (instances < 0) {
            throw new IllegalArgumentException("instances must be >= 0 (0 = automatic), was " + instances);
        }
    }

    /** Options with automatic instances (the form before {@code instances} existed). */
    public SessionOptions(BackendKind backend, int deviceId, int intraOpThreads, int interOpThreads,
                          Optimization optimization, Path engineCacheDir) {
        this(backend, deviceId, intraOpThreads, interOpThreads, optimization, engineCacheDir, 0, false);
    }

    /** Options that refuse mismatched bundle plans (the form before {@code rebuildEngines} existed). */
    public SessionOptions(BackendKind backend, int deviceId, int intraOpThreads, int interOpThreads,
                          Optimization optimization, Path engineCacheDir, int instances) {
        this(backend, deviceId, intraOpThreads, interOpThreads, optimization, engineCacheDir, instances, false);
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
        b.instances = instances;
        b.rebuildEngines = rebuildEngines;
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
        private int instances;
        private boolean rebuildEngines;

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

        /** Sets how many model instances the CPU backend may load (0 = automatic; see {@link SessionOptions}). */
        public Builder instances(int n) {
            this.instances = n;
            return this;
        }

        /**
         * Whether a bundle whose TensorRT plans do not fit this machine (another TensorRT version or compute
         * capability) is rebuilt from its model.onnx instead of refused.
         */
        public Builder rebuildEngines(boolean rebuild) {
            this.rebuildEngines = rebuild;
            return this;
        }

        /** Builds the options. */
        public SessionOptions build() {
            return new SessionOptions(backend, deviceId, intraOpThreads, interOpThreads, optimization, engineCacheDir,
                    instances, rebuildEngines);
        }
    }
}

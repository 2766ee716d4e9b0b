package dev.javelin.bindings.trt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link TrtBuilder#build} needs beyond the network: the workspace limit, one optimisation profile
 * (min/opt/max per dynamic input), the builder optimisation level and an optional timing cache. Plain Java:
 * {@link #calls()} is the exact list of {@code IBuilderConfig} calls the builder makes for it, in order, so
 * the translation from options to TensorRT calls is testable without a GPU.
 *
 * <p>There is no precision flag here on purpose: the network is strongly typed (TensorRT 11 removes the
 * weakly-typed {@code kFP16}/{@code kINT8} flags, and 10.x rejects them on a strongly typed network), so
 * precision is decided in the ONNX graph before parsing.
 *
 * @param workspaceBytes     limit of the builder's scratch memory pool ({@code kWORKSPACE}); 0 keeps TensorRT's default
 * @param profile            input name to its shape range; empty when no input is dynamic
 * @param optimizationLevel  builder optimisation level 0-5, or -1 for TensorRT's default (3)
 * @param timingCache        a serialized timing cache to start from (empty: start a new one and return it),
 *                           or {@code null} to build without a timing cache
 */
public record TrtBuildConfig(long workspaceBytes, Map<String, ShapeRange> profile, int optimizationLevel,
                             byte[] timingCache) {
    public TrtBuildConfig {
        if (workspaceBytes < 0) {
            throw new IllegalArgumentException("workspace must be >= 0 bytes, was " + workspaceBytes);
        }
        if (optimizationLevel < -1 || optimizationLevel > 5) {
            throw new IllegalArgumentException("builder optimization level is 0-5 (or -1 for the default), was "
                    + optimizationLevel);
        }
        profile = Collections.unmodifiableMap(new LinkedHashMap<>(profile));
        timingCache = timingCache == null ? null : timingCache.clone();
    }

    /** A configuration without a timing cache. */
    public TrtBuildConfig(long workspaceBytes, Map<String, ShapeRange> profile, int optimizationLevel) {
        this(workspaceBytes, profile, optimizationLevel, null);
    }

    @Override
    public byte[] timingCache() {
        return timingCache == null ? null : timingCache.clone();
    }

    /**
     * The shapes one input may take in a profile.
     *
     * @param min smallest shape
     * @param opt shape TensorRT tunes for
     * @param max largest shape
     */
    public record ShapeRange(long[] min, long[] opt, long[] max) {
        public ShapeRange {
            if (min.length != opt.length || opt.length != max.length) {
                throw new IllegalArgumentException("min, opt and max must have the same rank");
            }
            for (int i = 0; i < min.length; i++) {
                if (min[i] < 0 || min[i] > opt[i] || opt[i] > max[i]) {
                    throw new IllegalArgumentException("dimension " + i + " needs 0 <= min <= opt <= max, got "
                            + min[i] + "/" + opt[i] + "/" + max[i]);
                }
            }
            min = min.clone();
            opt = opt.clone();
            max = max.clone();
        }

        @Override
        public long[] min() {
            return min.clone();
        }

        @Override
        public long[] opt() {
            return opt.clone();
        }

        @Override
        public long[] max() {
            return max.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ShapeRange r && Arrays.equals(min, r.min) && Arrays.equals(opt, r.opt)
                    && Arrays.equals(max, r.max);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(min) + Arrays.hashCode(opt)) + Arrays.hashCode(max);
        }

        @Override
        public String toString() {
            return Arrays.toString(min) + "/" + Arrays.toString(opt) + "/" + Arrays.toString(max);
        }
    }

    /** One call {@link TrtBuilder} makes on the {@code IBuilderConfig}; {@code toString} is the C++ call. */
    public sealed interface Call permits WorkspaceLimit, OptimizationLevel, AddProfile, AttachTimingCache {
    }

    /** {@code setMemoryPoolLimit(MemoryPoolType::kWORKSPACE, bytes)}. */
    public record WorkspaceLimit(long bytes) implements Call {
        @Override
        public String toString() {
            return "setMemoryPoolLimit(kWORKSPACE, " + bytes + ")";
        }
    }

    /** {@code setBuilderOptimizationLevel(level)}. */
    public record OptimizationLevel(int level) implements Call {
        @Override
        public String toString() {
            return "setBuilderOptimizationLevel(" + level + ")";
        }
    }

    /** {@code createOptimizationProfile()}, {@code setDimensions(kMIN/kOPT/kMAX)} per input, {@code addOptimizationProfile}. */
    public record AddProfile(Map<String, ShapeRange> inputs) implements Call {
        public AddProfile {
            inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("addOptimizationProfile(");
            String sep = "";
            for (Map.Entry<String, ShapeRange> e : inputs.entrySet()) {
                sb.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                sep = ", ";
            }
            return sb.append(')').toString();
        }
    }

    /**
     * {@code createTimingCache(blob, size)} then {@code setTimingCache(cache, ignoreMismatch=false)}: a cache
     * from another device or TensorRT version is refused by TensorRT and replaced by a new one.
     */
    public record AttachTimingCache(int bytes) implements Call {
        @Override
        public String toString() {
            return "setTimingCache(createTimingCache(" + (bytes == 0 ? "new" : bytes + " bytes") + "), ignoreMismatch=false)";
        }
    }

    /** The {@code IBuilderConfig} calls this configuration makes, in the order {@link TrtBuilder} makes them. */
    public List<Call> calls() {
        List<Call> out = new ArrayList<>();
        if (workspaceBytes > 0) {
            out.add(new WorkspaceLimit(workspaceBytes));
        }
        if (optimizationLevel >= 0) {
            out.add(new OptimizationLevel(optimizationLevel));
        }
        if (!profile.isEmpty()) {
            out.add(new AddProfile(profile));
        }
        if (timingCache != null) {
            out.add(new AttachTimingCache(timingCache.length));
        }
        return List.copyOf(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrtBuildConfig c && workspaceBytes == c.workspaceBytes && optimizationLevel == c.optimizationLevel
                && profile.equals(c.profile) && Arrays.equals(timingCache, c.timingCache);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * Long.hashCode(workspaceBytes) + profile.hashCode()) + optimizationLevel)
                + Arrays.hashCode(timingCache);
    }

    @Override
    public String toString() {
        return "TrtBuildConfig" + calls();
    }
}

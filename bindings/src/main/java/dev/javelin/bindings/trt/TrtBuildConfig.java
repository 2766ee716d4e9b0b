package dev.javelin.bindings.trt;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link TrtBuilder#buildSerialized} needs beyond the network: the workspace limit, one optimisation
 * profile (min/opt/max per dynamic input), and the builder optimisation level. The builder issue adds
 * more fields (timing cache, hardware compatibility, more profiles).
 *
 * @param workspaceBytes     limit of the builder's scratch memory pool ({@code kWORKSPACE}); 0 keeps TensorRT's default
 * @param profile            input name to its shape range; empty when no input is dynamic
 * @param optimizationLevel  builder optimisation level 0-5, or -1 for TensorRT's default (3)
 */
public record TrtBuildConfig(long workspaceBytes, Map<String, ShapeRange> profile, int optimizationLevel) {
    public TrtBuildConfig {
        if (workspaceBytes < 0) {
            throw new IllegalArgumentException("workspace must be >= 0 bytes, was " + workspaceBytes);
        }
        if (optimizationLevel < -1 || optimizationLevel > 5) {
            throw new IllegalArgumentException("builder optimization level is 0-5 (or -1 for the default), was "
                    + optimizationLevel);
        }
        profile = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(profile));
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
    }
}

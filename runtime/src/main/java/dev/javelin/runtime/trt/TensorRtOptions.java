package dev.javelin.runtime.trt;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;

/**
 * How the TensorRT backend builds and runs engines. From system properties ({@link #fromSystemProperties()}):
 * {@code javelin.tensorrt.shapes} (per-symbol ranges, {@link ProfileSpec}), {@code javelin.tensorrt.inputShapes}
 * (per-input ranges, {@link InputShapes}), {@code javelin.tensorrt.workspace} (bytes, with an optional
 * {@code k}/{@code m}/{@code g} suffix; 0 = TensorRT's default, the device's memory),
 * {@code javelin.tensorrt.optimizationLevel} (0-5, default TensorRT's 3), {@code javelin.tensorrt.timingCache}
 * (a timing cache file read before and written after each build) and {@code javelin.tensorrt.contexts}
 * (execution contexts for concurrent {@code run} calls, default 2).
 *
 * @param profile           how dynamic dimensions without a given range become the optimisation profile
 * @param shapes            ranges given per input (they win over {@code profile})
 * @param workspaceBytes    builder workspace limit
 * @param optimizationLevel builder optimisation level, or -1 for the default
 * @param timingCache       timing cache file reused across builds, or {@code null}
 * @param contexts          concurrent execution contexts per model
 */
public record TensorRtOptions(ProfileSpec profile, InputShapes shapes, long workspaceBytes, int optimizationLevel,
                              Path timingCache, int contexts) {
    public TensorRtOptions {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(shapes, "shapes");
        if (workspaceBytes < 0) {
            throw new IllegalArgumentException("TensorRT workspace must be >= 0, was " + workspaceBytes);
        }
        if (optimizationLevel < -1 || optimizationLevel > 5) {
            throw new IllegalArgumentException("TensorRT builder optimization level is 0-5, was " + optimizationLevel);
        }
        if (contexts < 1) {
            throw new IllegalArgumentException("TensorRT needs at least one execution context, was " + contexts);
        }
    }

    /** Options without per-input shapes or a timing cache. */
    public TensorRtOptions(ProfileSpec profile, long workspaceBytes, int optimizationLevel, int contexts) {
        this(profile, InputShapes.none(), workspaceBytes, optimizationLevel, null, contexts);
    }

    /** Defaults: {@link ProfileSpec#defaults()}, TensorRT's workspace and level, no timing cache, two contexts. */
    public static TensorRtOptions defaults() {
        return new TensorRtOptions(ProfileSpec.defaults(), 0, -1, 2);
    }

    /** These options with per-input shape ranges. */
    public TensorRtOptions withShapes(InputShapes s) {
        return new TensorRtOptions(profile, s, workspaceBytes, optimizationLevel, timingCache, contexts);
    }

    /** These options with a workspace limit in bytes (0 = TensorRT's default). */
    public TensorRtOptions withWorkspace(long bytes) {
        return new TensorRtOptions(profile, shapes, bytes, optimizationLevel, timingCache, contexts);
    }

    /** These options with a builder optimisation level (-1 = TensorRT's default). */
    public TensorRtOptions withOptimizationLevel(int level) {
        return new TensorRtOptions(profile, shapes, workspaceBytes, level, timingCache, contexts);
    }

    /** These options with a timing cache file ({@code null} for none). */
    public TensorRtOptions withTimingCache(Path file) {
        return new TensorRtOptions(profile, shapes, workspaceBytes, optimizationLevel, file, contexts);
    }

    /** The options the system properties ask for. */
    public static TensorRtOptions fromSystemProperties() {
        return from(System.getProperties());
    }

    static TensorRtOptions from(Properties p) {
        String cache = p.getProperty("javelin.tensorrt.timingCache");
        return new TensorRtOptions(ProfileSpec.parse(p.getProperty("javelin.tensorrt.shapes")),
                InputShapes.parse(p.getProperty("javelin.tensorrt.inputShapes")),
                parseBytes(p.getProperty("javelin.tensorrt.workspace", "0")),
                Integer.parseInt(p.getProperty("javelin.tensorrt.optimizationLevel", "-1").trim()),
                cache == null || cache.isBlank() ? null : Path.of(cache.trim()),
                Integer.parseInt(p.getProperty("javelin.tensorrt.contexts", "2").trim()));
    }

    static long parseBytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
            unit = switch (t.charAt(t.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                default -> 1L << 30;
            };
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(t.trim()), unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad byte count '" + text + "' (e.g. 1073741824, 512m, 2g)", e);
        }
    }

    /**
     * What the engine depends on, as canonical text for {@link EngineCacheKey}. The number of contexts is a
     * run-time choice and the timing cache only speeds the build up, so both are left out; per-input shapes
     * appear only when given, so keys of builds without them are unchanged.
     */
    public String fingerprint() {
        return "strongly-typed;workspace=" + workspaceBytes + ";level=" + optimizationLevel + ";profile=" + profile.canonical()
                + (shapes.isEmpty() ? "" : ";shapes=" + shapes.canonical());
    }
}

package dev.javelin.runtime.trt;

import java.util.Locale;
import java.util.Properties;

/**
 * How the TensorRT backend builds and runs engines, read from system properties:
 * {@code javelin.tensorrt.shapes} ({@link ProfileSpec}), {@code javelin.tensorrt.workspace} (bytes, with an
 * optional {@code k}/{@code m}/{@code g} suffix; 0 = TensorRT's default, the device's memory),
 * {@code javelin.tensorrt.optimizationLevel} (0-5, default TensorRT's 3) and
 * {@code javelin.tensorrt.contexts} (execution contexts for concurrent {@code run} calls, default 2).
 *
 * @param profile           how dynamic dimensions become the optimisation profile
 * @param workspaceBytes    builder workspace limit
 * @param optimizationLevel builder optimisation level, or -1 for the default
 * @param contexts          concurrent execution contexts per model
 */
public record TensorRtOptions(ProfileSpec profile, long workspaceBytes, int optimizationLevel, int contexts) {
    public TensorRtOptions {
        java.util.Objects.requireNonNull(profile, "profile");
        if (workspaceBytes < 0) {
            throw new IllegalArgumentException("TensorRT workspace must be >= 0, was " + workspaceBytes);
        }
        if (optimizationLevel < -1 || optimizationLevel > 5) {
            throw new IllegalArgumentException("TensorRT optimization level is 0-5, was " + optimizationLevel);
        }
        if (contexts < 1) {
            throw new IllegalArgumentException("TensorRT needs at least one execution context, was " + contexts);
        }
    }

    /** Defaults: {@link ProfileSpec#defaults()}, TensorRT's workspace and level, two contexts. */
    public static TensorRtOptions defaults() {
        return new TensorRtOptions(ProfileSpec.defaults(), 0, -1, 2);
    }

    /** The options the system properties ask for. */
    public static TensorRtOptions fromSystemProperties() {
        return from(System.getProperties());
    }

    static TensorRtOptions from(Properties p) {
        return new TensorRtOptions(ProfileSpec.parse(p.getProperty("javelin.tensorrt.shapes")),
                parseBytes(p.getProperty("javelin.tensorrt.workspace", "0")),
                Integer.parseInt(p.getProperty("javelin.tensorrt.optimizationLevel", "-1").trim()),
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
     * What the engine depends on, as canonical text for {@link EngineCacheKey}. The number of contexts is
     * a run-time choice and left out.
     */
    public String fingerprint() {
        return "strongly-typed;workspace=" + workspaceBytes + ";level=" + optimizationLevel + ";profile=" + profile.canonical();
    }
}

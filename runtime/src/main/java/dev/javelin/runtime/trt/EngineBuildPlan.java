package dev.javelin.runtime.trt;

import dev.javelin.bindings.trt.TrtBuildConfig;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The translation of {@link TensorRtOptions} and a model's inputs into what the TensorRT builder is told, in
 * plain Java: the optimisation profile ({@link ProfileDerivation}, with the given per-input shapes checked
 * against the model) and the builder-configuration calls. {@link #builderCalls()} lists them as text, the
 * same list the build makes, for reports and tests; no native library is touched.
 *
 * @param profile the optimisation profile the engine is built with
 * @param options the options it was derived from
 */
public record EngineBuildPlan(OptimizationProfile profile, TensorRtOptions options) {
    /** The network creation call: strongly typed, so precision comes from the ONNX graph (no precision flags). */
    public static final String NETWORK_CALL = "createNetworkV2(kSTRONGLY_TYPED)";

    public EngineBuildPlan {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(options, "options");
    }

    /**
     * The plan for a model's inputs.
     *
     * @throws dev.javelin.runtime.InvalidInputException naming the input and dimension if a given shape does not fit
     */
    public static EngineBuildPlan of(ModelSignature signature, TensorRtOptions options) {
        return new EngineBuildPlan(ProfileDerivation.derive(signature.inputs(), options.profile(), options.shapes()), options);
    }

    /** The plan for inputs given as name to dimensions, in model order. */
    public static EngineBuildPlan of(Map<String, List<TensorInfo.Dim>> inputs, TensorRtOptions options) {
        return new EngineBuildPlan(ProfileDerivation.deriveDims(inputs, options.profile(), options.shapes()), options);
    }

    /** The bindings configuration, starting from {@code timingCache} (null: no timing cache). */
    TrtBuildConfig config(byte[] timingCache) {
        Map<String, TrtBuildConfig.ShapeRange> ranges = new LinkedHashMap<>();
        profile.inputs().forEach((name, r) -> ranges.put(name, new TrtBuildConfig.ShapeRange(r.min(), r.opt(), r.max())));
        return new TrtBuildConfig(options.workspaceBytes(), ranges, options.optimizationLevel(), timingCache);
    }

    /**
     * Every builder call the build makes, as text: the network creation, each {@code IBuilderConfig} call and the
     * build itself. The timing cache is described by its file (its size if it exists, else "new").
     */
    public List<String> builderCalls() {
        List<String> out = new ArrayList<>();
        out.add(NETWORK_CALL);
        Path cache = options.timingCache();
        for (TrtBuildConfig.Call call : config(cache == null ? null : new byte[0]).calls()) {
            if (call instanceof TrtBuildConfig.AttachTimingCache) {
                out.add("setTimingCache(createTimingCache(" + cache + ": " + describeCacheFile(cache) + "), ignoreMismatch=false)");
            } else {
                out.add(call.toString());
            }
        }
        out.add("buildSerializedNetwork(network, config)");
        return List.copyOf(out);
    }

    private static String describeCacheFile(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) + " bytes" : "new";
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }
}

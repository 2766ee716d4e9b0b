package dev.javelin.runtime.trt;

import dev.javelin.runtime.ModelSignature;
import java.nio.file.Path;
import java.util.List;

/**
 * A serialized TensorRT engine and what it was built for: the build products an engine bundle records.
 *
 * @param plan              the serialized engine (a copy the caller owns)
 * @param signature         model inputs and outputs with symbolic dimensions
 * @param profile           the optimisation profile it was built with
 * @param tensorRtVersion   TensorRT version that built it, e.g. {@code 10.15.1}; plans load only there
 * @param cudaVersion       CUDA runtime version TensorRT ran on, e.g. {@code 13.1}, or {@code null} if unknown
 * @param computeCapability compute capability of the GPU it was built on, e.g. {@code 8.6}; plans load only there
 * @param deviceName        that GPU's name
 * @param fromCache         whether the plan came from the engine cache instead of a build
 * @param cacheFile         the plan's file in the engine cache
 * @param buildNanos        time spent building (0 when cached)
 * @param builderCalls      the builder calls the build made ({@link EngineBuildPlan#builderCalls()})
 * @param timingCache       what happened to the timing cache file, or {@code null} without one
 */
public record BuiltEngine(byte[] plan, ModelSignature signature, OptimizationProfile profile, String tensorRtVersion,
                          String cudaVersion, String computeCapability, String deviceName, boolean fromCache,
                          Path cacheFile, long buildNanos, List<String> builderCalls, String timingCache) {
    public BuiltEngine {
        builderCalls = List.copyOf(builderCalls);
    }
}

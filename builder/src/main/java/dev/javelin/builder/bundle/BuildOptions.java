package dev.javelin.builder.bundle;

import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.precision.Calibrator;
import dev.javelin.runtime.bundle.Precision;
import dev.javelin.runtime.trt.InputShapes;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@code javelin build} was asked for.
 *
 * @param precision         graph precision
 * @param calibData         folder of samples (.npy/.npz): INT8 calibrates on it, FP16 {@code --fp16-auto} measures
 *                          activation ranges on it; the last fifth is held back for the accuracy report unless
 *                          {@code evalData} is given; {@code null} for none
 * @param calibrator        INT8 calibrator, or {@code null} for the default (percentile 99.99)
 * @param shapes            per-input min/opt/max shapes; inputs not given get derived defaults
 * @param workspaceBytes    TensorRT workspace limit, 0 for TensorRT's default
 * @param optimizationLevel TensorRT builder optimisation level 0-5, or -1 for TensorRT's default
 * @param timingCache       TensorRT timing cache file read before and written after the build, or {@code null}
 * @param onnxOnly          stop before the TensorRT step on purpose
 * @param deviceId          CUDA device to build on
 * @param engineCacheDir    engine cache folder, or {@code null} for the default
 * @param prefer            for ops that can be rewritten and also have a Javelin kernel, which the build uses
 * @param evalData          folder of samples the accuracy report of an FP16/INT8 build runs on (none of them
 *                          calibrates), or {@code null} to hold back part of {@code calibData}
 * @param fp16              FP16 settings (ignored for other precisions)
 */
public record BuildOptions(Precision precision, Path calibData, Calibrator calibrator, InputShapes shapes, long workspaceBytes,
                           int optimizationLevel, Path timingCache, boolean onnxOnly, int deviceId, Path engineCacheDir,
                           Prefer prefer, Path evalData, Fp16Settings fp16) {
    public BuildOptions {
        Objects.requireNonNull(prefer, "prefer");
        Objects.requireNonNull(fp16, "fp16");
        if (precision == Precision.FP32 && evalData != null) {
            throw new IllegalArgumentException("--eval-data is used only with --precision fp16 or int8 (the accuracy report)");
        }
        if (fp16.auto() && (precision != Precision.FP16 || calibData == null)) {
            throw new IllegalArgumentException("--fp16-auto needs --precision fp16 and --calib-data DIR (activation ranges"
                    + " are measured on those samples)");
        }
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(shapes, "shapes");
        if (workspaceBytes < 0) {
            throw new IllegalArgumentException("the workspace must be >= 0, was " + workspaceBytes);
        }
        if (optimizationLevel < -1 || optimizationLevel > 5) {
            throw new IllegalArgumentException("the builder optimization level is 0-5, was " + optimizationLevel);
        }
        if (deviceId < 0) {
            throw new IllegalArgumentException("the device must be >= 0, was " + deviceId);
        }
        if (precision == Precision.FP32 && calibData != null) {
            throw new IllegalArgumentException("--calib-data is used only with --precision int8 or fp16 (the precision is "
                    + precision + ")");
        }
        if (precision != Precision.INT8 && calibrator != null) {
            throw new IllegalArgumentException("--calibrator is used only with --precision int8 (the precision is "
                    + precision + ")");
        }
        if (precision == Precision.FP16 && calibData == null && evalData == null) {
            throw new IllegalArgumentException("--precision fp16 needs --eval-data DIR (or --calib-data DIR) of .npy/.npz"
                    + " samples: every precision build ends with an accuracy report against the float32 model");
        }
        if (precision == Precision.INT8 && calibData == null) {
            throw new IllegalArgumentException("--precision int8 needs --calib-data DIR (a folder of .npy/.npz samples)");
        }
    }

    /** As the canonical constructor, preferring rewrites (the default: TensorRT can then fuse across them). */
    public BuildOptions(Precision precision, Path calibData, Calibrator calibrator, InputShapes shapes, long workspaceBytes,
                        int optimizationLevel, Path timingCache, boolean onnxOnly, int deviceId, Path engineCacheDir) {
        this(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache, onnxOnly, deviceId,
                engineCacheDir, Prefer.REWRITE, null, Fp16Settings.DEFAULTS);
    }

    /** FP32, derived shapes, TensorRT's defaults, device 0, no timing cache, with the TensorRT step. */
    public static BuildOptions defaults() {
        return new BuildOptions(Precision.FP32, null, null, InputShapes.none(), 0, -1, null, false, 0, null);
    }

    /**
     * FP16 conversion settings.
     *
     * @param auto        also keep in float32 every node whose activations on {@code calibData} leave the float16-safe
     *                    range ({@code --fp16-auto})
     * @param keepIoTypes keep float32 model inputs and outputs, with Casts inside the model ({@code --keep-io-types},
     *                    default true); false makes them float16
     */
    public record Fp16Settings(boolean auto, boolean keepIoTypes) {
        /** No automatic mode, float32 I/O. */
        public static final Fp16Settings DEFAULTS = new Fp16Settings(false, true);
    }

    /** The INT8 calibrator to use: the given one, else percentile (entropy clips transformers' outlier features). */
    public Calibrator calibratorOrDefault() {
        return calibrator != null ? calibrator : Calibrator.PERCENTILE;
    }

    /** These options with {@code prefer}. */
    public BuildOptions withPrefer(Prefer p) {
        return new BuildOptions(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache,
                onnxOnly, deviceId, engineCacheDir, p, evalData, fp16);
    }

    /** These options with {@code onnxOnly} set. */
    public BuildOptions withOnnxOnly(boolean on) {
        return new BuildOptions(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache, on,
                deviceId, engineCacheDir, prefer, evalData, fp16);
    }

    /** These options with the engine cache in {@code dir}. */
    public BuildOptions withEngineCacheDir(Path dir) {
        return new BuildOptions(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache,
                onnxOnly, deviceId, dir, prefer, evalData, fp16);
    }
}

package dev.javelin.builder.bundle;

import dev.javelin.builder.legalize.Prefer;
import dev.javelin.runtime.bundle.Precision;
import dev.javelin.runtime.trt.InputShapes;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@code javelin build} was asked for.
 *
 * @param precision         graph precision
 * @param calibData         folder of calibration samples (INT8 only), or {@code null}
 * @param calibrator        INT8 calibrator, or {@code null} for the default (entropy)
 * @param shapes            per-input min/opt/max shapes; inputs not given get derived defaults
 * @param workspaceBytes    TensorRT workspace limit, 0 for TensorRT's default
 * @param optimizationLevel TensorRT builder optimisation level 0-5, or -1 for TensorRT's default
 * @param timingCache       TensorRT timing cache file read before and written after the build, or {@code null}
 * @param onnxOnly          stop before the TensorRT step on purpose
 * @param deviceId          CUDA device to build on
 * @param engineCacheDir    engine cache folder, or {@code null} for the default
 * @param prefer            for ops that can be rewritten and also have a Javelin kernel, which the build uses
 */
public record BuildOptions(Precision precision, Path calibData, Calibrator calibrator, InputShapes shapes, long workspaceBytes,
                           int optimizationLevel, Path timingCache, boolean onnxOnly, int deviceId, Path engineCacheDir,
                           Prefer prefer) {
    public BuildOptions {
        Objects.requireNonNull(prefer, "prefer");
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
        if (precision != Precision.INT8 && (calibData != null || calibrator != null)) {
            throw new IllegalArgumentException((calibData != null ? "--calib-data" : "--calibrator")
                    + " is used only with --precision int8 (the precision is " + precision + ")");
        }
        if (precision == Precision.INT8 && calibData == null) {
            throw new IllegalArgumentException("--precision int8 needs --calib-data DIR (a folder of .npy/.npz samples)");
        }
    }

    /** As the canonical constructor, preferring rewrites (the default: TensorRT can then fuse across them). */
    public BuildOptions(Precision precision, Path calibData, Calibrator calibrator, InputShapes shapes, long workspaceBytes,
                        int optimizationLevel, Path timingCache, boolean onnxOnly, int deviceId, Path engineCacheDir) {
        this(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache, onnxOnly, deviceId,
                engineCacheDir, Prefer.REWRITE);
    }

    /** FP32, derived shapes, TensorRT's defaults, device 0, no timing cache, with the TensorRT step. */
    public static BuildOptions defaults() {
        return new BuildOptions(Precision.FP32, null, null, InputShapes.none(), 0, -1, null, false, 0, null);
    }

    /** These options with {@code prefer}. */
    public BuildOptions withPrefer(Prefer p) {
        return new BuildOptions(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache,
                onnxOnly, deviceId, engineCacheDir, p);
    }

    /** These options with {@code onnxOnly} set. */
    public BuildOptions withOnnxOnly(boolean on) {
        return new BuildOptions(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache, on,
                deviceId, engineCacheDir, prefer);
    }

    /** These options with the engine cache in {@code dir}. */
    public BuildOptions withEngineCacheDir(Path dir) {
        return new BuildOptions(precision, calibData, calibrator, shapes, workspaceBytes, optimizationLevel, timingCache,
                onnxOnly, deviceId, dir, prefer);
    }
}

package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.TensorRtOpSupport;
import dev.javelin.builder.partition.Partition;
import dev.javelin.builder.partition.PartitionOptions;
import dev.javelin.builder.partition.Partitioner;
import dev.javelin.builder.precision.AccuracyReport;
import dev.javelin.builder.precision.PrecisionAccuracy;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.JavelinException;
import dev.javelin.runtime.bundle.Bundle;
import dev.javelin.runtime.bundle.BundleManifest;
import dev.javelin.runtime.bundle.LegalizationDecision;
import dev.javelin.runtime.bundle.Precision;
import dev.javelin.runtime.trt.BuiltEngine;
import dev.javelin.runtime.trt.EngineBuildPlan;
import dev.javelin.runtime.trt.EngineCache;
import dev.javelin.runtime.trt.InputShapes;
import dev.javelin.runtime.trt.OptimizationProfile;
import dev.javelin.runtime.trt.ProfileDerivation;
import dev.javelin.runtime.trt.TensorRtEngineBuilder;
import dev.javelin.runtime.trt.TensorRtOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code javelin build}: an ONNX model in, an engine bundle folder out.
 * <ol>
 *   <li>load the model and check the requested shapes against its inputs (before any long work);</li>
 *   <li>run the graph steps ({@link GraphStepCatalogue}), each ONNX in, ONNX out;</li>
 *   <li>write the bundle: {@code model.onnx} and {@code manifest.json} (signature, profile, precision, steps,
 *       legalization decisions), which is already usable on ONNX Runtime;</li>
 *   <li>unless {@code --onnx-only}: build the TensorRT plan of {@code model.onnx} through the engine cache (shared
 *       with {@code Session}), add it and record the TensorRT/CUDA versions and compute capability it is for.</li>
 * </ol>
 * When the TensorRT step cannot run (no GPU here) or fails, the manifest says that no plan was built and why,
 * and the failure is returned in the {@link BuildReport} for the caller to report.
 */
public final class BundleBuild {
    private static final Logger LOG = LoggerFactory.getLogger(BundleBuild.class);
    /** Name of the one profile a build makes. */
    public static final String PROFILE = "default";
    /** The accuracy report of a precision build, as JSON, in the bundle folder. */
    public static final String ACCURACY_FILE = "accuracy.json";

    private final String createdBy;
    private final Function<BuildOptions, List<GraphStep>> steps;

    /**
     * A build with the steps of {@link GraphStepCatalogue}.
     *
     * @param createdBy what to record as the writer, e.g. {@code javelin 0.1.0}
     */
    public BundleBuild(String createdBy) {
        this(createdBy, GraphStepCatalogue::forBuild);
    }

    /**
     * A build with its own choice of graph steps.
     *
     * @param steps the steps for some options
     */
    public BundleBuild(String createdBy, Function<BuildOptions, List<GraphStep>> steps) {
        this.createdBy = Objects.requireNonNull(createdBy, "createdBy");
        this.steps = Objects.requireNonNull(steps, "steps");
    }

    /**
     * Builds the bundle of {@code source} into {@code out}.
     *
     * @throws dev.javelin.runtime.ModelException if the model cannot be loaded or a step rejects it, or {@code out}
     *                                            is a non-empty folder that is not a bundle
     * @throws dev.javelin.runtime.InvalidInputException naming the input and dimension if a given shape does not fit
     * @throws UncheckedIOException if the bundle cannot be written
     */
    public BuildReport run(Path source, Path out, BuildOptions options, Progress progress) {
        long start = System.nanoTime();
        List<GraphStep> steps = this.steps.apply(options);
        int total = options.onnxOnly() ? 3 : 4;

        progress.step(1, total, "load " + source);
        OnnxModel model = OnnxModel.load(source);
        refuseSourceInside(source, out);
        String sourceSha = Bundle.sha256(source);
        OnnxSignature.Io sourceIo = OnnxSignature.of(model);
        TensorRtOptions requested = trtOptions(options);
        // Shapes name the model's inputs: check them against the source now rather than after long graph steps
        // (symbols are checked after the steps, which may rename them).
        ProfileDerivation.checkGiven(OnnxSignature.inputDims(sourceIo.inputs()), options.shapes());
        progress.line(sourceIo.inputs().size() + " inputs, " + sourceIo.outputs().size() + " outputs, sha256 "
                + sourceSha.substring(0, 16) + "...");

        progress.step(2, total, "graph steps: " + String.join(", ", steps.stream().map(GraphStep::name).toList()));
        List<BundleManifest.GraphStepRecord> records = new ArrayList<>();
        List<LegalizationDecision> decisions = new ArrayList<>();
        OnnxModel float32 = model;
        for (GraphStep step : steps) {
            long t0 = System.nanoTime();
            StepOutcome o = step.apply(model);
            model = o.model();
            records.add(new BundleManifest.GraphStepRecord(step.name(), o.report()));
            decisions.addAll(o.decisions());
            LOG.info("graph step {} took {} ms: {}", step.name(), (System.nanoTime() - t0) / 1_000_000, o.report());
            o.report().forEach(l -> progress.line(step.name() + ": " + l));
        }

        AccuracyReport accuracy = null;
        if (options.precision() != Precision.FP32) {
            accuracy = accuracy(float32, model, options, progress);
            records.add(new BundleManifest.GraphStepRecord("accuracy", accuracyLines(accuracy)));
        }

        BundleManifest.Calibration calibration = options.precision() != Precision.INT8 ? null
                : new BundleManifest.Calibration(options.calibratorOrDefault().label(),
                        CalibrationData.fingerprint(options.calibData()));

        progress.step(3, total, "write bundle " + out);
        OnnxSignature.Io io = OnnxSignature.of(model);
        OptimizationProfile profile = EngineBuildPlan.of(OnnxSignature.inputDims(io.inputs()), requested).profile();
        Partition partition = partitionIfNeeded(model, options, profile, records, progress);
        BundleManifest manifest;
        try {
            BundleWriter.prepare(out);
            BundleManifest.ModelFile modelFile = BundleWriter.writeModel(model, out);
            String planFile = null;
            if (partition != null) {
                Path written = partition.write(out.resolve(BundleWriter.PLAN_DIR));
                planFile = out.relativize(written).toString().replace(java.io.File.separatorChar, '/');
            }
            manifest = new BundleManifest(BundleManifest.FORMAT_VERSION, createdBy,
                    new BundleManifest.SourceModel(source.getFileName().toString(), sourceSha), modelFile,
                    options.precision(), calibration, io.inputs(), io.outputs(),
                    List.of(new BundleManifest.Profile(PROFILE, profile)),
                    new BundleManifest.BuildSettings(options.workspaceBytes(), options.optimizationLevel()),
                    new BundleManifest.TensorRtStatus(false, options.onnxOnly()
                            ? "--onnx-only: the TensorRT step was skipped on purpose"
                            : "not built yet: the TensorRT step had not finished"),
                    List.of(), decisions, planFile, records);
            BundleWriter.writeManifest(manifest, out);
            if (accuracy != null) {
                java.nio.file.Files.writeString(out.resolve(ACCURACY_FILE), accuracy.toJson());
            }
            progress.line(String.format(Locale.ROOT, "%s (%.1f MiB), %s%s", modelFile.file(), modelFile.bytes() / 1048576.0,
                    BundleManifest.FILE_NAME, accuracy != null ? ", " + ACCURACY_FILE : ""));
            profile.inputs().forEach((name, r) -> progress.line("profile " + name + ":" + InputShapes.format(r)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the bundle in " + out + ": " + e.getMessage(), e);
        }
        if (options.onnxOnly()) {
            return new BuildReport(out, manifest, null, System.nanoTime() - start);
        }

        progress.step(4, total, "TensorRT build");
        // The bundle's own profile as explicit shapes: a runtime rebuild from this manifest then asks for the same
        // options, and finds this engine in the cache.
        TensorRtOptions trt = manifest.build().options(profile).withTimingCache(options.timingCache());
        new EngineBuildPlan(profile, trt).builderCalls().forEach(c -> progress.line("  " + c));
        EngineCache cache = new EngineCache(options.engineCacheDir() != null ? options.engineCacheDir() : EngineCache.defaultDir());
        BuiltEngine engine;
        try (Progress.Waiting w = progress.waiting("building the TensorRT engine")) {
            engine = TensorRtEngineBuilder.build(out.resolve(manifest.model().file()), trt, options.deviceId(), cache);
        } catch (JavelinException e) {
            LOG.info("TensorRT step of {} produced no plan: {}", out, e.getMessage());
            manifest = manifest.withEngines(List.of(), new BundleManifest.TensorRtStatus(false,
                    "the TensorRT step failed: " + e.getMessage()));
            updateManifest(manifest, out);
            return new BuildReport(out, manifest, e, System.nanoTime() - start);
        }
        BundleManifest.EngineRecord record = BundleWriter.writePlan(engine, PROFILE, out);
        String detail = (engine.fromCache() ? "taken from the engine cache " + engine.cacheFile()
                : String.format(Locale.ROOT, "built in %.1f s", engine.buildNanos() / 1e9)) + " on " + engine.deviceName()
                + " (compute " + engine.computeCapability() + ", TensorRT " + engine.tensorRtVersion() + ")";
        manifest = manifest.withEngines(List.of(record), new BundleManifest.TensorRtStatus(true, detail));
        updateManifest(manifest, out);
        progress.line(record.file() + " " + detail);
        if (engine.timingCache() != null) {
            progress.line("timing cache: " + engine.timingCache());
        }
        return new BuildReport(out, manifest, null, System.nanoTime() - start);
    }

    /**
     * When ops TensorRT cannot build are left after legalization for Javelin kernels, the model is split around
     * them: a partition plan (engine segments + kernel steps, arena sized for the profile's largest shapes) that the
     * TensorRT backend runs instead of one engine. ONNX Runtime still runs {@code model.onnx} whole. A model with ops
     * that neither TensorRT nor a kernel handles gets no plan (the report says why); it runs on ONNX Runtime.
     */
    private static Partition partitionIfNeeded(OnnxModel model, BuildOptions options, OptimizationProfile profile,
                                               List<BundleManifest.GraphStepRecord> records, Progress progress) {
        if (TensorRtOpSupport.pinned().check(model.proto()).isEmpty()) {
            return null;
        }
        java.util.Map<String, long[]> bounds = new java.util.LinkedHashMap<>();
        profile.inputs().forEach((name, range) -> bounds.put(name, range.max()));
        List<String> lines = new ArrayList<>();
        Partition p = null;
        try {
            p = Partitioner.partition(model, PartitionOptions.defaults().withPrefer(options.prefer()).withInputShapes(bounds));
            lines.addAll(p.report());
        } catch (dev.javelin.runtime.ModelException e) {
            lines.add("no partition plan: " + e.getMessage());
        }
        records.add(new BundleManifest.GraphStepRecord("partition", lines));
        lines.forEach(l -> progress.line("partition: " + l));
        return p;
    }

    /**
     * The accuracy report of a precision build: the float32 source against the converted model on ONNX Runtime CPU,
     * on samples no step learned from ({@code --eval-data}, else the held-back part of {@code --calib-data}).
     */
    private static AccuracyReport accuracy(OnnxModel float32, OnnxModel converted, BuildOptions options, Progress progress) {
        String label = options.precision().name().toLowerCase(Locale.ROOT);
        dev.javelin.builder.precision.CalibrationData held = PrecisionSteps.heldBack(options, float32);
        progress.line("accuracy: " + label + " against float32 on " + held.describe());
        AccuracyReport r = PrecisionAccuracy.evaluate(float32, converted, label, held, PrecisionAccuracy.defaults(label));
        accuracyLines(r).forEach(l -> progress.line("accuracy: " + l));
        return r;
    }

    private static List<String> accuracyLines(AccuracyReport r) {
        List<String> lines = new ArrayList<>(r.tableLines());
        lines.add(r.passed() ? "passed: every output within the thresholds"
                : "FAILED: some output is outside the thresholds (see " + ACCURACY_FILE + "); the bundle is written anyway");
        return lines;
    }

    /** Replacing a bundle deletes its model files, so the source may not live in the output folder. */
    private static void refuseSourceInside(Path source, Path out) {
        try {
            if (java.nio.file.Files.isDirectory(out) && source.toRealPath().startsWith(out.toRealPath())) {
                throw new dev.javelin.runtime.ModelException("the source model " + source + " is inside the output folder "
                        + out + ", whose model files the new bundle replaces; write the bundle to another folder");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve " + source + " or " + out + ": " + e.getMessage(), e);
        }
    }

    private static TensorRtOptions trtOptions(BuildOptions o) {
        return TensorRtOptions.defaults().withShapes(o.shapes()).withWorkspace(o.workspaceBytes())
                .withOptimizationLevel(o.optimizationLevel()).withTimingCache(o.timingCache());
    }

    private static void updateManifest(BundleManifest m, Path out) {
        try {
            BundleWriter.writeManifest(m, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + out.resolve(BundleManifest.FILE_NAME) + ": " + e.getMessage(), e);
        }
    }
}

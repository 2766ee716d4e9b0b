package dev.javelin.runtime.bundle;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.trt.InputShapes;
import dev.javelin.runtime.trt.OptimizationProfile;
import dev.javelin.runtime.trt.TensorRtOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The contract between {@code javelin build} (which writes it as {@code manifest.json}) and the runtime (which
 * reads it): what a bundle folder holds and what its engine plans were built for. Serialized by
 * {@link ManifestCodec}; every file it names is a plain name inside the bundle folder ({@link Bundle} checks).
 *
 * @param formatVersion  {@link #FORMAT_VERSION} when written by this Javelin
 * @param createdBy      what wrote it, e.g. {@code javelin 0.1.0}
 * @param source         the model the bundle was built from
 * @param model          the transformed ONNX model in the bundle
 * @param precision      the precision the graph was prepared for
 * @param calibration    INT8 calibration, or {@code null}
 * @param inputs         model inputs with symbolic dimensions
 * @param outputs        model outputs with symbolic dimensions
 * @param profiles       named optimisation profiles; engines refer to them by name
 * @param build          TensorRT builder settings that, with a profile, reproduce an engine
 * @param tensorRt       whether a plan was built, and why not
 * @param engines        engine plans in the bundle, each for one TensorRT version and compute capability
 * @param legalization   per-node decisions for ops TensorRT cannot build as is (empty when none)
 * @param partitionPlan  file name of a partition plan in the bundle, or {@code null}
 * @param graphSteps     the graph steps the builder ran, with their reports
 */
public record BundleManifest(int formatVersion, String createdBy, SourceModel source, ModelFile model, Precision precision,
                             Calibration calibration, List<IoTensor> inputs, List<IoTensor> outputs, List<Profile> profiles,
                             BuildSettings build, TensorRtStatus tensorRt, List<EngineRecord> engines,
                             List<LegalizationDecision> legalization, String partitionPlan, List<GraphStepRecord> graphSteps) {
    /** The format this Javelin writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;
    /** The manifest's file name in a bundle folder. */
    public static final String FILE_NAME = "manifest.json";

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public BundleManifest {
        if (formatVersion < 1) {
            throw new IllegalArgumentException("format version must be >= 1, was " + formatVersion);
        }
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(build, "build");
        Objects.requireNonNull(tensorRt, "tensorRt");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        profiles = List.copyOf(profiles);
        engines = List.copyOf(engines);
        legalization = List.copyOf(legalization);
        graphSteps = List.copyOf(graphSteps);
        for (EngineRecord e : engines) {
            if (profiles.stream().noneMatch(p -> p.name().equals(e.profile()))) {
                throw new IllegalArgumentException("engine " + e.file() + " refers to profile '" + e.profile()
                        + "', which the manifest does not define (it has " + profiles.stream().map(Profile::name).toList() + ")");
            }
        }
    }

    static void checkSha256(String what, String hex) {
        if (hex == null || !SHA256.matcher(hex).matches()) {
            throw new IllegalArgumentException(what + " must be 64 lower-case hex digits, was " + hex);
        }
    }

    /**
     * The model the bundle was built from.
     *
     * @param file   its file name (no folder), for the record
     * @param sha256 hex SHA-256 of its bytes
     */
    public record SourceModel(String file, String sha256) {
        public SourceModel {
            Objects.requireNonNull(file, "file");
            checkSha256("source sha256", sha256);
        }
    }

    /**
     * The ONNX model in the bundle.
     *
     * @param file         file name inside the bundle, normally {@code model.onnx}
     * @param sha256       hex SHA-256 of that file (checked when the bundle is opened)
     * @param bytes        its size
     * @param externalData external data files it refers to, inside the bundle (their sizes are checked)
     */
    public record ModelFile(String file, String sha256, long bytes, List<DataFile> externalData) {
        public ModelFile {
            Objects.requireNonNull(file, "file");
            checkSha256("model sha256", sha256);
            externalData = List.copyOf(externalData);
        }
    }

    /**
     * An external data file of the model.
     *
     * @param file  file name inside the bundle
     * @param bytes its size
     */
    public record DataFile(String file, long bytes) {
        public DataFile {
            Objects.requireNonNull(file, "file");
        }
    }

    /**
     * How INT8 scales were calibrated.
     *
     * @param calibrator      {@code max}, {@code percentile} or {@code entropy}
     * @param dataFingerprint hex SHA-256 over the calibration data, or {@code null}
     */
    public record Calibration(String calibrator, String dataFingerprint) {
        public Calibration {
            Objects.requireNonNull(calibrator, "calibrator");
        }
    }

    /**
     * A model input or output.
     *
     * @param name  tensor name
     * @param dtype element type label ({@code float32}, {@code int64}; any ONNX type, e.g. {@code float64})
     * @param dims  dimensions (fixed, symbolic or unknown), or {@code null} when the rank is unknown
     */
    public record IoTensor(String name, String dtype, List<TensorInfo.Dim> dims) {
        public IoTensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            dims = dims == null ? null : List.copyOf(dims);
        }

        /** From a runtime signature entry. */
        public static IoTensor of(TensorInfo t) {
            return new IoTensor(t.name(), t.dtype().label(), t.dims());
        }

        /**
         * As a runtime signature entry.
         *
         * @throws ModelException if the element type or rank is one Javelin does not carry at the model boundary
         */
        public TensorInfo toTensorInfo() {
            if (dims == null) {
                throw new ModelException("tensor '" + name + "' has an unknown rank in the bundle manifest");
            }
            try {
                return new TensorInfo(name, DType.parse(dtype), dims);
            } catch (IllegalArgumentException e) {
                throw new ModelException("tensor '" + name + "' has element type " + dtype + ", which Javelin does not carry"
                        + " at the model boundary", e);
            }
        }
    }

    /** The inputs and outputs as a runtime signature. */
    public ModelSignature signature() {
        List<TensorInfo> in = new ArrayList<>();
        inputs.forEach(t -> in.add(t.toTensorInfo()));
        List<TensorInfo> out = new ArrayList<>();
        outputs.forEach(t -> out.add(t.toTensorInfo()));
        return new ModelSignature(in, out);
    }

    /**
     * A named optimisation profile.
     *
     * @param name    its name, e.g. {@code default}
     * @param profile the min/opt/max shapes of each dynamic input
     */
    public record Profile(String name, OptimizationProfile profile) {
        public Profile {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(profile, "profile");
        }
    }

    /** The profile called {@code name}. */
    public Optional<Profile> profile(String name) {
        return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * TensorRT builder settings besides the profile.
     *
     * @param workspaceBytes    workspace limit, 0 for TensorRT's default
     * @param optimizationLevel builder optimisation level 0-5, -1 for TensorRT's default
     */
    public record BuildSettings(long workspaceBytes, int optimizationLevel) {
        /**
         * The options that build (or rebuild) an engine of this bundle for {@code profile}: the profile as explicit
         * per-input shapes plus these settings. {@code javelin build} and a runtime rebuild both use this, so their
         * engine cache keys agree.
         */
        public TensorRtOptions options(OptimizationProfile profile) {
            return TensorRtOptions.defaults().withShapes(InputShapes.of(profile)).withWorkspace(workspaceBytes)
                    .withOptimizationLevel(optimizationLevel);
        }
    }

    /**
     * Whether the TensorRT step produced a plan.
     *
     * @param built  whether at least one engine plan was built
     * @param detail why not (e.g. {@code --onnx-only}, or the "no GPU" reason), or what was built
     */
    public record TensorRtStatus(boolean built, String detail) {
        public TensorRtStatus {
            detail = detail == null ? "" : detail;
        }
    }

    /**
     * One engine plan in the bundle.
     *
     * @param file              plan file name inside the bundle
     * @param sha256            hex SHA-256 of the plan (checked when it is loaded)
     * @param bytes             its size
     * @param profile           name of the profile it was built with
     * @param tensorRtVersion   TensorRT version that built it ({@code 10.15.1}); the plan loads only there
     * @param cudaVersion       CUDA runtime version at build time, or {@code null} if unknown
     * @param computeCapability compute capability it was built for ({@code 8.6}); the plan loads only there
     * @param device            GPU name it was built on
     * @param builderCalls      the builder calls that made it
     */
    public record EngineRecord(String file, String sha256, long bytes, String profile, String tensorRtVersion,
                               String cudaVersion, String computeCapability, String device, List<String> builderCalls) {
        public EngineRecord {
            Objects.requireNonNull(file, "file");
            checkSha256("engine sha256", sha256);
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
            Objects.requireNonNull(computeCapability, "computeCapability");
            device = device == null ? "" : device;
            builderCalls = List.copyOf(builderCalls);
        }
    }

    /**
     * A graph step the builder ran.
     *
     * @param name   step name
     * @param report what it did, one line each
     */
    public record GraphStepRecord(String name, List<String> report) {
        public GraphStepRecord {
            Objects.requireNonNull(name, "name");
            report = List.copyOf(report);
        }
    }

    /** This manifest with other engines and TensorRT status. */
    public BundleManifest withEngines(List<EngineRecord> newEngines, TensorRtStatus status) {
        return new BundleManifest(formatVersion, createdBy, source, model, precision, calibration, inputs, outputs, profiles,
                build, status, newEngines, legalization, partitionPlan, graphSteps);
    }

    /**
     * A file the manifest names.
     *
     * @param field the manifest field naming it, e.g. {@code engines[0].file}
     * @param name  the file name as written
     */
    public record FileRef(String field, String name) {
    }

    /** Every file the manifest names (model, external data, plans, partition plan), with the field naming it. */
    public List<FileRef> files() {
        List<FileRef> out = new ArrayList<>();
        out.add(new FileRef("model.file", model.file()));
        for (int i = 0; i < model.externalData().size(); i++) {
            out.add(new FileRef("model.external_data[" + i + "].file", model.externalData().get(i).file()));
        }
        for (int i = 0; i < engines.size(); i++) {
            out.add(new FileRef("engines[" + i + "].file", engines.get(i).file()));
        }
        if (partitionPlan != null) {
            out.add(new FileRef("partition_plan", partitionPlan));
        }
        return out;
    }
}

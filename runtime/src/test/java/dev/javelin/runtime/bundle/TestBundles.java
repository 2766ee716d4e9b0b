package dev.javelin.runtime.bundle;

import dev.javelin.runtime.TensorInfo.Dim;
import dev.javelin.runtime.testing.TestModels;
import dev.javelin.runtime.trt.OptimizationProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Bundles written by hand for runtime tests (the builder, which writes real ones, sits above the runtime). */
final class TestBundles {
    static final String SOURCE_SHA = "a".repeat(64);

    private TestBundles() {
    }

    /** The profile of {@link TestModels#addBatch}: batch 1/1/32. */
    static OptimizationProfile addBatchProfile() {
        return new OptimizationProfile(Map.of(
                "a", new OptimizationProfile.Range(new long[] {1, 16}, new long[] {1, 16}, new long[] {32, 16}),
                "b", new OptimizationProfile.Range(new long[] {1, 16}, new long[] {1, 16}, new long[] {32, 16})));
    }

    static BundleManifest.EngineRecord engine(String file, byte[] plan, String trt, String cc) {
        return new BundleManifest.EngineRecord(file, Bundle.sha256(plan), plan.length, "default", trt, "13.1", cc,
                "NVIDIA RTX A4000", List.of("createNetworkV2(kSTRONGLY_TYPED)"));
    }

    /** A manifest for a model file of these bytes, with the given engines. */
    static BundleManifest manifest(byte[] model, List<BundleManifest.EngineRecord> engines) {
        List<Dim> dims = List.of(Dim.symbolic("batch"), Dim.fixed(16));
        return new BundleManifest(BundleManifest.FORMAT_VERSION, "javelin test", new BundleManifest.SourceModel("add_batch.onnx",
                SOURCE_SHA), new BundleManifest.ModelFile("model.onnx", Bundle.sha256(model), model.length, List.of()),
                Precision.FP32, null,
                List.of(new BundleManifest.IoTensor("a", "float32", dims), new BundleManifest.IoTensor("b", "float32", dims)),
                List.of(new BundleManifest.IoTensor("c", "float32", dims)),
                List.of(new BundleManifest.Profile("default", addBatchProfile())),
                new BundleManifest.BuildSettings(0, -1),
                engines.isEmpty() ? new BundleManifest.TensorRtStatus(false, "--onnx-only")
                        : new BundleManifest.TensorRtStatus(true, "built"),
                engines, List.of(), null, List.of());
    }

    /**
     * {@code dir/bundle} holding {@link TestModels#addBatch} as model.onnx, the given plans and a manifest.
     *
     * @param plans file name to plan bytes; each becomes an engine for TensorRT {@code trt} on compute {@code cc}
     */
    static Path write(Path dir, Map<String, byte[]> plans, String trt, String cc) {
        try {
            Path bundle = Files.createDirectories(dir.resolve("bundle"));
            Path model = TestModels.addBatch(dir);
            byte[] bytes = Files.readAllBytes(model);
            Files.write(bundle.resolve("model.onnx"), bytes);
            List<BundleManifest.EngineRecord> engines = new java.util.ArrayList<>();
            for (Map.Entry<String, byte[]> p : plans.entrySet()) {
                Files.write(bundle.resolve(p.getKey()), p.getValue());
                engines.add(engine(p.getKey(), p.getValue(), trt, cc));
            }
            ManifestCodec.write(manifest(bytes, engines), bundle);
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites the bundle's manifest with {@code edit} applied to its JSON text. */
    static void editManifest(Path bundle, java.util.function.UnaryOperator<String> edit) {
        try {
            Path f = bundle.resolve(BundleManifest.FILE_NAME);
            Files.writeString(f, edit.apply(Files.readString(f)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

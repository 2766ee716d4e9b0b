package dev.javelin.runtime.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.TensorInfo.Dim;
import dev.javelin.runtime.trt.OptimizationProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** manifest.json written and read back, field by field, and the messages for broken manifests. */
class ManifestCodecTest {
    /** A manifest with every field set, including the optional ones. */
    static BundleManifest full() {
        OptimizationProfile profile = new OptimizationProfile(Map.of("input_ids",
                new OptimizationProfile.Range(new long[] {1, 16}, new long[] {8, 128}, new long[] {32, 256})));
        return new BundleManifest(1, "javelin 0.1.0",
                new BundleManifest.SourceModel("all-minilm-l6-v2.onnx", "0".repeat(64)),
                new BundleManifest.ModelFile("model.onnx", "1".repeat(64), 123,
                        List.of(new BundleManifest.DataFile("model.onnx.data", 4096))),
                Precision.INT8, new BundleManifest.Calibration("entropy", "2".repeat(64)),
                List.of(new BundleManifest.IoTensor("input_ids", "int64", List.of(Dim.symbolic("batch"), Dim.symbolic("dim_1"))),
                        new BundleManifest.IoTensor("scale", "float64", List.of()),
                        new BundleManifest.IoTensor("opaque", "float32", null)),
                List.of(new BundleManifest.IoTensor("pooled", "float32", List.of(Dim.symbolic("batch"), Dim.fixed(384),
                        Dim.symbolic(null)))),
                List.of(new BundleManifest.Profile("default", profile)),
                new BundleManifest.BuildSettings(1L << 30, 4),
                new BundleManifest.TensorRtStatus(true, "built on cuda:0 NVIDIA L4"),
                List.of(new BundleManifest.EngineRecord("engine.sm89-trt10.15.1.plan", "3".repeat(64), 999, "default",
                        "10.15.1", "13.1", "8.9", "NVIDIA L4", List.of("createNetworkV2(kSTRONGLY_TYPED)", "setBuilderOptimizationLevel(4)"))),
                List.of(new LegalizationDecision("Gelu_12", "com.microsoft:FastGelu", "rewrite", "tanh approximation, max abs 2e-7")),
                "partition.json",
                List.of(new BundleManifest.GraphStepRecord("dim-names", List.of("input_ids dimension 1: batch -> dim_1"))));
    }

    @Test
    void everyFieldSurvivesARoundTrip(@TempDir Path dir) throws Exception {
        BundleManifest m = full();
        Path file = ManifestCodec.write(m, dir);
        assertEquals(dir.resolve("manifest.json"), file);
        BundleManifest back = ManifestCodec.parse(Files.readString(file), file.toString());
        assertEquals(m, back);
        assertEquals(ManifestCodec.toJson(m), ManifestCodec.toJson(back));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file is left behind");
        }
    }

    @Test
    void theJsonSpeaksOnnxShapesAndSnakeCase() throws Exception {
        JsonNode j = new ObjectMapper().readTree(ManifestCodec.toJson(full()));
        assertEquals("javelin-bundle", j.get("format").asText());
        assertEquals(1, j.get("format_version").asInt());
        assertEquals("[\"batch\",\"dim_1\"]", j.at("/signature/inputs/0/shape").toString());
        assertEquals("[\"batch\",384,null]", j.at("/signature/outputs/0/shape").toString(), "unknown dimension is null");
        assertTrue(j.at("/signature/inputs/2/shape").isNull(), "unknown rank is null");
        assertEquals("[1,16]", j.at("/profiles/0/inputs/input_ids/min").toString());
        assertEquals("8.9", j.at("/engines/0/compute_capability").asText());
        assertEquals("10.15.1", j.at("/engines/0/tensorrt_version").asText());
        assertEquals("13.1", j.at("/engines/0/cuda_version").asText());
        assertEquals("rewrite", j.at("/legalization/0/decision").asText());
        assertEquals("partition.json", j.get("partition_plan").asText());
        assertEquals("int8", j.get("precision").asText());
        assertEquals("entropy", j.at("/calibration/calibrator").asText());
        assertEquals("built", j.at("/tensorrt/status").asText());
    }

    @Test
    void optionalFieldsMayBeNullOrEmpty() {
        BundleManifest m = TestBundles.manifest(new byte[] {1}, List.of());
        BundleManifest back = ManifestCodec.parse(ManifestCodec.toJson(m), "m");
        assertEquals(m, back);
        assertEquals(null, back.calibration());
        assertEquals(null, back.partitionPlan());
        assertEquals(List.of(), back.legalization());
        assertEquals(false, back.tensorRt().built());
        assertEquals(List.of(new TensorInfo("a", DType.FLOAT32, List.of(Dim.symbolic("batch"), Dim.fixed(16))),
                new TensorInfo("b", DType.FLOAT32, List.of(Dim.symbolic("batch"), Dim.fixed(16)))), back.signature().inputs());
    }

    private static String broken(String json) {
        return assertThrows(ModelException.class, () -> ManifestCodec.parse(json, "b/manifest.json")).getMessage();
    }

    @Test
    void brokenManifestsNameTheField() {
        String good = ManifestCodec.toJson(full());
        assertEquals("b/manifest.json: field 'engines[0].compute_capability' is missing",
                broken(good.replace("\"compute_capability\" : \"8.9\",", "")));
        assertEquals("b/manifest.json: field 'model.bytes' must be an integer, was \"123\"",
                broken(good.replace("\"bytes\" : 123,", "\"bytes\" : \"123\",")));
        assertEquals("b/manifest.json has format version 2; this Javelin reads up to 1 (the bundle was written by a newer Javelin)",
                broken(good.replace("\"format_version\" : 1", "\"format_version\" : 2")));
        assertEquals("b/manifest.json: field 'precision' is 'bf16'; expected fp32, fp16 or int8",
                broken(good.replace("\"int8\"", "\"bf16\"")));
        assertEquals("b/manifest.json: field 'tensorrt.status' is 'maybe', expected built or not_built",
                broken(good.replace("\"built\"", "\"maybe\"")));
        assertTrue(broken(good.replace("\"profile\" : \"default\"", "\"profile\" : \"fast\"")).contains(
                "engine engine.sm89-trt10.15.1.plan refers to profile 'fast', which the manifest does not define"));
        assertTrue(broken(good.replace("1".repeat(64), "xyz")).contains("model sha256 must be 64 lower-case hex digits"));
        assertTrue(broken("{\"format\": ").startsWith("b/manifest.json is not valid JSON"));
        assertEquals("b/manifest.json: field 'format' is 'onnx', expected 'javelin-bundle'",
                broken(good.replace("\"javelin-bundle\"", "\"onnx\"")));
    }
}

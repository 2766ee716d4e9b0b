package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The element check, the statistics and the report, against hand-computed values. */
class AccuracyReportTest {
    @TempDir
    Path tmp;

    @Test
    void anElementFailsOnlyIfBothToleranceAreExceeded() {
        AccuracyTolerance t = new AccuracyTolerance(0.1, 0.01);
        assertFalse(t.fails(1000, 1005), "abs 5 > 0.1 but rel 0.005 <= 0.01");
        assertFalse(t.fails(0.001, 0.05), "rel 49 > 0.01 but abs 0.049 <= 0.1");
        assertTrue(t.fails(1, 1.5), "abs 0.5 and rel 0.5");
        assertTrue(t.fails(0, 0.2), "a zero reference has a huge relative error");
        assertFalse(t.fails(Double.NaN, Double.NaN));
        assertFalse(t.fails(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY));
        assertTrue(t.fails(1, Double.NaN));
        assertTrue(t.fails(Double.NaN, 1));
        assertTrue(t.fails(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
        assertTrue(t.fails(65504, Double.POSITIVE_INFINITY), "float16 overflow");
        assertEquals(0.2 / AccuracyTolerance.ZERO_REFERENCE, AccuracyTolerance.relativeError(0, 0.2), 1);
        assertEquals(0.5, AccuracyTolerance.relativeError(-2, -3), 0);
        assertThrows(IllegalArgumentException.class, () -> new AccuracyTolerance(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new AccuracyTolerance(0, Double.NaN));
    }

    @Test
    void statisticsOfOneOutputOverTwoSamples() {
        AccuracyStats s = stats(AccuracyThresholds.of(new AccuracyTolerance(0.05, 0.05)));
        AccuracyReport.OutputAccuracy o = s.result();
        assertEquals(12, o.elements());
        assertEquals(2, o.samples());
        assertEquals(0.6, o.maxAbs(), 1e-12);
        assertEquals((0.1 + 0.02 + 0.5 + 0.6) / 12, o.meanAbs(), 1e-12);
        assertEquals(0.5 / AccuracyTolerance.ZERO_REFERENCE, o.maxRel(), 1e3, "0 -> 0.5 against a zero reference");
        // Failing: 3 -> 3.1 (abs 0.1, rel 0.033: passes), 0 -> 0.02 (abs 0.02: passes), 0 -> 0.5 and 1 -> 1.6 fail.
        assertEquals(2, o.failing());
        assertEquals(0.75, o.top1(), 0, "3 of 4 rows keep their argmax");
        double dot = 0 + 1.6 + 2.25 + 4 + 4;
        double cos2 = dot / (Math.sqrt(1 + 2.25 + 4 + 4) * Math.sqrt(0.25 + 2.56 + 2.25 + 4 + 4));
        assertEquals(cos2, o.cosine(), 1e-12, "the lower of the two samples' cosines");
        assertFalse(o.passed());
        assertTrue(o.failure().startsWith("2 of 12 elements exceed both atol 0.05 and rtol 0.05"), o.failure());

        AccuracyReport.OutputAccuracy loose = stats(new AccuracyThresholds(new AccuracyTolerance(1, 1), 0.9, 0.8)).result();
        assertEquals(0, loose.failing());
        assertFalse(loose.passed());
        assertTrue(loose.failure().startsWith("top-1 agreement 0.75 below 0.8"), loose.failure());
        assertTrue(stats(new AccuracyThresholds(new AccuracyTolerance(1, 1), 0.97, 0.7)).result().passed());
        AccuracyReport.OutputAccuracy cos = stats(new AccuracyThresholds(new AccuracyTolerance(1, 1), 0.999, Double.NaN)).result();
        assertTrue(cos.failure().startsWith("cosine similarity"), cos.failure());
    }

    /** Two samples of a [2, 3] output with hand-picked errors. */
    private static AccuracyStats stats(AccuracyThresholds thresholds) {
        AccuracyStats s = new AccuracyStats("logits", thresholds, false);
        // Sample 1: 2 rows x 3 classes; row argmaxes 2 and 0 in both.
        s.add(new double[] {1, 2, 3, 4, 0, 0}, new double[] {1, 2, 3.1, 4, 0, 0.02}, Shape.of(2, 3));
        // Sample 2: row 0 argmax flips (2 -> 1); the 0 -> 0.5 element fails (abs 0.5, rel huge).
        s.add(new double[] {0, 1, 1.5, 2, 2, 0}, new double[] {0.5, 1.6, 1.5, 2, 2, 0}, Shape.of(2, 3));
        return s;
    }

    @Test
    void shapeMismatchAndMissingOutputsFail() {
        AccuracyReport r = AccuracyReport.of("a", "b",
                List.of(Map.of("y", Tensor.of(new float[] {1, 2}, Shape.of(2)), "z", Tensor.of(new float[] {1}, Shape.of(1)))),
                List.of(Map.of("y", Tensor.of(new float[] {1, 2}, Shape.of(1, 2)))),
                AccuracyThresholds.of(AccuracyTolerance.DEFAULT), Set.of());
        assertFalse(r.passed());
        assertEquals("shape [1, 2] in the candidate, [2] in the reference", r.output("y").failure());
        assertTrue(r.output("z").failure().startsWith("missing from the candidate's outputs"), r.output("z").failure());
        assertThrows(IllegalArgumentException.class, () -> r.output("nope"));
    }

    private static OnnxModel affine(float scale, float bias) {
        return OnnxModel.of(OnnxGraphBuilder.graph("affine")
                .input("x", ElementType.FLOAT, "n", 4)
                .initializer(Tensors.floats("s", new long[] {1}, scale))
                .initializer(Tensors.floats("b", new long[] {1}, bias))
                .node("Mul").inputs("x", "s").outputs("t").add()
                .node("Add").inputs("t", "b").outputs("y").add()
                .node("ArgMax").inputs("y").outputs("idx").attr("axis", 1L).attr("keepdims", 0L).add()
                .output("y", ElementType.FLOAT, "n", 4)
                .output("idx", ElementType.INT64, "n")
                .buildModel(), null);
    }

    /**
     * Two models run on ORT CPU over two samples; the report's numbers are the closed-form differences
     * (candidate = reference + 0.001 everywhere), its table and its JSON.
     */
    @Test
    void runComparesTwoModelsOnOrtAndRendersTableAndJson() throws Exception {
        List<Map<String, Tensor>> samples = List.of(
                Map.of("x", Tensor.of(new float[] {1, 2, 3, 4, -1, -2, -3, -4}, Shape.of(2, 4))),
                Map.of("x", Tensor.of(new float[] {0.5f, 0.25f, 8, 1}, Shape.of(1, 4))));
        Path ref = affine(2, 1).write(tmp.resolve("ref.onnx")).file().orElseThrow();
        AccuracyReport r = AccuracyReport.run(CompareModel.of(ref), CompareModel.of(affine(2, 1.001f), "candidate"),
                samples, AccuracyReport.Options.of(AccuracyThresholds.of(1e-2, 1e-2)));
        assertTrue(r.passed(), String.join("\n", r.tableLines()));
        AccuracyReport.OutputAccuracy y = r.output("y");
        assertEquals(12, y.elements());
        assertEquals(0.001, y.maxAbs(), 1e-5);
        assertEquals(0.001, y.meanAbs(), 1e-5);
        assertEquals(1.0, y.top1(), 0, "rank 2 with 4 columns is classifier-like");
        assertEquals(0, r.output("idx").maxAbs());
        assertEquals(DType.INT64, r.output("idx").referenceType());
        List<String> table = r.tableLines();
        assertTrue(table.get(0).startsWith("reference  " + ref + " [cpu]"), table.get(0));
        assertEquals("candidate  candidate [cpu]", table.get(1));
        assertTrue(table.stream().anyMatch(l -> l.matches("\\s+y\\s+\\[2, 4\\]\\s+.*\\s+ok")), String.join("\n", table));
        assertEquals("PASSED: every output within tolerance", table.get(table.size() - 1));

        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertTrue(json.get("passed").asBoolean());
        assertEquals(2, json.get("samples").asInt());
        assertEquals(0.01, json.get("atol").asDouble());
        assertTrue(json.get("min_cosine").isNull());
        JsonNode out = json.get("outputs").get(0);
        assertEquals("y", out.get("name").asText());
        assertEquals("[2,4]", out.get("shape").toString());
        assertEquals(0.001, out.get("max_abs").asDouble(), 1e-5);
        assertEquals(0, out.get("failing_elements").asLong());
        assertTrue(json.get("outputs").get(1).get("top1").isNull(), "a rank-1 int output has no top-1");

        AccuracyReport strict = AccuracyReport.run(CompareModel.of(ref), CompareModel.of(affine(2, 1.001f), "candidate"),
                samples, AccuracyReport.Options.of(AccuracyThresholds.of(1e-5, 1e-5)));
        assertFalse(strict.passed());
        assertEquals(12, strict.output("y").failing());
        assertTrue(strict.tableLines().get(strict.tableLines().size() - 1).startsWith("FAILED: 1 of 2 outputs"));
    }

    /** A float16-input candidate gets the float32 samples rounded; wrong inputs are named. */
    @Test
    void inputsAreAdaptedToEachModelsFloatPrecisionAndCheckedByName() {
        OnnxModel ref = affine(2, 1);
        OnnxModel half = Fp16Converter.convert(ref, Fp16Converter.Options.builder().keepIoTypes(false).build()).model();
        List<Map<String, Tensor>> samples = List.of(Map.of("x", Tensor.of(new float[] {1, 2, 3, 1000.1f}, Shape.of(1, 4))));
        AccuracyReport r = AccuracyReport.run(CompareModel.of(ref, "fp32"), CompareModel.of(half, "fp16"), samples,
                AccuracyReport.Options.of(AccuracyThresholds.of(1, 1e-3)));
        assertEquals(DType.FLOAT16, r.output("y").candidateType());
        assertTrue(r.passed(), String.join("\n", r.tableLines()));
        assertTrue(r.output("y").maxAbs() > 0, "1000.1 rounds to 1000 in float16");

        assertThrows(InvalidInputException.class, () -> AccuracyReport.run(CompareModel.of(ref, "a"), CompareModel.of(ref, "b"),
                List.of(Map.of("wrong", Tensor.of(new float[] {1}, Shape.of(1)))), AccuracyReport.Options.of(
                        AccuracyThresholds.of(AccuracyTolerance.DEFAULT))));
        assertThrows(IllegalArgumentException.class, () -> AccuracyReport.run(CompareModel.of(ref, "a"),
                CompareModel.of(ref, "b"), List.of(), AccuracyReport.Options.of(AccuracyThresholds.of(AccuracyTolerance.DEFAULT))));
    }

    @Test
    void bundleFoldersAreAcceptedOtherFoldersAndMissingFilesAreNot() throws Exception {
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Files.writeString(bundle.resolve("manifest.json"), "{}");
        assertEquals(bundle.toString(), CompareModel.of(bundle).label(), "a bundle folder is a model to compare");
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        ModelException folder = assertThrows(ModelException.class, () -> CompareModel.of(plain));
        assertTrue(folder.getMessage().contains("is a folder without manifest.json"), folder.getMessage());
        ModelException missing = assertThrows(ModelException.class, () -> CompareModel.of(tmp.resolve("nope.onnx")));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }
}

package dev.javelin.builder.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.bundle.Bundle;
import dev.javelin.runtime.bundle.BundleManifest;
import dev.javelin.runtime.bundle.LegalizationDecision;
import dev.javelin.runtime.bundle.Precision;
import dev.javelin.runtime.trt.InputShapes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build pipeline: steps plug in and are recorded, the bundle is written and replaced safely, options checked. */
class BundleBuildTest {
    /** A step that renames the graph and reports a decision, standing in for the legalizer. */
    private static final GraphStep RENAME = new GraphStep() {
        @Override
        public String name() {
            return "rename";
        }

        @Override
        public StepOutcome apply(OnnxModel model) {
            OnnxModel out = model.withProto(model.proto().toBuilder().setGraph(model.proto().getGraph().toBuilder()
                    .setName("renamed")).build());
            return new StepOutcome(out, List.of("graph renamed"),
                    List.of(new LegalizationDecision("Sub_0", "Sub", "tensorrt", "kept")));
        }
    };

    @Test
    void stepsRunInOrderAndTheirReportsAndDecisionsReachTheManifest(@TempDir Path dir) {
        List<String> progress = new ArrayList<>();
        BundleBuild build = new BundleBuild("javelin test", o -> List.of(new CheckGraphStep(), RENAME));
        BuildReport r = build.run(BuildTestModels.reusedSymbol(dir), dir.resolve("out"),
                BuildOptions.defaults().withOnnxOnly(true), recording(progress));
        BundleManifest m = Bundle.open(r.bundle()).manifest();
        assertEquals(List.of("check", "rename"), m.graphSteps().stream().map(BundleManifest.GraphStepRecord::name).toList());
        assertEquals(List.of("graph renamed"), m.graphSteps().get(1).report());
        assertEquals(List.of(new LegalizationDecision("Sub_0", "Sub", "tensorrt", "kept")), m.legalization());
        assertEquals("renamed", OnnxModel.load(r.bundle().resolve("model.onnx")).proto().getGraph().getName(),
                "model.onnx is the transformed model");
        assertEquals(List.of("step 1/3 load", "step 2/3 graph steps: check, rename", "step 3/3 write bundle"),
                progress.stream().filter(l -> l.startsWith("step")).map(l -> l.replaceAll(" (/|" + dir + ").*$", ""))
                        .toList());
        assertNull(r.tensorRtFailure());
        assertFalse(r.planBuilt());
        assertEquals("--onnx-only: the TensorRT step was skipped on purpose", m.tensorRt().detail());
    }

    @Test
    void theDefaultStepsAndTheManifestOfASmallModel(@TempDir Path dir) {
        Path source = BuildTestModels.reusedSymbol(dir);
        BuildReport r = new BundleBuild("javelin test").run(source, dir.resolve("out"),
                BuildOptions.defaults().withOnnxOnly(true), Progress.silent());
        BundleManifest m = r.manifest();
        assertEquals(m, Bundle.open(r.bundle()).manifest(), "the manifest on disk is the one reported");
        assertEquals(List.of("check", "dim-names", "legalize"),
                m.graphSteps().stream().map(BundleManifest.GraphStepRecord::name).toList());
        assertEquals(new BundleManifest.SourceModel("reused.onnx", Bundle.sha256(source)), m.source());
        assertEquals("[x: float32[batch, dim_1], m: float32[batch, 4]]", m.signature().inputs().toString());
        assertEquals("x:1x1/1x256/32x2048,m:1x4/1x4/32x4",
                InputShapes.of(m.profiles().get(0).profile()).toString());
        assertEquals(Precision.FP32, m.precision());
        assertEquals(List.of(), m.engines());
        assertEquals(List.of(), m.legalization());
        assertNull(m.partitionPlan());
        assertEquals("javelin test", m.createdBy());
    }

    @Test
    void withoutAGpuTheTensorRtStepIsTheTypedErrorAndTheBundleStaysUsable(@TempDir Path dir) {
        Assumptions.assumeFalse(NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available(),
                "this machine has an NVIDIA driver; the GPU build test covers it");
        BuildReport r = new BundleBuild("javelin test").run(BuildTestModels.reusedSymbol(dir), dir.resolve("out"),
                BuildOptions.defaults().withEngineCacheDir(dir.resolve("engines")), Progress.silent());
        BackendUnavailableException e = assertInstanceOf(BackendUnavailableException.class, r.tensorRtFailure());
        assertEquals("tensorrt", e.backend());
        BundleManifest m = Bundle.open(r.bundle()).manifest();
        assertFalse(m.tensorRt().built());
        assertEquals("the TensorRT step failed: " + e.getMessage(), m.tensorRt().detail());
        assertEquals(List.of(), m.engines());
        assertFalse(Files.exists(dir.resolve("engines")), "nothing was cached");
    }

    @Test
    void aPreviousBundleIsReplacedButOtherFoldersAreNotTouched(@TempDir Path dir) throws Exception {
        Path source = BuildTestModels.reusedSymbol(dir);
        Path out = dir.resolve("out");
        BundleBuild build = new BundleBuild("javelin test");
        build.run(source, out, BuildOptions.defaults().withOnnxOnly(true), Progress.silent());
        Files.write(out.resolve("engine.sm86-trt10.15.1.plan"), new byte[] {1}); // a plan of an earlier build
        Files.writeString(out.resolve("notes.txt"), "mine");
        build.run(source, out, BuildOptions.defaults().withOnnxOnly(true), Progress.silent());
        assertFalse(Files.exists(out.resolve("engine.sm86-trt10.15.1.plan")), "the old plan is gone with the old manifest");
        assertEquals("mine", Files.readString(out.resolve("notes.txt")), "files a bundle does not own stay");

        ModelException self = assertThrows(ModelException.class, () -> build.run(out.resolve("model.onnx"), out,
                BuildOptions.defaults().withOnnxOnly(true), Progress.silent()));
        assertTrue(self.getMessage().contains("is inside the output folder"), self.getMessage());
        assertTrue(Files.exists(out.resolve("model.onnx")), "the bundle is left as it was");

        Path other = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(other.resolve("cat.jpg"), "meow");
        ModelException e = assertThrows(ModelException.class,
                () -> build.run(source, other, BuildOptions.defaults().withOnnxOnly(true), Progress.silent()));
        assertEquals("output folder " + other + " is not empty and holds no bundle (no manifest.json); choose a new or"
                + " empty folder, so nothing else is overwritten", e.getMessage());
        assertEquals("meow", Files.readString(other.resolve("cat.jpg")));
    }

    @Test
    void unavailablePrecisionsFailBeforeAnythingIsWritten(@TempDir Path dir) {
        Path out = dir.resolve("out");
        BuildOptions fp16 = new BuildOptions(Precision.FP16, null, null, InputShapes.none(), 0, -1, null, true, 0, null);
        StepUnavailableException e = assertThrows(StepUnavailableException.class,
                () -> new BundleBuild("t").run(BuildTestModels.reusedSymbol(dir), out, fp16, Progress.silent()));
        assertEquals("--precision fp16 is not available in this build: the FP16 converter is not wired into 'javelin build'"
                + " yet; build with --precision fp32 (the default)", e.getMessage());
        assertFalse(Files.exists(out));
        BuildOptions int8 = new BuildOptions(Precision.INT8, dir, Calibrator.ENTROPY, InputShapes.none(), 0, -1, null, true, 0, null);
        assertTrue(assertThrows(StepUnavailableException.class, () -> GraphStepCatalogue.forBuild(int8)).getMessage()
                .startsWith("--precision int8 is not available in this build: the INT8 quantizer"));
    }

    @Test
    void optionCombinationsAreChecked() {
        assertEquals("--calib-data is used only with --precision int8 (the precision is fp32)",
                assertThrows(IllegalArgumentException.class, () -> new BuildOptions(Precision.FP32, Path.of("d"), null,
                        InputShapes.none(), 0, -1, null, false, 0, null)).getMessage());
        assertEquals("--calibrator is used only with --precision int8 (the precision is fp16)",
                assertThrows(IllegalArgumentException.class, () -> new BuildOptions(Precision.FP16, null, Calibrator.MAX,
                        InputShapes.none(), 0, -1, null, false, 0, null)).getMessage());
        assertEquals("--precision int8 needs --calib-data DIR (a folder of .npy/.npz samples)",
                assertThrows(IllegalArgumentException.class, () -> new BuildOptions(Precision.INT8, null, null,
                        InputShapes.none(), 0, -1, null, false, 0, null)).getMessage());
        assertEquals(Calibrator.PERCENTILE, Calibrator.parse("Percentile"));
        assertThrows(IllegalArgumentException.class, () -> Calibrator.parse("minmax"));
    }

    @Test
    void int8BundlesRecordTheCalibratorAndAFingerprintOfTheData(@TempDir Path dir) throws Exception {
        Path calib = Files.createDirectories(dir.resolve("calib"));
        Files.write(calib.resolve("sample0_x.npy"), new byte[] {1, 2, 3});
        Files.write(Files.createDirectories(calib.resolve("more")).resolve("sample1_x.npy"), new byte[] {4});
        BuildOptions int8 = new BuildOptions(Precision.INT8, calib, Calibrator.PERCENTILE, InputShapes.none(), 0, -1, null, true,
                0, null);
        // The quantizer plugs in as a step; a stand-in keeps the model so the recording is what is tested here.
        BundleBuild build = new BundleBuild("t", o -> List.of(new CheckGraphStep()));
        Path source = BuildTestModels.reusedSymbol(dir);
        BundleManifest m = build.run(source, dir.resolve("out"), int8, Progress.silent()).manifest();
        assertEquals(Precision.INT8, m.precision());
        assertEquals("percentile", m.calibration().calibrator());
        String first = m.calibration().dataFingerprint();
        assertEquals(first, CalibrationData.fingerprint(calib));
        Files.write(calib.resolve("more").resolve("sample1_x.npy"), new byte[] {5});
        assertFalse(first.equals(CalibrationData.fingerprint(calib)), "a changed sample changes the fingerprint");
        Files.move(calib.resolve("sample0_x.npy"), calib.resolve("sample9_x.npy"));
        String renamed = CalibrationData.fingerprint(calib);
        Files.move(calib.resolve("sample9_x.npy"), calib.resolve("sample0_x.npy"));
        assertFalse(renamed.equals(CalibrationData.fingerprint(calib)), "a renamed sample changes the fingerprint");
        assertEquals("calibration data " + dir.resolve("nothing") + " is not a folder; expected a folder of .npy/.npz samples",
                assertThrows(ModelException.class, () -> CalibrationData.fingerprint(dir.resolve("nothing"))).getMessage());
    }

    private static Progress recording(List<String> lines) {
        return new Progress() {
            @Override
            public void step(int index, int total, String what) {
                lines.add("step " + index + "/" + total + " " + what);
            }

            @Override
            public void line(String text) {
                lines.add(text);
            }

            @Override
            public Waiting waiting(String what) {
                lines.add("waiting " + what);
                return () -> lines.add("done " + what);
            }
        };
    }

    @Test
    void legalizationRewritesContribOpsAndItsDecisionsReachTheManifest(@TempDir Path dir) {
        Path source = dir.resolve("gelu.onnx");
        dev.javelin.builder.onnx.OnnxModel.of(dev.javelin.builder.onnx.OnnxGraphBuilder.graph("gelu")
                .input("x", dev.javelin.builder.onnx.ElementType.FLOAT, 2, 8)
                .output("y", dev.javelin.builder.onnx.ElementType.FLOAT, 2, 8)
                .node("FastGelu").domain("com.microsoft").name("gelu_0").inputs("x").outputs("y").add()
                .opset("", 17).opset("com.microsoft", 1)
                .buildModel(), dir).write(source);
        BuildReport r = new BundleBuild("javelin test").run(source, dir.resolve("out"),
                BuildOptions.defaults().withOnnxOnly(true), Progress.silent());
        BundleManifest m = Bundle.open(r.bundle()).manifest();
        assertEquals(1, m.legalization().size(), m.legalization().toString());
        LegalizationDecision d = m.legalization().get(0);
        assertEquals("gelu_0", d.node());
        assertEquals("com.microsoft:FastGelu", d.op());
        assertEquals("rewrite", d.decision());
        OnnxModel built = OnnxModel.load(r.bundle().resolve("model.onnx"));
        assertEquals(List.of(), dev.javelin.builder.onnx.TensorRtOpSupport.pinned().check(built.proto()),
                "after the legalize step TensorRT can build every op");
    }
}

package dev.javelin.builder.bundle;

import dev.javelin.builder.precision.Calibrator;
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

    /** y = Relu(x W + b), x [batch, 16], W [16, 8]: a MatMul for INT8 to quantize and float weights for FP16. */
    static Path dense(Path dir) {
        float[] w = new float[16 * 8];
        float[] b = new float[8];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(0.37 * i) * 0.5f;
        }
        for (int j = 0; j < b.length; j++) {
            b[j] = 0.05f * j - 0.1f;
        }
        return OnnxModel.of(dev.javelin.builder.onnx.OnnxGraphBuilder.graph("dense")
                .input("x", dev.javelin.builder.onnx.ElementType.FLOAT, "batch", 16L)
                .output("y", dev.javelin.builder.onnx.ElementType.FLOAT, "batch", 8L)
                .initializer(dev.javelin.builder.onnx.Tensors.floats("W", new long[] {16, 8}, w))
                .initializer(dev.javelin.builder.onnx.Tensors.floats("b", new long[] {8}, b))
                .node("MatMul").name("mm").inputs("x", "W").outputs("xw").add()
                .node("Add").name("bias").inputs("xw", "b").outputs("pre").add()
                .node("Relu").name("relu").inputs("pre").outputs("y").add()
                .opset("", 17)
                .buildModel(), dir).write(dir.resolve("dense.onnx")).file().orElseThrow();
    }

    /** {@code count} samples {@code sample<k>.npz} of x [4, 16], deterministic. */
    static Path denseSamples(Path dir, int count) throws Exception {
        Path d = Files.createDirectories(dir);
        for (int k = 0; k < count; k++) {
            float[] x = new float[4 * 16];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.cos(0.11 * i + 1.7 * k);
            }
            try (dev.javelin.runtime.Tensor t = dev.javelin.runtime.Tensor.of(x, dev.javelin.runtime.Shape.of(4, 16))) {
                dev.javelin.builder.io.Npy.writeNpz(d.resolve("sample" + k + ".npz"), java.util.Map.of("x", t));
            }
        }
        return d;
    }

    @Test
    void precisionBuildsConvertAndEndWithAnAccuracyReportOnHeldBackSamples(@TempDir Path dir) throws Exception {
        Path source = dense(dir);
        Path calib = denseSamples(dir.resolve("calib"), 5);
        BuildOptions fp16 = new BuildOptions(Precision.FP16, calib, null, InputShapes.none(), 0, -1, null, true, 0, null,
                dev.javelin.builder.legalize.Prefer.REWRITE, null, new BuildOptions.Fp16Settings(true, true));
        BuildReport r = new BundleBuild("t").run(source, dir.resolve("fp16"), fp16, Progress.silent());
        BundleManifest m = Bundle.open(r.bundle()).manifest();
        assertEquals(List.of("check", "dim-names", "legalize", "fp16", "accuracy"),
                m.graphSteps().stream().map(BundleManifest.GraphStepRecord::name).toList());
        assertTrue(m.graphSteps().get(3).report().get(0).startsWith("automatic mode: ranges of"), m.graphSteps().get(3).report().toString());
        OnnxModel converted = OnnxModel.load(r.bundle().resolve("model.onnx"));
        assertTrue(converted.proto().getGraph().getInitializerList().stream().anyMatch(t -> t.getDataType() == 10),
                "weights are float16");
        com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Files.readString(r.bundle().resolve(BundleBuild.ACCURACY_FILE)));
        assertEquals(1, report.path("samples").asInt(), "one of five samples held back: " + report);
        List<String> accuracy = m.graphSteps().get(4).report();
        assertEquals("passed: every output within the thresholds", accuracy.get(accuracy.size() - 1), accuracy.toString());

        BuildOptions fp16Io = new BuildOptions(Precision.FP16, calib, null, InputShapes.none(), 0, -1, null, true, 0, null,
                dev.javelin.builder.legalize.Prefer.REWRITE, null, new BuildOptions.Fp16Settings(false, false));
        BundleManifest mio = new BundleBuild("t").run(source, dir.resolve("fp16io"), fp16Io, Progress.silent()).manifest();
        assertEquals("[x: float16[batch, 16]]", mio.signature().inputs().toString(), "--keep-io-types=false");
        assertEquals("[y: float16[batch, 8]]", mio.signature().outputs().toString());

        BuildOptions int8 = new BuildOptions(Precision.INT8, calib, null, InputShapes.none(), 0, -1, null, true, 0, null,
                dev.javelin.builder.legalize.Prefer.REWRITE, denseSamples(dir.resolve("eval"), 2), BuildOptions.Fp16Settings.DEFAULTS);
        BuildReport q = new BundleBuild("t").run(source, dir.resolve("int8"), int8, Progress.silent());
        BundleManifest mq = Bundle.open(q.bundle()).manifest();
        assertEquals(List.of("check", "dim-names", "legalize", "int8", "accuracy"),
                mq.graphSteps().stream().map(BundleManifest.GraphStepRecord::name).toList());
        assertEquals("percentile", mq.calibration().calibrator());
        OnnxModel quantized = OnnxModel.load(q.bundle().resolve("model.onnx"));
        assertTrue(quantized.proto().getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("QuantizeLinear")),
                "Q/DQ inserted");
        com.fasterxml.jackson.databind.JsonNode qr = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Files.readString(q.bundle().resolve(BundleBuild.ACCURACY_FILE)));
        assertEquals(2, qr.path("samples").asInt(), "--eval-data: its two samples judge, all five calibrate");
    }

    @Test
    void optionCombinationsAreChecked() {
        assertEquals("--calib-data is used only with --precision int8 or fp16 (the precision is fp32)",
                assertThrows(IllegalArgumentException.class, () -> new BuildOptions(Precision.FP32, Path.of("d"), null,
                        InputShapes.none(), 0, -1, null, false, 0, null)).getMessage());
        assertEquals("--calibrator is used only with --precision int8 (the precision is fp16)",
                assertThrows(IllegalArgumentException.class, () -> new BuildOptions(Precision.FP16, null, Calibrator.MAX,
                        InputShapes.none(), 0, -1, null, false, 0, null)).getMessage());
        assertEquals("--precision fp16 needs --eval-data DIR (or --calib-data DIR) of .npy/.npz samples: every precision"
                        + " build ends with an accuracy report against the float32 model",
                assertThrows(IllegalArgumentException.class, () -> new BuildOptions(Precision.FP16, null, null,
                        InputShapes.none(), 0, -1, null, false, 0, null)).getMessage());
        assertEquals("--precision int8 needs --calib-data DIR (a folder of .npy/.npz samples)",
                assertThrows(IllegalArgumentException.class, () -> new BuildOptions(Precision.INT8, null, null,
                        InputShapes.none(), 0, -1, null, false, 0, null)).getMessage());
        assertEquals(Calibrator.PERCENTILE, Calibrator.parse("Percentile"));
        assertThrows(IllegalArgumentException.class, () -> Calibrator.parse("minmax"));
    }

    @Test
    void int8BundlesRecordTheCalibratorAndAFingerprintOfTheData(@TempDir Path dir) throws Exception {
        Path calib = denseSamples(dir.resolve("calib"), 3);
        BuildOptions int8 = new BuildOptions(Precision.INT8, calib, Calibrator.PERCENTILE, InputShapes.none(), 0, -1, null, true,
                0, null);
        // A stand-in step keeps the model: the recording of calibrator and data is what is tested here.
        BundleBuild build = new BundleBuild("t", o -> List.of(new CheckGraphStep()));
        Path source = dense(dir);
        BundleManifest m = build.run(source, dir.resolve("out"), int8, Progress.silent()).manifest();
        assertEquals(Precision.INT8, m.precision());
        assertEquals("percentile", m.calibration().calibrator());
        String first = m.calibration().dataFingerprint();
        assertEquals(first, CalibrationData.fingerprint(calib));
        byte[] original = Files.readAllBytes(calib.resolve("sample1.npz"));
        Files.write(calib.resolve("sample1.npz"), Files.readAllBytes(calib.resolve("sample2.npz")));
        assertFalse(first.equals(CalibrationData.fingerprint(calib)), "a changed sample changes the fingerprint");
        Files.write(calib.resolve("sample1.npz"), original);
        assertEquals(first, CalibrationData.fingerprint(calib));
        Files.move(calib.resolve("sample0.npz"), calib.resolve("sample9.npz"));
        String renamed = CalibrationData.fingerprint(calib);
        Files.move(calib.resolve("sample9.npz"), calib.resolve("sample0.npz"));
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

    @Test
    void aModelWithAKernelOnlyOpGetsAPartitionPlanThatEmulatesLikeTheWholeModel(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("unique.onnx");
        OnnxModel.of(dev.javelin.builder.onnx.OnnxGraphBuilder.graph("unique")
                .input("x", dev.javelin.builder.onnx.ElementType.FLOAT, 50)
                .initializer(dev.javelin.builder.onnx.Tensors.floats("k", new long[0], 4f))
                .initializer(dev.javelin.builder.onnx.Tensors.floats("two", new long[0], 2f))
                .node("Mul").name("pre").inputs("x", "k").outputs("xk").add()
                .node("Round").name("round").inputs("xk").outputs("xr").add()
                .node("Unique").name("u").inputs("xr").outputs("y").attr("sorted", 1L).add()
                .node("Mul").name("post").inputs("y", "two").outputs("w").add()
                .output("w", dev.javelin.builder.onnx.ElementType.FLOAT, "U")
                .opset("", 17)
                .buildModel(), dir).write(source);
        Path out = dir.resolve("out");
        BuildReport r = new BundleBuild("t").run(source, out, BuildOptions.defaults().withOnnxOnly(true), Progress.silent());
        BundleManifest m = Bundle.open(r.bundle()).manifest();
        assertEquals("plan/plan.json", m.partitionPlan());
        assertEquals(List.of(new LegalizationDecision("u", "Unique", "kernel", m.legalization().get(0).detail())),
                m.legalization());
        assertTrue(m.graphSteps().stream().anyMatch(g -> g.name().equals("partition")), m.graphSteps().toString());
        float[] x = new float[50];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.7) * 2f;
        }
        dev.javelin.runtime.SessionOptions cpu = dev.javelin.runtime.SessionOptions.builder()
                .backend(dev.javelin.runtime.BackendKind.CPU).build();
        try (dev.javelin.runtime.Tensor t = dev.javelin.runtime.Tensor.of(x, dev.javelin.runtime.Shape.of(50));
             dev.javelin.runtime.Session whole = dev.javelin.runtime.Session.open(out, cpu);
             dev.javelin.runtime.Session plan = dev.javelin.runtime.Session.openPlan(out.resolve(m.partitionPlan()), cpu);
             dev.javelin.runtime.Result a = whole.run(java.util.Map.of("x", t));
             dev.javelin.runtime.Result b = plan.run(java.util.Map.of("x", t))) {
            assertTrue(a.get("w").shape().dim(0) < 50, "duplicates were merged");
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.get("w").toFloatArray(), b.get("w").toFloatArray(), 0f,
                    "the bundle's plan, emulated, equals ONNX Runtime on the bundle's model.onnx");
        }
        // Rebuilding the folder from a model without kernel ops leaves no stale plan behind.
        BuildReport again = new BundleBuild("t").run(dense(dir), out, BuildOptions.defaults().withOnnxOnly(true),
                Progress.silent());
        assertNull(Bundle.open(again.bundle()).manifest().partitionPlan());
        assertFalse(Files.exists(out.resolve("plan")), "the previous plan folder was removed");
    }
}

package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.precision.CalibrationCache;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code javelin calibrate} end to end on a small two-layer model. */
class CalibrateCommandTest {
    @TempDir
    Path dir;
    Path model;
    Path data;

    /** x[n,8] -> MatMul(w1[8,16]) -> Relu -> MatMul(w2[16,4]) -> y. */
    @BeforeEach
    void setUp() throws Exception {
        Random r = new Random(3);
        float[] w1 = new float[8 * 16];
        float[] w2 = new float[16 * 4];
        for (int i = 0; i < w1.length; i++) {
            w1[i] = (float) r.nextGaussian() * 0.3f;
        }
        for (int i = 0; i < w2.length; i++) {
            w2[i] = (float) r.nextGaussian() * 0.3f;
        }
        model = dir.resolve("mlp.onnx");
        OnnxModel.of(OnnxGraphBuilder.graph("mlp")
                .input("x", ElementType.FLOAT, "n", 8)
                .initializer(Tensors.floats("w1", new long[] {8, 16}, w1))
                .initializer(Tensors.floats("w2", new long[] {16, 4}, w2))
                .node("MatMul").name("fc1").inputs("x", "w1").outputs("h").add()
                .node("Relu").name("act").inputs("h").outputs("a").add()
                .node("MatMul").name("fc2").inputs("a", "w2").outputs("y").add()
                .output("y", ElementType.FLOAT, "n", 4)
                .buildModel(), null).write(model);
        data = dir.resolve("calib");
        Files.createDirectories(data);
        for (int s = 0; s < 8; s++) {
            float[] x = new float[4 * 8];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            try (Tensor t = Tensor.of(x, Shape.of(4, 8))) {
                Npy.write(data.resolve(String.format("%02d.npy", s)), t);
            }
        }
    }

    private static float[] run(Path m, float[] x) {
        try (Session s = Session.open(m, SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build());
             Tensor in = Tensor.of(x, Shape.of(x.length / 8, 8));
             Result r = s.run(Map.of("x", in))) {
            return r.get("y").toFloatArray();
        }
    }

    private static float scaleOf(Path m, String prefix) {
        OnnxModel q = OnnxModel.load(m);
        NodeProto qn = q.proto().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("QuantizeLinear") && n.getInput(0).equals(prefix)).findFirst().orElseThrow();
        TensorProto t = q.proto().getGraph().getInitializerList().stream()
                .filter(i -> i.getName().equals(qn.getInput(1))).findFirst().orElseThrow();
        return Tensors.toFloats(q.tensorBytes(t))[0];
    }

    @Test
    void calibratesWritesARunnableModelAndACacheThatReproducesIt() throws Exception {
        Path out = dir.resolve("mlp.int8.onnx");
        Path cache = dir.resolve("mlp.cache");
        Cli.Outcome o = Cli.run("calibrate", model.toString(), "--calib-data", data.toString(), "-o", out.toString(),
                "--calibrator", "max", "--max-samples", "6", "--save-calib-cache", cache.toString());
        assertEquals(0, o.code(), o.toString());
        assertTrue(o.out().contains("max calibration over samples 1-5 of the first 6 of 8 samples") && o.out().contains("{MatMul=2}"),
                o.out());
        assertTrue(o.out().contains("accuracy  int8 against float32 on sample 6 of the first 6 of 8 samples")
                && o.out().contains("passed"), "the sixth sample is held back for the report: " + o.out());
        assertTrue(Files.readString(cache).startsWith("TRT-"), "a TensorRT cache header");
        assertEquals(CalibrationCache.read(cache).scales().get("x"), scaleOf(out, "x"));

        float[] x = new float[16 * 8];
        Random r = new Random(99);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 0.8f;
        }
        float[] ref = run(model, x);
        float[] q = run(out, x);
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (ref[i] - q[i]) * (ref[i] - q[i]);
            den += ref[i] * ref[i];
        }
        // Two int8 layers on in-range data: relative error of a few percent at most.
        assertTrue(Math.sqrt(num / den) < 0.05, "relative error " + Math.sqrt(num / den));

        Path fromCache = dir.resolve("mlp.cache.onnx");
        Cli.Outcome noEval = Cli.run("calibrate", model.toString(), "--calib-cache", cache.toString(), "-o", fromCache.toString());
        assertEquals(ExitCodes.USAGE, noEval.code(), "a cache alone leaves nothing to judge the result on: " + noEval);
        Cli.Outcome c = Cli.run("calibrate", model.toString(), "--calib-cache", cache.toString(), "-o", fromCache.toString(),
                "--eval-data", data.toString());
        assertEquals(0, c.code(), c.toString());
        assertTrue(c.out().contains("calibration cache") && c.out().contains("2 of 2 entries used"), c.out());
        assertArrayEquals(q, run(fromCache, x), "the cache reproduces the calibrated model exactly");
    }

    @Test
    void calibratesFromImages() throws Exception {
        // A 1x1 convolution over a 3-channel 4x4 image.
        Path conv = dir.resolve("conv.onnx");
        OnnxModel.of(OnnxGraphBuilder.graph("conv")
                .input("image", ElementType.FLOAT, 1, 3, 4, 4)
                .initializer(Tensors.floats("w", new long[] {2, 3, 1, 1}, 0.5f, -0.25f, 1f, 0.1f, 0.2f, -0.3f))
                .node("Conv").name("conv").inputs("image", "w").outputs("y").add()
                .output("y", ElementType.FLOAT, 1, 2, 4, 4)
                .opset("", 13)
                .buildModel(), null).write(conv);
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int k = 0; k < 3; k++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    img.setRGB(x, y, (255 - 40 * k) << 8 | 100 + 10 * k); // red 0, green and blue constant per image
                }
            }
            javax.imageio.ImageIO.write(img, "png", images.resolve("img" + k + ".png").toFile());
        }
        Path out = dir.resolve("conv.int8.onnx");
        Cli.Outcome o = Cli.run("calibrate", conv.toString(), "--calib-data", images.toString(), "-o", out.toString(),
                "--image-size", "4x4", "--image-mean", "0.5,0.5,0.5", "--image-std", "0.25,0.25,0.25", "--calibrator", "max");
        assertEquals(0, o.code(), o.toString());
        assertTrue(o.out().contains("3 images") && o.out().contains("{Conv=1}"), o.out());
        // Uniform channels survive the resize exactly; normalized by mean 0.5 / std 0.25, red 0 gives -2 and green
        // 255 gives +2 (image 0): the largest |value| is 2.
        assertEquals((float) (2.0 / 127), scaleOf(out, "image"), 1e-6f);

        Cli.Outcome badSize = Cli.run("calibrate", conv.toString(), "--calib-data", images.toString(), "-o", out.toString(),
                "--image-size", "4by4");
        assertEquals(ExitCodes.USAGE, badSize.code(), badSize.toString());
        Cli.Outcome wrongShape = Cli.run("calibrate", conv.toString(), "--calib-data", images.toString(), "-o",
                out.toString(), "--image-size", "8x8");
        assertEquals(ExitCodes.MODEL_OR_INPUT, wrongShape.code(), wrongShape.toString());
        assertTrue(wrongShape.err().contains("float32[1, 3, 4, 4]") && wrongShape.err().contains("[1, 3, 8, 8]"),
                wrongShape.err());
    }

    @Test
    void excludingAnOpAndTheErrors() throws Exception {
        Path out = dir.resolve("o.onnx");
        Cli.Outcome ex = Cli.run("calibrate", model.toString(), "--calib-data", data.toString(), "-o", out.toString(),
                "--exclude", "fc2", "--calibrator", "entropy");
        assertEquals(0, ex.code(), ex.toString());
        assertTrue(ex.out().contains("{MatMul=1}") && ex.out().contains("1 x MatMul: excluded"), ex.out());

        Cli.Outcome typo = Cli.run("calibrate", model.toString(), "--calib-data", data.toString(), "-o", out.toString(),
                "--exclude", "fc3");
        assertEquals(ExitCodes.USAGE, typo.code(), typo.toString());
        assertTrue(typo.err().contains("fc3"), typo.err());

        Cli.Outcome noData = Cli.run("calibrate", model.toString(), "-o", out.toString());
        assertEquals(ExitCodes.USAGE, noData.code(), noData.toString());

        Cli.Outcome badCalibrator = Cli.run("calibrate", model.toString(), "--calib-data", data.toString(), "-o",
                out.toString(), "--calibrator", "kl");
        assertEquals(ExitCodes.USAGE, badCalibrator.code(), badCalibrator.toString());

        try (Tensor wrong = Tensor.of(new float[6], Shape.of(1, 6))) {
            Npy.write(data.resolve("03.npy"), wrong);
        }
        Cli.Outcome bad = Cli.run("calibrate", model.toString(), "--calib-data", data.toString(), "-o", out.toString());
        assertEquals(ExitCodes.MODEL_OR_INPUT, bad.code(), bad.toString());
        assertTrue(bad.err().contains("03.npy") && bad.err().contains("[1, 6]") && bad.err().contains("float32[?, 8]"),
                bad.err());
    }
}

package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calibration samples from folders of arrays and images, and the errors for data that does not fit. */
class CalibrationDataTest {
    @TempDir
    Path dir;

    /** ids, mask: int64 [batch, seq]; "feat/x": float32 [1, 4] (a name that is not a file name). */
    static OnnxModel threeInputs() {
        return OnnxModel.of(OnnxGraphBuilder.graph("three")
                .input("ids", ElementType.INT64, "batch", "seq")
                .input("mask", ElementType.INT64, "batch", "seq")
                .input("feat/x", ElementType.FLOAT, 1, 4)
                .node("Identity").inputs("feat/x").outputs("y").add()
                .output("y", ElementType.FLOAT, 1, 4)
                .buildModel(), null);
    }

    static OnnxModel image(ElementType type, Object... dims) {
        return OnnxModel.of(OnnxGraphBuilder.graph("img")
                .input("pixels", type, dims)
                .node("Identity").inputs("pixels").outputs("y").add()
                .output("y", type, dims)
                .buildModel(), null);
    }

    private void npy(Path file, Tensor t) throws Exception {
        Files.createDirectories(file.getParent());
        try (t) {
            Npy.write(file, t);
        }
    }

    private void sampleFolder(String name, int seq) throws Exception {
        npy(dir.resolve(name).resolve("ids.npy"), Tensor.of(new long[seq], Shape.of(1, seq)));
        npy(dir.resolve(name).resolve("mask.npy"), Tensor.of(new long[seq], Shape.of(1, seq)));
        npy(dir.resolve(name).resolve("feat_x.npy"), Tensor.of(new float[] {1, 2, 3, seq}, Shape.of(1, 4)));
    }

    @Test
    void folderPerSampleInNameOrderWithSafeFileNames() throws Exception {
        sampleFolder("s02", 5);
        sampleFolder("s01", 3);
        Files.writeString(dir.resolve(".hidden"), "ignored");
        CalibrationData data = CalibrationData.fromDirectory(dir, threeInputs());
        assertEquals(2, data.size());
        assertEquals("s01", data.name(0));
        try (CalibrationData.Sample s = data.load(1)) {
            assertEquals(Shape.of(1, 5), s.inputs().get("ids").shape());
            assertArrayEquals(new float[] {1, 2, 3, 5}, s.inputs().get("feat/x").toFloatArray());
        }
        assertEquals(1, data.limit(1).size());
        assertThrows(IndexOutOfBoundsException.class, () -> data.limit(1).load(1));
    }

    @Test
    void npzPerSample() throws Exception {
        for (int i = 0; i < 3; i++) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("ids", Tensor.of(new long[] {1, 2}, Shape.of(1, 2)));
            m.put("mask", Tensor.of(new long[] {1, 1}, Shape.of(1, 2)));
            m.put("feat_x", Tensor.of(new float[] {i, 0, 0, 0}, Shape.of(1, 4)));
            Npy.writeNpz(dir.resolve("sample" + i + ".npz"), m);
            m.values().forEach(Tensor::close);
        }
        CalibrationData data = CalibrationData.fromDirectory(dir, threeInputs());
        assertEquals(3, data.size());
        try (CalibrationData.Sample s = data.load(2)) {
            assertEquals(2f, s.inputs().get("feat/x").toFloatArray()[0]);
        }
    }

    @Test
    void looseNpyFilesForASingleInputModel() throws Exception {
        npy(dir.resolve("a.npy"), Tensor.of(new float[12], Shape.of(1, 3, 2, 2)));
        npy(dir.resolve("b.npy"), Tensor.of(new float[24], Shape.of(2, 3, 2, 2)));
        CalibrationData data = CalibrationData.fromDirectory(dir, image(ElementType.FLOAT, "n", 3, "h", "w"));
        assertEquals(2, data.size());
        try (CalibrationData.Sample s = data.load(1)) {
            assertEquals(Shape.of(2, 3, 2, 2), s.inputs().get("pixels").shape(), "a sample may be a batch");
        }
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CalibrationData.fromDirectory(dir, threeInputs()));
        assertTrue(e.getMessage().contains("3 inputs") && e.getMessage().contains("<sample>/<input>.npy"), e.getMessage());
    }

    @Test
    void errorsNameTheFileTheInputAndWhatWasExpected() throws Exception {
        OnnxModel m = threeInputs();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CalibrationData.fromDirectory(dir.resolve("nope"), m));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromDirectory(dir, m));
        assertTrue(e.getMessage().contains("no .npz files"), e.getMessage());

        sampleFolder("s1", 4);
        Files.delete(dir.resolve("s1/mask.npy"));
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromDirectory(dir, m));
        assertEquals("mask", e.tensor());
        assertTrue(e.getMessage().contains("s1") && e.getMessage().contains("no file for input 'mask'")
                && e.getMessage().contains("int64[?, ?]"), e.getMessage());

        npy(dir.resolve("s1/mask.npy"), Tensor.of(new int[] {1, 1, 1, 1}, Shape.of(1, 4)));
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromDirectory(dir, m));
        assertTrue(e.getMessage().contains("s1/mask.npy") && e.getMessage().contains("int32")
                && e.getMessage().contains("expected int64"), e.getMessage());

        npy(dir.resolve("s1/mask.npy"), Tensor.of(new long[4], Shape.of(1, 4)));
        npy(dir.resolve("s1/feat_x.npy"), Tensor.of(new float[8], Shape.of(2, 4)));
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromDirectory(dir, m));
        assertEquals("feat/x", e.tensor());
        assertTrue(e.getMessage().contains("shape [2, 4]") && e.getMessage().contains("float32[1, 4]"), e.getMessage());

        npy(dir.resolve("s1/feat_x.npy"), Tensor.of(new float[4], Shape.of(1, 4)));
        npy(dir.resolve("s1/typo.npy"), Tensor.of(new float[4], Shape.of(1, 4)));
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromDirectory(dir, m));
        assertTrue(e.getMessage().contains("typo.npy") && e.getMessage().contains("matches no input"), e.getMessage());
        Files.delete(dir.resolve("s1/typo.npy"));
        assertEquals(1, CalibrationData.fromDirectory(dir, m).size());

        npy(dir.resolve("x.npy"), Tensor.of(new float[4], Shape.of(1, 4)));
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromDirectory(dir, m));
        assertTrue(e.getMessage().contains("mixes layouts"), e.getMessage());
    }

    @Test
    void npzEntriesAreCheckedWhenTheSampleLoads() throws Exception {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("ids", Tensor.of(new long[] {1, 2}, Shape.of(1, 2)));
        t.put("feat/x", Tensor.of(new float[4], Shape.of(1, 4)));
        Npy.writeNpz(dir.resolve("0.npz"), t);
        t.values().forEach(Tensor::close);
        CalibrationData data = CalibrationData.fromDirectory(dir, threeInputs());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> data.load(0));
        assertEquals("mask", e.tensor());
        assertTrue(e.getMessage().contains("0.npz") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void imagesArePreprocessedAsDeclared() throws Exception {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0xff0000);
        img.setRGB(1, 0, 0x00ff00);
        img.setRGB(0, 1, 0x0000ff);
        img.setRGB(1, 1, 0x336699);
        ImageIO.write(img, "png", dir.resolve("b.png").toFile());
        BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                gray.setRGB(x, y, 0x808080);
            }
        }
        ImageIO.write(gray, "png", dir.resolve("a.png").toFile());
        ImageIO.write(gray, "jpg", dir.resolve("c.jpg").toFile());
        Files.writeString(dir.resolve("notes.txt"), "not an image");

        ImagePreprocessing pp = ImagePreprocessing.of(2, 2).withNormalization(1f / 255, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.5f, 0.5f, 0.5f});
        CalibrationData data = CalibrationData.fromImages(dir, image(ElementType.FLOAT, 1, 3, "h", "w"), null, pp);
        assertEquals(3, data.size());
        assertEquals("b.png", data.name(1));
        float n0 = -1f;
        float n1 = 1f;
        float g = (0x80 / 255f - 0.5f) / 0.5f;
        try (CalibrationData.Sample s = data.load(1)) {
            // NCHW RGB: R plane, G plane, B plane; pixel order (0,0) (1,0) (0,1) (1,1).
            assertArrayEquals(new float[] {n1, n0, n0, (0x33 / 255f - 0.5f) / 0.5f,
                    n0, n1, n0, (0x66 / 255f - 0.5f) / 0.5f,
                    n0, n0, n1, (0x99 / 255f - 0.5f) / 0.5f}, s.inputs().get("pixels").toFloatArray(), 1e-6f);
        }
        try (CalibrationData.Sample s = data.load(0)) {
            for (float v : s.inputs().get("pixels").toFloatArray()) {
                assertEquals(g, v, 1e-6f, "a uniform 4x4 image resized to 2x2 stays uniform");
            }
        }
        try (CalibrationData.Sample s = data.load(2)) {
            for (float v : s.inputs().get("pixels").toFloatArray()) {
                assertEquals(g, v, 4f / 255 / 0.5f, "JPEG decodes within a few levels");
            }
        }
        ImagePreprocessing nhwcBgr = ImagePreprocessing.of(2, 2).withLayout(ImagePreprocessing.Layout.NHWC)
                .withOrder(ImagePreprocessing.ChannelOrder.BGR).withNormalization(1, new float[3], new float[] {1, 1, 1});
        CalibrationData raw = CalibrationData.fromImages(dir, image(ElementType.FLOAT, 1, 2, 2, 3), "pixels", nhwcBgr);
        try (CalibrationData.Sample s = raw.load(1)) {
            float[] v = s.inputs().get("pixels").toFloatArray();
            assertArrayEquals(new float[] {0, 0, 255}, new float[] {v[0], v[1], v[2]}, "pixel (0,0) red as B, G, R");
            assertArrayEquals(new float[] {0x99, 0x66, 0x33}, new float[] {v[9], v[10], v[11]});
        }

        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CalibrationData.fromImages(dir, image(ElementType.INT64, 1, 3, 2, 2), null, pp));
        assertTrue(e.getMessage().contains("int64") && e.getMessage().contains("float32[1, 3, 2, 2]"), e.getMessage());
        e = assertThrows(InvalidInputException.class,
                () -> CalibrationData.fromImages(dir, image(ElementType.FLOAT, 1, 3, 4, 4), null, pp));
        assertTrue(e.getMessage().contains("float32[1, 3, 4, 4]"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromImages(dir, threeInputs(), "feat/x", pp));
        assertTrue(e.getMessage().contains("also needs"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> CalibrationData.fromDirectory(dir, threeInputs()));
        assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("--image-size"), e.getMessage());
    }
}

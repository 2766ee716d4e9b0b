package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PP-OCRv4 det (a CNN exported by Paddle2ONNX: opset 11, weights in Constant nodes) quantized to INT8 from images:
 * synthetic document pages (text drawn with the JDK's fonts) for calibration and other pages for evaluation. The
 * detector's text-probability map of INT8 and FP32 must agree where PaddleOCR thresholds it (0.3).
 */
class PpOcrInt8Test {
    private static final String[] WORDS = {"Invoice", "total", "2024-11", "amount", "due", "Javelin", "TensorRT",
            "quantize", "page", "Date:", "42.50", "EUR", "order", "No.", "shipping", "address", "Berlin", "phone",
            "+49 30", "tax"};
    /** PaddleOCR's DB binarization threshold. */
    private static final float THRESHOLD = 0.3f;

    @TempDir
    Path dir;

    static Path model() {
        return ModelFiles.ppocrDet();
    }

    /** A 320x256 page: a few lines of dark text in random fonts, sizes and places on a light background. */
    static void page(Path file, long seed) throws Exception {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(320, 256, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(new Color(235 + r.nextInt(20), 235 + r.nextInt(20), 235 + r.nextInt(20)));
            g.fillRect(0, 0, 320, 256);
            String[] fonts = {Font.SANS_SERIF, Font.SERIF, Font.MONOSPACED};
            int y = 20 + r.nextInt(20);
            while (y < 240) {
                int size = 14 + r.nextInt(16);
                g.setFont(new Font(fonts[r.nextInt(3)], r.nextBoolean() ? Font.BOLD : Font.PLAIN, size));
                g.setColor(new Color(r.nextInt(60), r.nextInt(60), r.nextInt(80)));
                StringBuilder sb = new StringBuilder();
                for (int i = 1 + r.nextInt(4); i > 0; i--) {
                    sb.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
                }
                g.drawString(sb.toString().trim(), 5 + r.nextInt(80), y);
                y += size + 8 + r.nextInt(30);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void textMapsAgreeWithFp32OnHeldBackPages() throws Exception {
        Path fp32 = model();
        Path calib = Files.createDirectories(dir.resolve("calib"));
        Path eval = Files.createDirectories(dir.resolve("eval"));
        try {
            for (int i = 0; i < 8; i++) {
                page(calib.resolve("page" + i + ".png"), i);
            }
            for (int i = 0; i < 4; i++) {
                page(eval.resolve("page" + i + ".png"), 100 + i);
            }
        } catch (Error | RuntimeException e) {
            assumeTrue(false, "cannot draw text with the JDK's fonts here: " + e);
        }
        OnnxModel model = OnnxModel.load(fp32);
        // PaddleOCR's det preprocessing: pixels / 255, ImageNet mean and std; sides multiples of 32.
        ImagePreprocessing pp = ImagePreprocessing.of(320, 256).withNormalization(1f / 255,
                new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
        Int8Quantization.Outcome out = Int8Quantization.calibrate(model, CalibrationData.fromImages(calib, model, null, pp),
                Int8Quantization.Options.of(Calibrator.PERCENTILE));
        out.report().lines().forEach(l -> System.out.println("[ppocr int8] " + l));
        // 62 Conv and 2 ConvTranspose with their weights, 8 residual Adds beside Convs, 10 GlobalAveragePools of the
        // squeeze-excitation blocks (each feeds one quantized 1x1 Conv).
        assertEquals(Map.of("Conv", 62, "ConvTranspose", 2, "Add", 8, "GlobalAveragePool", 10),
                out.report().inserted().quantizedNodes());
        assertTrue(out.report().preparation().get(1).startsWith("opset 11 -> 13"), out.report().preparation().toString());
        Path int8 = out.model().write(dir.resolve("ppocr_det.int8.onnx")).file().orElseThrow();

        CalibrationData pages = CalibrationData.fromImages(eval, model, null, pp);
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();
        try (Session f = Session.open(fp32, cpu); Session q = Session.open(int8, cpu)) {
            String output = f.signature().outputNames().get(0);
            for (int i = 0; i < pages.size(); i++) {
                try (CalibrationData.Sample s = pages.load(i); Result rf = f.run(s.inputs()); Result rq = q.run(s.inputs())) {
                    float[] a = rf.get(output).toFloatArray();
                    float[] b = rq.get(output).toFloatArray();
                    double diff = 0;
                    long both = 0;
                    long either = 0;
                    for (int k = 0; k < a.length; k++) {
                        diff += Math.abs(a[k] - b[k]);
                        boolean ta = a[k] > THRESHOLD;
                        boolean tb = b[k] > THRESHOLD;
                        both += ta && tb ? 1 : 0;
                        either += ta || tb ? 1 : 0;
                    }
                    double iou = both / (double) either;
                    double mad = diff / a.length;
                    System.out.printf(Locale.ROOT, "[ppocr int8] %s: text-pixel IoU %.4f, mean |dp| %.4f%n", s.name(), iou, mad);
                    // Tolerances chosen from the measured spread (IoU 0.88-0.98, mean |dp| <= 0.016 with percentile
                    // calibration): a wrong scale or placement drops IoU far below.
                    assertTrue(iou >= 0.85, s.name() + ": text-pixel IoU " + iou);
                    assertTrue(mad <= 0.02, s.name() + ": mean |dp| " + mad);
                }
            }
        }
    }
}

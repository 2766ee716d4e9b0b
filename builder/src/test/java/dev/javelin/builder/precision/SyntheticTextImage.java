package dev.javelin.builder.precision;

import java.util.Arrays;
import java.util.Random;

/**
 * A deterministic "document" for text detectors: dark glyphs from a made-up 5x7 bitmap alphabet, drawn 3x
 * enlarged in words and lines on a light page, then normalized as PP-OCR's detector expects (RGB scaled to
 * [0,1], ImageNet mean/std, NCHW). No fonts or image files are needed, and the same seed gives the same bytes
 * on every machine.
 */
final class SyntheticTextImage {
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private SyntheticTextImage() {
    }

    /** A 1x3xHxW float tensor's data. */
    static float[] nchw(int height, int width, long seed) {
        float[] gray = new float[height * width];
        Arrays.fill(gray, 0.93f);
        Random rnd = new Random(seed);
        boolean[][][] glyphs = new boolean[26][7][5];
        for (int g = 0; g < 26; g++) {
            for (int r = 0; r < 7; r++) {
                for (int q = 0; q < 5; q++) {
                    glyphs[g][r][q] = rnd.nextInt(100) < 45 || (q == 0 && g % 3 == 0) || (r == 6 && g % 4 == 0);
                }
            }
        }
        int scale = 3;
        int glyphHeight = 7 * scale;
        for (int y0 = 30; y0 + glyphHeight < height - 10; y0 += 50) {
            int x = 30 + rnd.nextInt(40);
            while (x < width - 40) {
                int letters = 2 + rnd.nextInt(7);
                for (int k = 0; k < letters && x + 5 * scale < width - 20; k++) {
                    boolean[][] glyph = glyphs[rnd.nextInt(26)];
                    for (int r = 0; r < 7; r++) {
                        for (int q = 0; q < 5; q++) {
                            if (glyph[r][q]) {
                                for (int dy = 0; dy < scale; dy++) {
                                    for (int dx = 0; dx < scale; dx++) {
                                        gray[(y0 + r * scale + dy) * width + x + q * scale + dx] = 0.1f;
                                    }
                                }
                            }
                        }
                    }
                    x += 6 * scale;
                }
                x += 4 * scale + rnd.nextInt(20);
            }
        }
        float[] out = new float[3 * height * width];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < height * width; i++) {
                out[c * height * width + i] = (gray[i] - MEAN[c]) / STD[c];
            }
        }
        return out;
    }
}

package dev.javelin.builder.precision;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * How an image file becomes a model input: resized to {@code width x height} (bilinear, aspect ratio not
 * kept), channels in {@code order}, each value {@code (pixel * scale - mean[c]) / std[c]} with pixels 0..255,
 * laid out as {@code [1, 3, H, W]} (NCHW) or {@code [1, H, W, 3]} (NHWC), float32.
 *
 * <p>Common settings: ImageNet models {@code scale = 1/255, mean = 0.485,0.456,0.406, std = 0.229,0.224,0.225};
 * PaddleOCR det uses the same; models trained on raw pixels {@code scale = 1, mean = 0, std = 1}.
 *
 * @param width  target width in pixels
 * @param height target height in pixels
 * @param layout NCHW or NHWC
 * @param order  channel order of the model (RGB or BGR)
 * @param scale  multiplies the 0..255 pixel value first
 * @param mean   per-channel mean subtracted after scaling (3 values, in {@code order})
 * @param std    per-channel divisor applied last (3 values, non-zero)
 */
public record ImagePreprocessing(int width, int height, Layout layout, ChannelOrder order, float scale,
                                 float[] mean, float[] std) {
    /** Tensor layout. */
    public enum Layout {
        NCHW, NHWC;

        /** Parses {@code nchw}/{@code nhwc} in any case. */
        public static Layout parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown layout '" + s + "'; expected NCHW or NHWC");
            }
        }
    }

    /** Channel order the model expects. */
    public enum ChannelOrder {
        RGB, BGR;

        /** Parses {@code rgb}/{@code bgr} in any case. */
        public static ChannelOrder parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown channel order '" + s + "'; expected RGB or BGR");
            }
        }
    }

    public ImagePreprocessing {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(order, "order");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, was " + width + "x" + height);
        }
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values each (one per channel)");
        }
        for (float s : std) {
            if (s == 0 || !Float.isFinite(s)) {
                throw new IllegalArgumentException("std values must be finite and non-zero, were " + Arrays.toString(std));
            }
        }
        if (!Float.isFinite(scale) || scale == 0) {
            throw new IllegalArgumentException("scale must be finite and non-zero, was " + scale);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Resize to {@code width x height}, NCHW RGB, pixels scaled to 0..1, no mean/std. */
    public static ImagePreprocessing of(int width, int height) {
        return new ImagePreprocessing(width, height, Layout.NCHW, ChannelOrder.RGB, 1f / 255,
                new float[] {0, 0, 0}, new float[] {1, 1, 1});
    }

    /** The same with other mean and std. */
    public ImagePreprocessing withNormalization(float newScale, float[] newMean, float[] newStd) {
        return new ImagePreprocessing(width, height, layout, order, newScale, newMean, newStd);
    }

    /** The same with another layout. */
    public ImagePreprocessing withLayout(Layout newLayout) {
        return new ImagePreprocessing(width, height, newLayout, order, scale, mean, std);
    }

    /** The same with another channel order. */
    public ImagePreprocessing withOrder(ChannelOrder newOrder) {
        return new ImagePreprocessing(width, height, layout, newOrder, scale, mean, std);
    }

    /** The input shape this produces for one image. */
    public long[] shape() {
        return layout == Layout.NCHW ? new long[] {1, 3, height, width} : new long[] {1, height, width, 3};
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImagePreprocessing p && width == p.width && height == p.height && layout == p.layout
                && order == p.order && Float.compare(scale, p.scale) == 0 && Arrays.equals(mean, p.mean)
                && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return Objects.hash(width, height, layout, order, scale, Arrays.hashCode(mean), Arrays.hashCode(std));
    }

    @Override
    public String toString() {
        return "resize " + width + "x" + height + ", " + layout + ", " + order + ", scale " + scale + ", mean "
                + Arrays.toString(mean) + ", std " + Arrays.toString(std);
    }
}

package dev.javelin.builder.precision;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.io.NpyFormatException;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The samples calibration runs through the model, loaded one at a time (so a large set never sits in memory)
 * and checked against the model's inputs as they load.
 *
 * <p>A folder of arrays ({@link #fromDirectory}) holds one of three layouts, chosen by what it contains
 * (files and folders whose names start with {@code .} are ignored; samples are taken in name order, so number
 * them with leading zeros):
 * <ul>
 *   <li>{@code DIR/<sample>.npz} — one archive per sample, one entry per input ({@code numpy.savez(path,
 *       input_ids=..., attention_mask=...)});</li>
 *   <li>{@code DIR/<sample>/<input>.npy} — one folder per sample, one {@code .npy} per input;</li>
 *   <li>{@code DIR/<sample>.npy} — models with a single input only: one file per sample.</li>
 * </ul>
 * An input file is named after the input, or after the input with every character other than letters,
 * digits, {@code .}, {@code -} and {@code _} replaced by {@code _} (the names {@code javelin run --output-dir}
 * writes). Arrays must have the input's dtype exactly and fit its declared shape (fixed dims equal, free
 * dims anything); a sample may hold a batch. Every {@code .npy} header is checked when the data is opened,
 * before any model runs; {@code .npz} entries and images are checked as each sample loads.
 *
 * <p>Images ({@link #fromImages}: PNG, JPEG, BMP, GIF, whatever {@code javax.imageio} reads) feed one float32
 * input through an {@link ImagePreprocessing}.
 *
 * <p>Errors are {@link InvalidInputException}s naming the file or folder, the input and what was expected.
 */
public abstract class CalibrationData {
    private static final List<String> IMAGE_EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    /**
     * One loaded sample: its name (a file or folder, for messages) and the inputs. Closing closes the tensors
     * the sample owns (not those of {@link #of} samples, which the caller owns).
     */
    public record Sample(String name, Map<String, Tensor> inputs, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                inputs.values().forEach(Tensor::close);
            }
        }
    }

    private CalibrationData() {
    }

    /** Number of samples. */
    public abstract int size();

    /** A short name of sample {@code i} (file or folder name). */
    public abstract String name(int i);

    /**
     * Loads and checks sample {@code i}; the caller closes it.
     *
     * @throws InvalidInputException naming the file and input if it cannot be read or does not fit the model
     */
    public abstract Sample load(int i);

    /** Where the samples come from, for logs and reports. */
    public abstract String describe();

    /** The first {@code max} samples (all of them if there are fewer). */
    public CalibrationData limit(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max samples must be >= 1, was " + max);
        }
        if (max >= size()) {
            return this;
        }
        CalibrationData all = this;
        return new CalibrationData() {
            @Override
            public int size() {
                return max;
            }

            @Override
            public String name(int i) {
                return all.name(checkIndex(i));
            }

            @Override
            public Sample load(int i) {
                return all.load(checkIndex(i));
            }

            @Override
            public String describe() {
                return "the first " + max + " of " + all.describe();
            }
        };
    }

    /** Samples {@code from} (inclusive) to {@code to} (exclusive), as a view. */
    public CalibrationData slice(int from, int to) {
        Objects.checkFromToIndex(from, to, size());
        if (from == to) {
            throw new IllegalArgumentException("an empty slice of " + describe());
        }
        CalibrationData all = this;
        return new CalibrationData() {
            @Override
            public int size() {
                return to - from;
            }

            @Override
            public String name(int i) {
                return all.name(from + checkIndex(i));
            }

            @Override
            public Sample load(int i) {
                return all.load(from + checkIndex(i));
            }

            @Override
            public String describe() {
                return (to - from == 1 ? "sample " + to : "samples " + (from + 1) + "-" + to) + " of " + all.describe();
            }
        };
    }

    int checkIndex(int i) {
        Objects.checkIndex(i, size());
        return i;
    }

    // ------------------------------------------------------------------------------------------------ memory

    /**
     * Samples already in memory (borrowed: the caller keeps ownership and closes them after calibration).
     *
     * @throws InvalidInputException if a sample does not fit the model, naming it as {@code #<index>}
     */
    public static CalibrationData of(OnnxModel model, List<Map<String, Tensor>> samples) {
        ModelInputs inputs = ModelInputs.of(model);
        List<Map<String, Tensor>> copy = List.copyOf(samples);
        for (int i = 0; i < copy.size(); i++) {
            inputs.check("#" + i, copy.get(i));
        }
        return new CalibrationData() {
            @Override
            public int size() {
                return copy.size();
            }

            @Override
            public String name(int i) {
                return "#" + checkIndex(i);
            }

            @Override
            public Sample load(int i) {
                return new Sample(name(i), copy.get(checkIndex(i)), false);
            }

            @Override
            public String describe() {
                return copy.size() + " in-memory samples";
            }
        };
    }

    // ------------------------------------------------------------------------------------------------ arrays

    /**
     * The samples of a folder of {@code .npy}/{@code .npz} arrays (layouts in the class comment).
     *
     * @throws InvalidInputException if the folder is missing or empty, mixes layouts, or a {@code .npy} file is
     *                               missing, unreadable, or of the wrong dtype or shape for its input
     */
    public static CalibrationData fromDirectory(Path dir, OnnxModel model) {
        ModelInputs inputs = ModelInputs.of(model);
        List<Path> entries = list(dir);
        List<Path> npz = new ArrayList<>();
        List<Path> npy = new ArrayList<>();
        List<Path> folders = new ArrayList<>();
        int images = 0;
        List<Path> other = new ArrayList<>();
        for (Path p : entries) {
            String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
            if (Files.isDirectory(p)) {
                folders.add(p);
            } else if (n.endsWith(".npz")) {
                npz.add(p);
            } else if (n.endsWith(".npy")) {
                npy.add(p);
            } else if (isImage(n)) {
                images++;
            } else {
                other.add(p);
            }
        }
        int kinds = (npz.isEmpty() ? 0 : 1) + (npy.isEmpty() ? 0 : 1) + (folders.isEmpty() ? 0 : 1);
        if (kinds == 0) {
            throw new InvalidInputException(null, "calibration data folder " + dir + " has no .npz files, .npy files"
                    + " or sample folders" + (images > 0 ? " (it has " + images + " images: calibrate from images"
                    + " with a declared preprocessing, e.g. javelin calibrate --image-size WxH)" : "")
                    + (other.isEmpty() ? "" : "; it contains e.g. " + other.get(0).getFileName()));
        }
        if (kinds > 1) {
            throw new InvalidInputException(null, "calibration data folder " + dir + " mixes layouts (" + npz.size()
                    + " .npz, " + npy.size() + " .npy, " + folders.size() + " folders); use one: <sample>.npz,"
                    + " <sample>/<input>.npy, or <sample>.npy for a single-input model");
        }
        if (!npz.isEmpty()) {
            return npzSamples(dir, npz, inputs);
        }
        if (!npy.isEmpty()) {
            if (inputs.size() != 1) {
                throw new InvalidInputException(null, "calibration data folder " + dir + " holds loose .npy files, but"
                        + " the model has " + inputs.size() + " inputs " + inputs.names() + "; put each sample in its"
                        + " own folder (<sample>/<input>.npy) or in one .npz per sample");
            }
            String input = inputs.names().get(0);
            List<Map<String, Path>> samples = new ArrayList<>();
            for (Path p : npy) {
                checkHeader(p, inputs.get(input));
                samples.add(Map.of(input, p));
            }
            return npySamples(dir, samples, npy, inputs);
        }
        List<Map<String, Path>> samples = new ArrayList<>();
        for (Path folder : folders) {
            samples.add(folderSample(folder, inputs));
        }
        return npySamples(dir, samples, folders, inputs);
    }

    private static Map<String, Path> folderSample(Path folder, ModelInputs inputs) {
        Map<String, Path> byInput = new LinkedHashMap<>();
        List<Path> files = list(folder);
        for (Path f : files) {
            String n = f.getFileName().toString();
            if (!n.toLowerCase(Locale.ROOT).endsWith(".npy")) {
                continue;
            }
            String stem = n.substring(0, n.length() - 4);
            String input = null;
            for (String name : inputs.names()) {
                if (stem.equals(name) || stem.equals(safeStem(name))) {
                    input = name;
                }
            }
            if (input == null) {
                throw new InvalidInputException(stem, "calibration sample " + folder + ": file " + n + " matches no"
                        + " input of the model (inputs: " + inputs.names() + ")");
            }
            if (byInput.put(input, f) != null) {
                throw new InvalidInputException(input, "calibration sample " + folder + ": two files for input '"
                        + input + "'");
            }
        }
        for (String name : inputs.names()) {
            Path f = byInput.get(name);
            if (f == null) {
                throw new InvalidInputException(name, "calibration sample " + folder + ": no file for input '" + name
                        + "' (" + inputs.get(name).describe() + "); expected " + folder.resolve(safeStem(name) + ".npy"));
            }
            checkHeader(f, inputs.get(name));
        }
        return byInput;
    }

    private static void checkHeader(Path file, ModelInputs.Input input) {
        Npy.Header h;
        try {
            h = Npy.readHeader(file);
        } catch (NpyFormatException e) {
            throw new InvalidInputException(input.name(), "calibration input '" + input.name() + "': " + e.getMessage());
        } catch (IOException e) {
            throw new InvalidInputException(input.name(), "calibration input '" + input.name() + "': cannot read "
                    + file + ": " + e);
        }
        if (h.dtype() != input.dtype()) {
            throw new InvalidInputException(input.name(), "calibration input '" + input.name() + "' in " + file + " is "
                    + h.dtype() + h.shape() + ", expected " + input.describe());
        }
        if (!input.accepts(h.shape())) {
            throw new InvalidInputException(input.name(), "calibration input '" + input.name() + "' in " + file
                    + " has shape " + h.shape() + ", expected " + input.describe());
        }
    }

    private static CalibrationData npySamples(Path dir, List<Map<String, Path>> samples, List<Path> names,
                                              ModelInputs inputs) {
        return new CalibrationData() {
            @Override
            public int size() {
                return samples.size();
            }

            @Override
            public String name(int i) {
                return names.get(checkIndex(i)).getFileName().toString();
            }

            @Override
            public Sample load(int i) {
                Map<String, Tensor> feeds = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, Path> e : samples.get(checkIndex(i)).entrySet()) {
                        feeds.put(e.getKey(), readNpy(e.getValue(), e.getKey()));
                    }
                    inputs.check(names.get(i).toString(), feeds);
                    return new Sample(name(i), feeds, true);
                } catch (RuntimeException e) {
                    feeds.values().forEach(Tensor::close);
                    throw e;
                }
            }

            @Override
            public String describe() {
                return samples.size() + " samples from " + dir;
            }
        };
    }

    private static Tensor readNpy(Path file, String input) {
        try {
            return Npy.read(file);
        } catch (NpyFormatException e) {
            throw new InvalidInputException(input, "calibration input '" + input + "': " + e.getMessage());
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(input, "calibration input '" + input + "': " + file + " disappeared");
        } catch (IOException e) {
            throw new InvalidInputException(input, "calibration input '" + input + "': cannot read " + file + ": " + e);
        }
    }

    private static CalibrationData npzSamples(Path dir, List<Path> files, ModelInputs inputs) {
        return oneSamplePerFile(files, files.size() + " .npz samples from " + dir, file -> {
            Map<String, Tensor> raw;
            try {
                raw = Npy.readNpz(file);
            } catch (NpyFormatException e) {
                throw new InvalidInputException(null, "calibration sample: " + e.getMessage());
            } catch (IOException e) {
                throw new InvalidInputException(null, "calibration sample " + file + " cannot be read: " + e);
            }
            // Entries may use the safe file-name form of an input name too.
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Tensor> e : raw.entrySet()) {
                    String key = e.getKey();
                    if (inputs.get(key) == null) {
                        for (String name : inputs.names()) {
                            if (safeStem(name).equals(key)) {
                                key = name;
                            }
                        }
                    }
                    feeds.put(key, e.getValue());
                }
                inputs.check(file.toString(), feeds);
                return feeds;
            } catch (RuntimeException e) {
                raw.values().forEach(Tensor::close);
                throw e;
            }
        });
    }

    /** One sample a file, in list order, named after the file; {@code read} reads a file's feeds (the sample owns them). */
    private static CalibrationData oneSamplePerFile(List<Path> files, String description,
                                                    Function<Path, Map<String, Tensor>> read) {
        return new CalibrationData() {
            @Override
            public int size() {
                return files.size();
            }

            @Override
            public String name(int i) {
                return files.get(checkIndex(i)).getFileName().toString();
            }

            @Override
            public Sample load(int i) {
                return new Sample(name(i), read.apply(files.get(checkIndex(i))), true);
            }

            @Override
            public String describe() {
                return description;
            }
        };
    }

    // ------------------------------------------------------------------------------------------------ images

    /**
     * The images of a folder (in name order), each preprocessed into {@code input}.
     *
     * @param input the model input the images feed, or {@code null} for the model's only input
     * @throws InvalidInputException if the folder has no images, the model has other inputs, or the input is
     *                               not float32 or cannot take the preprocessed shape
     */
    public static CalibrationData fromImages(Path dir, OnnxModel model, String input, ImagePreprocessing pp) {
        Objects.requireNonNull(pp, "pp");
        ModelInputs inputs = ModelInputs.of(model);
        if (input == null) {
            if (inputs.size() != 1) {
                throw new InvalidInputException(null, "the model has " + inputs.size() + " inputs " + inputs.names()
                        + "; name the one the images feed");
            }
            input = inputs.names().get(0);
        }
        ModelInputs.Input in = inputs.get(input);
        if (in == null) {
            throw new InvalidInputException(input, "'" + input + "' is not an input of the model (inputs: "
                    + inputs.names() + ")");
        }
        if (inputs.size() != 1) {
            throw new InvalidInputException(input, "images can feed only '" + input + "', but the model also needs "
                    + inputs.names().stream().filter(n -> !n.equals(in.name())).toList() + "; use .npz samples");
        }
        if (in.dtype() != DType.FLOAT32 || !in.accepts(Shape.of(pp.shape()))) {
            throw new InvalidInputException(input, "input '" + input + "' is " + in.describe() + "; the image"
                    + " preprocessing (" + pp + ") produces float32" + Shape.of(pp.shape()));
        }
        List<Path> files = list(dir).stream().filter(p -> Files.isRegularFile(p)
                && isImage(p.getFileName().toString().toLowerCase(Locale.ROOT))).toList();
        if (files.isEmpty()) {
            throw new InvalidInputException(input, "calibration data folder " + dir + " has no images (" + String.join(
                    ", ", IMAGE_EXTENSIONS) + ")");
        }
        String target = input;
        return oneSamplePerFile(files, files.size() + " images from " + dir + " (" + pp + ")", file -> {
            BufferedImage img;
            try {
                img = ImageIO.read(file.toFile());
            } catch (IOException e) {
                throw new InvalidInputException(target, "calibration image " + file + " cannot be decoded: " + e);
            }
            if (img == null) {
                throw new InvalidInputException(target, "calibration image " + file + " is not in a format"
                        + " javax.imageio reads (PNG, JPEG, BMP, GIF)");
            }
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            feeds.put(target, preprocess(img, pp));
            return feeds;
        });
    }

    /** One image as a float32 tensor of {@link ImagePreprocessing#shape()}; the caller owns it. */
    public static Tensor preprocess(BufferedImage img, ImagePreprocessing pp) {
        int w = pp.width();
        int h = pp.height();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(img, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        float[] mean = pp.mean();
        float[] std = pp.std();
        float[] out = new float[3 * w * h];
        boolean nchw = pp.layout() == ImagePreprocessing.Layout.NCHW;
        boolean bgr = pp.order() == ImagePreprocessing.ChannelOrder.BGR;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = rgb.getRGB(x, y);
                int[] rgbv = {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
                for (int c = 0; c < 3; c++) {
                    int src = bgr ? 2 - c : c;
                    float v = (rgbv[src] * pp.scale() - mean[c]) / std[c];
                    int at = nchw ? (c * h + y) * w + x : (y * w + x) * 3 + c;
                    out[at] = v;
                }
            }
        }
        return Tensor.of(out, Shape.of(pp.shape()));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static boolean isImage(String lowerName) {
        return IMAGE_EXTENSIONS.stream().anyMatch(lowerName::endsWith);
    }

    /** Entries of a folder in name order, hidden ones left out. */
    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException(null, "calibration data folder " + dir
                    + (Files.exists(dir) ? " is not a folder" : " does not exist"));
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> l = new ArrayList<>(s.filter(p -> !p.getFileName().toString().startsWith(".")).toList());
            Collections.sort(l);
            return l;
        } catch (IOException e) {
            throw new InvalidInputException(null, "calibration data folder " + dir + " cannot be listed: " + e);
        }
    }

    /** The file-name form of a tensor name (as {@code javelin run --output-dir} writes it). */
    static String safeStem(String name) {
        StringBuilder sb = new StringBuilder();
        name.codePoints().forEach(c -> sb.appendCodePoint(
                Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_' ? c : '_'));
        String s = sb.isEmpty() ? "output" : sb.toString();
        return s.startsWith(".") ? "_" + s : s;
    }
}

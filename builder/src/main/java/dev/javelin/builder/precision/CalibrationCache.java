package dev.javelin.builder.precision;

import dev.javelin.runtime.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A legacy TensorRT INT8 calibration cache, the text file TensorRT's implicit calibrators wrote and read: a
 * header line {@code TRT-<version>-<calibrator>} (e.g. {@code TRT-8601-EntropyCalibration2}) and one line per
 * tensor, {@code <tensor name>: <scale>}, where the scale ({@code amax / 127}) is the 8 hex digits of its IEEE
 * 754 float32 bit pattern, most significant first ({@code 3c010a14} = 0.0078759...).
 *
 * <p>Importing one lets a model calibrated for TensorRT's implicit INT8 path get the same activation scales as
 * explicit Q/DQ, without calibrating again.
 */
public final class CalibrationCache {
    private CalibrationCache() {
    }

    /**
     * What a cache holds.
     *
     * @param header the first line, e.g. {@code TRT-8601-EntropyCalibration2}
     * @param scales tensor name to scale, in file order
     */
    public record Contents(String header, Map<String, Float> scales) {
        public Contents {
            scales = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scales));
        }

        /** Tensor name to {@code amax = scale * 127}, the clipping range the scales stand for. */
        public Map<String, Double> amax() {
            Map<String, Double> m = new LinkedHashMap<>();
            scales.forEach((k, v) -> m.put(k, (double) v * 127.0));
            return m;
        }
    }

    /**
     * Reads a cache file.
     *
     * @throws InvalidInputException naming the file and line if it is missing or not in the format above
     */
    public static Contents read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(null, "calibration cache " + file + " does not exist");
        } catch (IOException e) {
            throw new InvalidInputException(null, "calibration cache " + file + " cannot be read: " + e);
        }
        return parse(lines, file.toString());
    }

    /** Parses cache text; {@code source} names it in errors. */
    public static Contents parse(List<String> lines, String source) {
        if (lines.isEmpty() || !lines.get(0).strip().startsWith("TRT-")) {
            throw new InvalidInputException(null, "calibration cache " + source + " does not start with a"
                    + " TRT-<version>-<calibrator> header line (e.g. TRT-8601-EntropyCalibration2)");
        }
        Map<String, Float> scales = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.lastIndexOf(':');
            String name = colon > 0 ? line.substring(0, colon).strip() : "";
            String hex = colon > 0 ? line.substring(colon + 1).strip() : "";
            if (name.isEmpty() || !hex.matches("[0-9a-fA-F]{1,8}")) {
                throw new InvalidInputException(name.isEmpty() ? null : name, "calibration cache " + source + " line "
                        + (i + 1) + ": expected '<tensor>: <8 hex digits>', got '" + line + "'");
            }
            float scale = Float.intBitsToFloat((int) Long.parseLong(hex, 16));
            if (!(scale >= 0) || Float.isInfinite(scale)) {
                throw new InvalidInputException(name, "calibration cache " + source + " line " + (i + 1)
                        + ": scale of '" + name + "' is " + scale + "; expected a finite value >= 0");
            }
            if (scales.put(name, scale) != null) {
                throw new InvalidInputException(name, "calibration cache " + source + " line " + (i + 1)
                        + ": tensor '" + name + "' is listed twice");
            }
        }
        return new Contents(lines.get(0).strip(), scales);
    }

    /** The cache text for the given clipping ranges (scale = amax / 127), header first. */
    public static String format(String header, Map<String, Double> amax) {
        StringBuilder sb = new StringBuilder(header).append('\n');
        amax.forEach((name, a) -> sb.append(name).append(": ")
                .append(String.format(Locale.ROOT, "%08x", Float.floatToIntBits((float) (a / 127.0)))).append('\n'));
        return sb.toString();
    }

    /** Writes {@link #format} to a file. */
    public static void write(Path file, String header, Map<String, Double> amax) {
        try {
            Files.writeString(file, format(header, amax), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write calibration cache " + file + ": " + e, e);
        }
    }
}

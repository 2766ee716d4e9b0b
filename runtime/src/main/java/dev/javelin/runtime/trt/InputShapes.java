package dev.javelin.runtime.trt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Shape ranges given per input, in trtexec's spirit: {@code NAME:MIN/OPT/MAX} where each shape is
 * {@code DxDx..}, e.g. {@code input_ids:1x16/8x128/32x256}, or {@code NAME:DxD..} for one fixed shape
 * (min = opt = max). Entries are separated by commas. The name is everything before the <em>last</em>
 * colon, so TensorFlow-style names such as {@code input_1:0} work. This class only checks the syntax and
 * that each range is ordered; {@link ProfileDerivation} checks the ranges against the model.
 *
 * @param ranges input name to its range, in the order given
 */
public record InputShapes(Map<String, OptimizationProfile.Range> ranges) {
    /** The syntax, for messages. */
    public static final String SYNTAX = "NAME:MINxDIMS/OPTxDIMS/MAXxDIMS (e.g. input_ids:1x16/8x128/32x256) or NAME:DxD.. "
            + "for one fixed shape";

    public InputShapes {
        ranges = Collections.unmodifiableMap(new LinkedHashMap<>(ranges));
    }

    /** No shapes given. */
    public static InputShapes none() {
        return new InputShapes(Map.of());
    }

    /** Whether no input has a range. */
    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /**
     * Parses comma-separated entries. Blank text gives {@link #none()}.
     *
     * @throws IllegalArgumentException naming the entry, the input and what is wrong
     */
    public static InputShapes parse(String text) {
        if (text == null || text.isBlank()) {
            return none();
        }
        return parse(List.of(text));
    }

    /**
     * Parses entries, each of which may itself hold several comma-separated entries (a repeated CLI option).
     *
     * @throws IllegalArgumentException naming the entry, the input and what is wrong
     */
    public static InputShapes parse(List<String> texts) {
        Map<String, OptimizationProfile.Range> out = new LinkedHashMap<>();
        for (String text : texts) {
            for (String raw : text.split(",")) {
                String entry = raw.trim();
                if (entry.isEmpty()) {
                    continue;
                }
                int colon = entry.lastIndexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("shape entry '" + entry + "' has no ':'; expected " + SYNTAX);
                }
                String name = entry.substring(0, colon).trim();
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("shape entry '" + entry + "' has no input name before ':'; expected "
                            + SYNTAX);
                }
                OptimizationProfile.Range r = parseRange(name, entry, entry.substring(colon + 1).trim());
                if (out.put(name, r) != null) {
                    throw new IllegalArgumentException("input '" + name + "' is given twice in the shapes");
                }
            }
        }
        return new InputShapes(out);
    }

    private static OptimizationProfile.Range parseRange(String name, String entry, String spec) {
        String[] parts = spec.split("/", -1);
        if (parts.length != 1 && parts.length != 3) {
            throw new IllegalArgumentException("shape entry '" + entry + "' for input '" + name + "' has " + parts.length
                    + " shapes; expected 3 (MIN/OPT/MAX) or 1 (fixed): " + SYNTAX);
        }
        String[] which = parts.length == 1 ? new String[] {"shape"} : new String[] {"min", "opt", "max"};
        long[][] shapes = new long[parts.length][];
        for (int p = 0; p < parts.length; p++) {
            shapes[p] = parseShape(name, entry, which[p], parts[p].trim());
        }
        if (parts.length == 1) {
            return new OptimizationProfile.Range(shapes[0], shapes[0], shapes[0]);
        }
        if (shapes[0].length != shapes[1].length || shapes[1].length != shapes[2].length) {
            throw new IllegalArgumentException("input '" + name + "': min, opt and max must have one rank, got ranks "
                    + shapes[0].length + ", " + shapes[1].length + " and " + shapes[2].length + " in '" + entry + "'");
        }
        for (int i = 0; i < shapes[0].length; i++) {
            long min = shapes[0][i];
            long opt = shapes[1][i];
            long max = shapes[2][i];
            if (min > opt || opt > max) {
                throw new IllegalArgumentException("input '" + name + "' dimension " + i + ": needs min <= opt <= max, got "
                        + min + "/" + opt + "/" + max + " in '" + entry + "'");
            }
        }
        return new OptimizationProfile.Range(shapes[0], shapes[1], shapes[2]);
    }

    private static long[] parseShape(String name, String entry, String which, String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("input '" + name + "': the " + which + " shape is empty in '" + entry
                    + "'; expected " + SYNTAX);
        }
        String[] dims = text.split("x", -1);
        long[] out = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            String d = dims[i].trim();
            try {
                out[i] = Long.parseLong(d);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("input '" + name + "' dimension " + i + " of the " + which + " shape is '"
                        + d + "', not a number, in '" + entry + "'", e);
            }
            if (out[i] < 0) {
                throw new IllegalArgumentException("input '" + name + "' dimension " + i + " of the " + which
                        + " shape is negative (" + out[i] + ") in '" + entry + "'");
            }
        }
        return out;
    }

    /** Canonical text: entries sorted by name, each {@code name:MIN/OPT/MAX}; equal ranges give equal text. */
    public String canonical() {
        return ranges.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + ":" + format(e.getValue()))
                .collect(Collectors.joining(","));
    }

    /** A range in this class's syntax, e.g. {@code 1x16/8x128/32x256}. */
    public static String format(OptimizationProfile.Range r) {
        return shape(r.min()) + "/" + shape(r.opt()) + "/" + shape(r.max());
    }

    private static String shape(long[] s) {
        List<String> parts = new ArrayList<>();
        Arrays.stream(s).forEach(d -> parts.add(Long.toString(d)));
        return String.join("x", parts);
    }

    /** Every range of a profile as explicit input shapes (what a bundle records and a rebuild reuses). */
    public static InputShapes of(OptimizationProfile profile) {
        return new InputShapes(profile.inputs());
    }

    @Override
    public String toString() {
        return ranges.entrySet().stream().map(e -> e.getKey() + ":" + format(e.getValue())).collect(Collectors.joining(","));
    }
}

package dev.javelin.builder.cli;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns tensor names into file names that are safe on every common file system: tensor names in real
 * models contain {@code /}, {@code :}, spaces, dots ({@code "..", "onnx::MatMul_123"}) or are empty.
 */
public final class OutputFiles {
    /** Longest stem kept, well under the 255-byte name limit once a suffix and extension are added. */
    private static final int MAX_STEM = 120;
    /** Device names Windows refuses as file names, with any extension. */
    private static final Pattern WINDOWS_RESERVED = Pattern.compile("(?i)(con|prn|aux|nul|com[1-9]|lpt[1-9])(\\..*)?");

    private OutputFiles() {
    }

    /**
     * A safe file stem for one name: letters, digits, {@code .}, {@code -} and {@code _} are kept, every
     * other character becomes {@code _}; a leading dot (hidden files, {@code .}, {@code ..}) and Windows
     * device names get a {@code _} prefix; an empty name becomes {@code output}.
     */
    public static String safeStem(String name) {
        StringBuilder sb = new StringBuilder();
        name.codePoints().forEach(c -> {
            boolean keep = Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_';
            if (keep) {
                sb.appendCodePoint(c);
            } else {
                sb.append('_');
            }
        });
        String s = sb.toString();
        if (s.isEmpty()) {
            s = "output";
        }
        if (s.startsWith(".") || WINDOWS_RESERVED.matcher(s).matches()) {
            s = "_" + s;
        }
        if (s.length() > MAX_STEM) {
            s = s.substring(0, MAX_STEM);
        }
        return s;
    }

    /**
     * File names ({@code <stem><extension>}) for a list of tensor names, in order. Names that become equal
     * after {@link #safeStem} — compared ignoring case, for case-insensitive file systems — get {@code _2},
     * {@code _3}, ... in list order, so the mapping is deterministic.
     *
     * @param extension e.g. {@code ".npy"}
     */
    public static Map<String, String> fileNames(List<String> names, String extension) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        for (String name : names) {
            String stem = safeStem(name);
            String candidate = stem;
            for (int i = 2; !used.add(candidate.toLowerCase(Locale.ROOT)); i++) {
                candidate = stem + "_" + i;
            }
            out.put(name, candidate + extension);
        }
        return out;
    }

    /**
     * Writes {@code json} to {@code target}: {@code -} prints it on {@code out}; a path is written (folders created)
     * and named on {@code out}.
     */
    static void writeJson(String target, String json, java.io.PrintWriter out) throws java.io.IOException {
        if (target.equals("-")) {
            out.println(json);
            return;
        }
        java.nio.file.Path file = java.nio.file.Path.of(target);
        if (file.toAbsolutePath().getParent() != null) {
            java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
        }
        java.nio.file.Files.writeString(file, json + "\n", java.nio.charset.StandardCharsets.UTF_8);
        out.println("wrote    " + file);
    }
}

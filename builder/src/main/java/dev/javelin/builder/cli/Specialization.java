package dev.javelin.builder.cli;

import dev.javelin.builder.demo.CacheDir;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.SpecializeInputs;
import dev.javelin.runtime.bundle.Bundle;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --specialize NAME=VALUE} (and {@code --specialize-shape NAME=D0xD1..}): the CLI runs the builder's {@link SpecializeInputs} pass before opening the
 * session (the runtime never imports the builder) and opens the result from a cache file keyed by the model's
 * bytes, the values and the shapes, so a second run reuses it. A picocli mixin of {@code stream} and {@code bench}.
 */
final class Specialization {
    @Option(names = "--specialize", paramLabel = "NAME=VALUE",
            description = "Bind an input to a constant in the graph before running (e.g. sr=16000): If nodes it decides"
                    + " are inlined; the specialized model is cached.")
    List<String> specs = new ArrayList<>();

    @Option(names = "--specialize-shape", paramLabel = "NAME=D0xD1..",
            description = "With --specialize: fix an input's shape (e.g. input=1x512, h=2x1x64) so Shape nodes over"
                    + " it fold and the If nodes they decide are inlined too.")
    List<String> shapeSpecs = new ArrayList<>();

    /**
     * The model to open: {@code model} itself (an .onnx file or a bundle folder) without specializations, else the
     * cached specialized copy (of a bundle's model.onnx for a bundle: the specialized graph no longer matches the
     * bundle's TensorRT plan).
     */
    Path resolve(CommandLine cmd, Path model, PrintWriter out) throws IOException {
        boolean noShapes = shapeSpecs == null || shapeSpecs.isEmpty();
        if ((specs == null || specs.isEmpty()) && noShapes) {
            return model;
        }
        if (Bundle.isBundle(model)) {
            model = Bundle.open(model).modelFile();
        }
        Map<String, String> values;
        Map<String, long[]> shapes;
        try {
            values = SpecializeInputs.parse(specs == null ? List.of() : specs);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, "--specialize: " + e.getMessage());
        }
        try {
            shapes = SpecializeInputs.parseShapes(noShapes ? List.of() : shapeSpecs);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, "--specialize-shape: " + e.getMessage());
        }
        StringBuilder shapeKey = new StringBuilder();
        shapes.forEach((k, v) -> shapeKey.append(';').append(k).append('=').append(java.util.Arrays.toString(v)));
        String key = digest(model, values.toString() + (shapes.isEmpty() ? "" : shapeKey));
        String base = model.getFileName().toString().replaceAll("\\.onnx$", "");
        Path target = CacheDir.defaultDir().resolve("specialized").resolve(base + "-" + key + ".onnx");
        if (Files.isRegularFile(target)) {
            out.println("specialized  " + values + " (cached " + target + ")");
            return target;
        }
        SpecializeInputs.Outcome o = SpecializeInputs.apply(OnnxModel.load(model), values, shapes);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), base, ".part");
        try {
            o.model().write(tmp);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        o.report().lines().forEach(l -> out.println("specialized  " + l));
        out.println("specialized  written to " + target);
        return target;
    }

    private static String digest(Path model, String values) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(model)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            md.update(values.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}

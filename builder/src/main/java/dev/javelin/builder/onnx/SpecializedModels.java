package dev.javelin.builder.onnx;

import dev.javelin.builder.demo.CacheDir;
import dev.javelin.runtime.spi.ModelSpecializer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@link SpecializeInputs} with a cache: the specialized model is written once under the Javelin cache folder
 * ({@code specialized/<model>-<sha256 of model bytes, values and shapes>.onnx}) and found there by later
 * requests. Used by the CLI's {@code --specialize} and, as the runtime's {@link ModelSpecializer} service, by
 * {@code StreamingSession} for its constants and fixed shapes.
 */
public final class SpecializedModels implements ModelSpecializer {
    /** For {@link java.util.ServiceLoader}. */
    public SpecializedModels() {
    }

    /**
     * The cached specialized copy of {@code model}, written if missing.
     *
     * @param report receives the pass's report lines when the copy is made now, or one "cached" line
     */
    public static Path specialize(Path model, Map<String, String> values, Map<String, long[]> shapes,
                                  java.util.function.Consumer<String> report) throws IOException {
        Path target = target(model, values, shapes);
        if (Files.isRegularFile(target)) {
            report.accept(values + " (cached " + target + ")");
            return target;
        }
        SpecializeInputs.Outcome o = SpecializeInputs.apply(OnnxModel.load(model), values, shapes);
        write(o, target);
        o.report().lines().forEach(report);
        report.accept("written to " + target);
        return target;
    }

    /**
     * As the static method, but empty when the pass inlines no {@code If}, folds no {@code Shape} and removes
     * no node: then a second session on the copy would cost memory and buy nothing.
     */
    @Override
    public Optional<Specialized> specialize(Path model, Map<String, String> values, Map<String, long[]> shapes) {
        try {
            Path target = target(model, values, shapes);
            if (Files.isRegularFile(target)) {
                return Optional.of(new Specialized(target, List.of(values + " (cached " + target + ")")));
            }
            SpecializeInputs.Outcome o = SpecializeInputs.apply(OnnxModel.load(model), values, shapes);
            SpecializeInputs.Report r = o.report();
            if (r.ifsInlined().isEmpty() && r.shapesFolded().isEmpty() && r.nodesRemoved() == 0) {
                return Optional.empty();
            }
            write(o, target);
            List<String> lines = new ArrayList<>(r.lines());
            lines.add("written to " + target);
            return Optional.of(new Specialized(target, List.copyOf(lines)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the specialized copy of " + model, e);
        }
    }

    private static Path target(Path model, Map<String, String> values, Map<String, long[]> shapes) throws IOException {
        StringBuilder key = new StringBuilder(new TreeMap<>(values).toString());
        new TreeMap<>(shapes).forEach((k, v) -> key.append(';').append(k).append('=').append(Arrays.toString(v)));
        String base = model.getFileName().toString().replaceAll("\\.onnx$", "");
        return CacheDir.defaultDir().resolve("specialized").resolve(base + "-" + digest(model, key.toString()) + ".onnx");
    }

    /** Writes atomically: a concurrent reader sees the whole file or none. */
    private static void write(SpecializeInputs.Outcome o, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        String base = target.getFileName().toString();
        Path tmp = Files.createTempFile(target.getParent(), base, ".part");
        try {
            o.model().write(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String digest(Path model, String request) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(model)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            md.update(request.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}

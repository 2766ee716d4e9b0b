package dev.javelin.benchmarks;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** The per-call overhead model: y = a + b on two 1x16 float tensors, so the op itself costs next to nothing. */
final class AddModel {
    private AddModel() {
    }

    static void write(Path file) throws java.io.IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        OnnxModel.of(OnnxGraphBuilder.graph("add_1x16")
                .input("a", ElementType.FLOAT, 1, 16)
                .input("b", ElementType.FLOAT, 1, 16)
                .output("y", ElementType.FLOAT, 1, 16)
                .node("Add").name("add").inputs("a", "b").outputs("y").add()
                .buildModel(), file.toAbsolutePath().getParent())
                .write(file);
    }
}

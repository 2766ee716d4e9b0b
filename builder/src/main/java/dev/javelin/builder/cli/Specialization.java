package dev.javelin.builder.cli;

import dev.javelin.builder.onnx.SpecializeInputs;
import dev.javelin.builder.onnx.SpecializedModels;
import dev.javelin.runtime.bundle.Bundle;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
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
        return SpecializedModels.specialize(model, values, shapes, line -> out.println("specialized  " + line));
    }
}

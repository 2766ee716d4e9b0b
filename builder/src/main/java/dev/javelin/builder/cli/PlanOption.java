package dev.javelin.builder.cli;

import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.partition.Partition;
import dev.javelin.builder.partition.PartitionOptions;
import dev.javelin.builder.partition.Partitioner;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.plan.PartitionPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Partition plans on the command line, a picocli mixin of {@code run} and {@code bench}: MODEL may be a plan
 * ({@code plan.json} or its folder), opened with {@link Session#openPlan}; {@code --emulate-plan} partitions an .onnx
 * model first (into a temporary folder, with the given inputs' shapes as bounds) and emulates the plan on the CPU —
 * engine segments on ONNX Runtime CPU, kernel nodes on the kernels' host build — to check what the GPU would run.
 */
final class PlanOption {
    /** What MODEL may be for the commands that take this mixin. */
    static final String MODEL_DESCRIPTION = "The .onnx model file, an engine bundle folder (javelin build), or a partition"
            + " plan (plan.json or the folder holding it).";

    @Option(names = "--emulate-plan",
            description = {"Split the model around the ops TensorRT cannot build (engine segments + Javelin kernel nodes) and"
                    + " run that plan emulated on the CPU: segments on ONNX Runtime CPU, kernels on their host build. With"
                    + " a plan as MODEL, emulate it. Needs --backend cpu (or auto)."})
    boolean emulate;

    @Option(names = "--prefer", paramLabel = "kernels|rewrite",
            description = "With --emulate-plan: where an op can be rewritten or run by a kernel, which the plan takes"
                    + " (default kernels; rewrite keeps such ops in their segment for the legalizer).")
    String prefer;

    /** Whether {@code model} is a partition plan rather than an .onnx file. */
    static boolean isPlan(Path model) {
        return Files.isDirectory(model) ? Files.isRegularFile(model.resolve(PartitionPlan.FILE_NAME))
                : model.getFileName() != null && model.getFileName().toString().endsWith(".json");
    }

    /**
     * Opens MODEL: a plan, the emulated plan of an .onnx model, or (without --emulate-plan) the model itself.
     *
     * @param bounds largest shapes of the inputs known so far (from the input files and shapes given), for the arena
     */
    Session open(CommandLine cmd, Path model, SessionOptions options, Map<String, long[]> bounds, PrintWriter out) {
        if (emulate && options.backend() != BackendKind.CPU && options.backend() != BackendKind.AUTO) {
            throw new CommandLine.ParameterException(cmd, "--emulate-plan runs the plan on the CPU; it cannot be combined with"
                    + " --backend " + options.backend() + " (use --backend cpu, or drop --emulate-plan)");
        }
        SessionOptions planOptions = emulate ? options.toBuilder().backend(BackendKind.CPU).build() : options;
        if (isPlan(model)) {
            Session s = Session.openPlan(model, planOptions);
            print(out, PartitionPlan.read(model));
            return s;
        }
        if (!emulate) {
            if (prefer != null) {
                throw new CommandLine.ParameterException(cmd, "--prefer applies to --emulate-plan (and to javelin build)");
            }
            return Session.open(model, options);
        }
        Prefer p;
        try {
            p = prefer == null ? Prefer.KERNELS : Prefer.parse(prefer);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
        Path dir = temporaryFolder();
        Partition partition = Partitioner.partition(OnnxModel.load(model), PartitionOptions.defaults().withPrefer(p)
                .withInputShapes(bounds));
        Path file = partition.write(dir);
        print(out, partition.plan());
        return Session.openPlan(file, planOptions);
    }

    private static void print(PrintWriter out, PartitionPlan plan) {
        plan.describe().forEach(l -> out.println("plan     " + l));
    }

    /** The shapes of the given input tensors, as bounds. */
    static Map<String, long[]> shapesOf(Map<String, Tensor> feeds) {
        Map<String, long[]> m = new LinkedHashMap<>();
        feeds.forEach((n, t) -> m.put(n, t.shape().dims()));
        return m;
    }

    /** A folder for the plan's files, removed when the JVM exits (the CLI runs one command per JVM). */
    private static Path temporaryFolder() {
        try {
            Path dir = Files.createTempDirectory("javelin-plan");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "javelin-plan-cleanup"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the partition plan: " + e.getMessage(), e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder left behind is harmless
        }
    }
}

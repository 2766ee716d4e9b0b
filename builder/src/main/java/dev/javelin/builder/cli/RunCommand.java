package dev.javelin.builder.cli;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.io.NpyFormatException;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin run MODEL --input NAME=FILE.npy ...}: runs a model once on .npy inputs, prints each output's
 * shape, dtype and value summary and the latency (first run and warm runs), and writes the outputs as .npy.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Run a model on .npy inputs, summarize each output and the latency, optionally save the"
                + " outputs as .npy files.",
                "Inputs are checked against the model's signature before anything runs: a missing, unknown or"
                        + " mismatched input is reported by name."})
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = PlanOption.MODEL_DESCRIPTION)
    Path model;

    @Mixin
    PlanOption plan;

    @Option(names = {"-i", "--input"}, paramLabel = "NAME=FILE",
            description = {"An input tensor from a .npy file (float32, float16, int8, uint8, int32, int64, bool;"
                    + " NAME may not contain '='). Repeat for each input.",
                    "A .npz file without NAME= supplies one input per array it holds."})
    List<String> inputs = new ArrayList<>();

    @Option(names = {"-b", "--backend"}, paramLabel = "BACKEND", defaultValue = "auto",
            converter = BackendOption.class, completionCandidates = BackendOption.class,
            description = "auto (default: the best usable one), cpu, cuda or tensorrt.")
    BackendKind backend;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR",
            description = "Write each output as DIR/<name>.npy (name made file-system safe; created if missing)."
                    + " Without it nothing is written.")
    Path outputDir;

    @Option(names = {"-n", "--runs"}, paramLabel = "N", defaultValue = "10",
            description = "Warm runs timed after the first one (default ${DEFAULT-VALUE}; 0 times only the first).")
    int runs;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Intra-op threads on the CPU backend (default: ONNX Runtime's choice).")
    int threads;

    @Option(names = "--rebuild-engines",
            description = "For a bundle whose TensorRT plans were built for another TensorRT version or GPU: build the"
                    + " engine from its model.onnx (into the engine cache) instead of refusing it.")
    boolean rebuildEngines;

    @Override
    public Integer call() throws IOException {
        if (runs < 0) {
            throw new ParameterException(spec.commandLine(), "--runs must be >= 0, was " + runs);
        }
        if (threads < 0) {
            throw new ParameterException(spec.commandLine(), "--threads must be >= 0, was " + threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        try {
            // Inputs first: a typo in a file name should not wait for a large model to load.
            for (String arg : inputs) {
                readInput(arg, feeds, sources);
            }
            SessionOptions options = SessionOptions.builder().backend(backend).intraOpThreads(threads)
                    .rebuildEngines(rebuildEngines).build();
            long t0 = System.nanoTime();
            try (Session session = plan.open(spec.commandLine(), model, options, PlanOption.shapesOf(feeds), out)) {
                long openNanos = System.nanoTime() - t0;
                out.println("model    " + model + " (opened in " + Latency.ms(openNanos) + ")");
                out.println("backend  " + session.backend() + ": " + session.description());
                printInputs(out, feeds, sources);
                run(out, session, feeds);
            }
        } finally {
            feeds.values().forEach(Tensor::close);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private void readInput(String arg, Map<String, Tensor> feeds, Map<String, String> sources) {
        int eq = arg.indexOf('=');
        if (eq < 0) {
            if (!arg.toLowerCase(Locale.ROOT).endsWith(".npz")) {
                throw new ParameterException(spec.commandLine(), "--input '" + arg + "' is not NAME=FILE.npy"
                        + " (or a .npz file)");
            }
            Path file = Path.of(arg);
            Map<String, Tensor> all = read(() -> Npy.readNpz(file), "inputs from " + arg);
            for (Map.Entry<String, Tensor> e : all.entrySet()) {
                put(feeds, sources, e.getKey(), e.getValue(), file.getFileName() + "!" + e.getKey() + ".npy");
            }
            return;
        }
        String name = arg.substring(0, eq);
        String path = arg.substring(eq + 1);
        if (name.isEmpty() || path.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--input '" + arg + "' needs both NAME and FILE"
                    + " (NAME=FILE.npy)");
        }
        Path file = Path.of(path);
        put(feeds, sources, name, read(() -> Npy.read(file), "input '" + name + "'"), path);
    }

    private void put(Map<String, Tensor> feeds, Map<String, String> sources, String name, Tensor t, String source) {
        Tensor previous = feeds.put(name, t);
        if (previous != null) {
            previous.close();
            throw new ParameterException(spec.commandLine(), "input '" + name + "' is given twice (" + sources.get(name)
                    + " and " + source + ")");
        }
        sources.put(name, source);
    }

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** Reads input files; any failure is a bad input (exit 3) naming the input and the file. */
    private static <T> T read(IoSupplier<T> reader, String what) {
        try {
            return reader.get();
        } catch (NpyFormatException e) {
            throw new CliException(ExitCodes.MODEL_OR_INPUT, what + ": " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.MODEL_OR_INPUT, what + ": no such file " + e.getFile(), e);
        } catch (IOException e) {
            throw new CliException(ExitCodes.MODEL_OR_INPUT, what + ": cannot read: " + ExitCodes.describe(e), e);
        }
    }

    private static void printInputs(PrintWriter out, Map<String, Tensor> feeds, Map<String, String> sources) {
        if (feeds.isEmpty()) {
            return;
        }
        out.println("inputs");
        Table t = new Table(new String[] {"name", "dtype", "shape", "file"});
        feeds.forEach((name, tensor) -> t.row(name, tensor.dtype().label(), tensor.shape().toString(),
                sources.get(name)));
        t.lines("  ").forEach(out::println);
    }

    private void run(PrintWriter out, Session session, Map<String, Tensor> feeds) throws IOException {
        long t0 = System.nanoTime();
        try (Result result = session.run(feeds)) {
            long first = System.nanoTime() - t0;
            long[] warm = new long[runs];
            for (int i = 0; i < runs; i++) {
                long s = System.nanoTime();
                session.run(feeds).close();
                warm[i] = System.nanoTime() - s;
            }
            Map<String, String> files = outputDir == null ? Map.of()
                    : OutputFiles.fileNames(List.copyOf(result.asMap().keySet()), ".npy");
            printOutputs(out, result.asMap(), files);
            out.println("latency  " + new Latency(first, warm).summary());
            if (outputDir != null) {
                write(out, result.asMap(), files);
            }
        }
    }

    private static void printOutputs(PrintWriter out, Map<String, Tensor> outputs, Map<String, String> files) {
        Map<String, TensorStats> stats = new LinkedHashMap<>();
        outputs.forEach((name, t) -> stats.put(name, TensorStats.of(t)));
        boolean anyNan = stats.values().stream().anyMatch(s -> s.nanCount() > 0);
        List<String> header = new ArrayList<>(List.of("name", "dtype", "shape", "min", "max", "mean"));
        if (anyNan) {
            header.add("nan");
        }
        if (!files.isEmpty()) {
            header.add("file");
        }
        Table t = new Table(header.toArray(String[]::new), false, false, false, true, true, true, anyNan);
        outputs.forEach((name, tensor) -> {
            TensorStats s = stats.get(name);
            List<String> row = new ArrayList<>(List.of(name, tensor.dtype().label(), tensor.shape().toString()));
            if (s.count() == 0) {
                row.addAll(List.of("(empty)", "", ""));
            } else {
                row.add(TensorStats.format(s.min(), tensor.dtype()));
                row.add(TensorStats.format(s.max(), tensor.dtype()));
                // The mean of integers is not an integer: print it as a float.
                row.add(TensorStats.format(s.mean(), DType.FLOAT32));
            }
            if (anyNan) {
                row.add(Long.toString(s.nanCount()));
            }
            if (!files.isEmpty()) {
                row.add(files.get(name));
            }
            t.row(row.toArray(String[]::new));
        });
        out.println("outputs");
        t.lines("  ").forEach(out::println);
    }

    private void write(PrintWriter out, Map<String, Tensor> outputs, Map<String, String> files) throws IOException {
        Files.createDirectories(outputDir);
        for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
            Npy.write(outputDir.resolve(files.get(e.getKey())), e.getValue());
        }
        out.println("wrote    " + outputs.size() + (outputs.size() == 1 ? " output" : " outputs") + " to "
                + outputDir);
    }
}

package dev.javelin.builder.cli;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.io.NpyFormatException;
import dev.javelin.builder.precision.AccuracyReport;
import dev.javelin.builder.precision.AccuracyThresholds;
import dev.javelin.builder.precision.AccuracyTolerance;
import dev.javelin.builder.precision.CompareModel;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin compare A [B] --input NAME=FILE.npy ... [--atol X] [--rtol Y] [--backend-a ..] [--backend-b ..]
 * [--json FILE|-]}: runs two models (or one model on two backends) on the same inputs and reports per output
 * how far B is from A, failing an element only if it exceeds both tolerances (Polygraphy's rule). Exits
 * {@link ExitCodes#OUT_OF_TOLERANCE} when an output is out of tolerance.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run two models (or one model on two backends) on the same inputs and compare their outputs.",
                "A is the reference. An element fails only if |B - A| > atol AND |B - A| / |A| > rtol (as Polygraphy"
                        + " does). Exit code 5 when any output is out of tolerance.",
                "Float inputs are rounded to float16 for a model that declares float16 inputs."})
public final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A", description = "The reference .onnx model.")
    Path modelA;

    @Parameters(index = "1", paramLabel = "B", arity = "0..1",
            description = "The candidate .onnx model (default: A again, to compare two backends).")
    Path modelB;

    @Option(names = {"-i", "--input"}, paramLabel = "NAME=FILE",
            description = {"An input tensor from a .npy file; repeat for each input. A .npz file without NAME="
                    + " supplies one input per array."})
    List<String> inputs = new ArrayList<>();

    @Option(names = "--atol", paramLabel = "X", defaultValue = "1e-5",
            description = "Absolute tolerance (default ${DEFAULT-VALUE}).")
    double atol;

    @Option(names = "--rtol", paramLabel = "Y", defaultValue = "1e-5",
            description = "Relative tolerance, against A (default ${DEFAULT-VALUE}).")
    double rtol;

    @Option(names = "--min-cosine", paramLabel = "C",
            description = "Also fail an output whose cosine similarity to A is below C.")
    Double minCosine;

    @Option(names = "--min-top1", paramLabel = "F",
            description = "Also fail a classifier output whose argmax agrees with A on less than F (0..1) of its rows.")
    Double minTop1;

    @Option(names = "--classifier", paramLabel = "OUTPUT",
            description = "Measure top-1 agreement over the last axis of this output (rank-2 outputs with more than"
                    + " one column are measured anyway). Repeatable.")
    List<String> classifiers = new ArrayList<>();

    @Option(names = "--backend-a", paramLabel = "BACKEND", defaultValue = "cpu", converter = BackendOption.class,
            completionCandidates = BackendOption.class, description = "Backend for A (default ${DEFAULT-VALUE}).")
    BackendKind backendA;

    @Option(names = "--backend-b", paramLabel = "BACKEND", defaultValue = "cpu", converter = BackendOption.class,
            completionCandidates = BackendOption.class, description = "Backend for B (default ${DEFAULT-VALUE}).")
    BackendKind backendB;

    @Option(names = "--json", paramLabel = "FILE|-",
            description = "Write the report as JSON to FILE, or to stdout with '-' (then no table is printed).")
    String json;

    @Override
    public Integer call() throws IOException {
        if (!(atol >= 0) || !(rtol >= 0)) {
            throw new ParameterException(spec.commandLine(), "--atol and --rtol must be >= 0, got " + atol + " and " + rtol);
        }
        Path b = modelB == null ? modelA : modelB;
        if (modelB == null && backendA == backendB) {
            throw new ParameterException(spec.commandLine(), "only one model given and --backend-a equals --backend-b ("
                    + backendA + "): give a second model or two different backends");
        }
        AccuracyThresholds thresholds;
        try {
            thresholds = new AccuracyThresholds(new AccuracyTolerance(atol, rtol),
                    minCosine == null ? Double.NaN : minCosine, minTop1 == null ? Double.NaN : minTop1);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        try {
            for (String arg : inputs) {
                readInput(arg, feeds);
            }
            CompareModel a = CompareModel.of(modelA);
            CompareModel bm = CompareModel.of(b);
            AccuracyReport.Options options = new AccuracyReport.Options(thresholds,
                    SessionOptions.builder().backend(backendA).build(), SessionOptions.builder().backend(backendB).build(),
                    new LinkedHashSet<>(classifiers));
            AccuracyReport report = AccuracyReport.run(a, bm, List.of(feeds), options);
            report(report);
            return report.passed() ? ExitCodes.OK : ExitCodes.OUT_OF_TOLERANCE;
        } finally {
            feeds.values().forEach(Tensor::close);
        }
    }

    private void report(AccuracyReport report) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (json == null || !json.equals("-")) {
            report.tableLines().forEach(out::println); // with --json -, stdout is the JSON alone
        }
        if (json != null) {
            OutputFiles.writeJson(json, report.toJson(), out);
        }
        out.flush();
    }

    private void readInput(String arg, Map<String, Tensor> feeds) {
        int eq = arg.indexOf('=');
        if (eq < 0 && arg.toLowerCase(Locale.ROOT).endsWith(".npz")) {
            Path file = Path.of(arg);
            Map<String, Tensor> all = read(file, "inputs from " + arg, true);
            for (Map.Entry<String, Tensor> e : all.entrySet()) {
                put(feeds, e.getKey(), e.getValue());
            }
            return;
        }
        String[] p = CliInputs.pair(spec.commandLine(), "--input", arg);
        Map<String, Tensor> one = read(Path.of(p[1]), "input '" + p[0] + "'", false);
        put(feeds, p[0], one.values().iterator().next());
    }

    private void put(Map<String, Tensor> feeds, String name, Tensor t) {
        Tensor old = feeds.put(name, t);
        if (old != null) {
            old.close();
            throw new ParameterException(spec.commandLine(), "input '" + name + "' is given twice");
        }
    }

    /** Reads a .npy (one tensor) or .npz; a bad file is exit code 3 naming the input and the file. */
    private static Map<String, Tensor> read(Path file, String what, boolean npz) {
        try {
            return npz ? Npy.readNpz(file) : Map.of("", Npy.read(file));
        } catch (NpyFormatException e) {
            throw new CliException(ExitCodes.MODEL_OR_INPUT, what + ": " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.MODEL_OR_INPUT, what + ": no such file " + file, e);
        } catch (IOException e) {
            throw new CliException(ExitCodes.MODEL_OR_INPUT, what + ": cannot read " + file + ": " + ExitCodes.describe(e), e);
        }
    }
}

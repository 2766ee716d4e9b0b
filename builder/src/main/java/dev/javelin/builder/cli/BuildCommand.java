package dev.javelin.builder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.javelin.builder.bundle.BuildOptions;
import dev.javelin.builder.bundle.BuildReport;
import dev.javelin.builder.bundle.BundleBuild;
import dev.javelin.builder.bundle.Progress;
import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.precision.Calibrator;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.bundle.ManifestCodec;
import dev.javelin.runtime.bundle.Precision;
import dev.javelin.runtime.trt.InputShapes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin build MODEL -o OUT ...}: runs the graph steps, writes an engine bundle (model.onnx +
 * manifest.json) and, unless {@code --onnx-only}, builds the TensorRT plan into it. Without a GPU the bundle is
 * still written (usable on ONNX Runtime, its manifest saying no plan was built) and the command ends with the
 * typed "backend unavailable" error, exit code 4.
 */
@Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build an engine bundle: graph steps (checks, legalization, precision), then model.onnx +"
                + " manifest.json, then the TensorRT plan (strongly typed; precision is decided in the graph).",
                "The bundle runs with 'javelin run OUT' / Session.open(OUT): the plan on TensorRT, model.onnx on ONNX Runtime."})
public final class BuildCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx model file.")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true,
            description = "The bundle folder (created; a previous bundle there is replaced, any other content refused).")
    Path out;

    @Option(names = "--precision", paramLabel = "fp32|fp16|int8", defaultValue = "fp32",
            description = "Graph precision (default ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--calib-data", paramLabel = "DIR", description = "Samples (.npy/.npz): INT8 calibrates on them, --fp16-auto measures ranges on them; the last fifth is held back for the accuracy report unless --eval-data is given.")
    Path calibData;

    @Option(names = "--calibrator", paramLabel = "max|percentile|entropy", description = "INT8 calibrator (default percentile 99.99).")
    String calibrator;

    @Option(names = "--shapes", paramLabel = "NAME:MIN/OPT/MAX",
            description = {"Optimization profile of an input, shapes as DxD..: e.g. input_ids:1x16/8x128/32x256"
                    + " (NAME:DxD.. for one fixed shape). Comma-separated or repeated.",
                    "Inputs not given: fixed dimensions kept, dynamic batch 1/1/32, other dynamic dimensions 1/256/2048,"
                            + " and a dimension sharing a symbol with a given input takes its range."})
    List<String> shapes = new ArrayList<>();

    @Option(names = "--workspace", paramLabel = "MiB", defaultValue = "0",
            description = "TensorRT builder workspace limit in MiB (default: TensorRT's, the device memory).")
    long workspaceMiB;

    @Option(names = "--opt-level", paramLabel = "N", defaultValue = "-1",
            description = "TensorRT builder optimization level 0-5 (default: TensorRT's, 3).")
    int optLevel;

    @Option(names = "--timing-cache", paramLabel = "FILE",
            description = "TensorRT timing cache: loaded before the build if it exists, saved after (reuse it across builds).")
    Path timingCache;

    @Option(names = "--eval-data", paramLabel = "DIR",
            description = "FP16/INT8: samples (.npy/.npz) for the accuracy report against the float32 model; default: the"
                    + " last fifth of --calib-data, held back from calibration.")
    Path evalData;

    @Option(names = "--fp16-auto", description = "FP16: also keep in float32 every node whose activations on --calib-data"
            + " leave the float16-safe range.")
    boolean fp16Auto;

    @Option(names = "--keep-io-types", paramLabel = "true|false", defaultValue = "true", arity = "1",
            description = "FP16: keep float32 model inputs and outputs (Casts inside the model); false makes them float16.")
    boolean keepIoTypes;

    @Option(names = "--prefer", paramLabel = "rewrite|kernels", defaultValue = "rewrite",
            description = "For ops TensorRT lacks that can be rewritten and also have a Javelin kernel: which to use "
                    + "(default rewrite; kernels keeps ONNX Runtime's exact integer semantics).")
    String prefer;

    @Option(names = "--onnx-only", description = "Stop before the TensorRT step: write model.onnx and the manifest only.")
    boolean onnxOnly;

    @Option(names = "--device", paramLabel = "N", defaultValue = "0", description = "CUDA device to build on (default 0).")
    int device;

    @Option(names = "--json", description = "Print the result (bundle, manifest, TensorRT outcome) as JSON; progress goes to stderr.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        BuildOptions options = options();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter progressOut = json ? spec.commandLine().getErr() : out;
        BuildReport report;
        try {
            report = new BundleBuild("javelin " + Main.javelinVersion()).run(model, this.out, options,
                    new TerminalProgress(progressOut));
        } catch (InvalidInputException e) {
            throw new ParameterException(spec.commandLine(), "--shapes: " + e.getMessage(), e);
        }
        if (json) {
            ObjectNode root = new ObjectMapper().createObjectNode();
            root.put("bundle", report.bundle().toString());
            root.put("seconds", report.nanos() / 1e9);
            root.put("plan_built", report.planBuilt());
            root.put("tensorrt_error", report.tensorRtFailure() == null ? null : report.tensorRtFailure().getMessage());
            root.set("manifest", ManifestCodec.tree(report.manifest()));
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
        } else {
            out.printf(Locale.ROOT, "bundle   %s (%s) in %.1f s%n", report.bundle(), report.manifest().precision(),
                    report.nanos() / 1e9);
            out.println("plan     " + (report.planBuilt() ? report.manifest().engines().get(0).file()
                    : "none (" + report.manifest().tensorRt().detail() + ")"));
        }
        out.flush();
        RuntimeException failure = report.tensorRtFailure();
        if (failure != null) {
            throw new CliException(ExitCodes.of(failure), "TensorRT step stopped: " + failure.getMessage() + ". The bundle "
                    + report.bundle() + " is complete without a plan and runs on ONNX Runtime ('javelin run "
                    + report.bundle() + " ...'); build the plan where TensorRT runs, or pass --onnx-only to skip this step",
                    failure);
        }
        return ExitCodes.OK;
    }

    /** The options as the builder takes them; a bad value is a usage error naming the option. */
    BuildOptions options() {
        Precision p;
        Calibrator c = null;
        InputShapes s;
        try {
            p = Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--precision: " + e.getMessage());
        }
        try {
            c = calibrator == null ? null : Calibrator.parse(calibrator);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--calibrator: " + e.getMessage());
        }
        try {
            s = InputShapes.parse(shapes);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--shapes: " + e.getMessage());
        }
        if (workspaceMiB < 0) {
            throw new ParameterException(spec.commandLine(), "--workspace must be >= 0 MiB, was " + workspaceMiB);
        }
        if (optLevel < -1 || optLevel > 5) {
            throw new ParameterException(spec.commandLine(), "--opt-level must be 0-5, was " + optLevel);
        }
        try {
            return new BuildOptions(p, calibData, c, s, Math.multiplyExact(workspaceMiB, 1L << 20), optLevel, timingCache,
                    onnxOnly, device, null, Prefer.parse(prefer), evalData,
                    new BuildOptions.Fp16Settings(fp16Auto, keepIoTypes));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Build phases as {@code [2/4] ...} lines, details indented, and the elapsed time of a long TensorRT build. */
    static final class TerminalProgress implements Progress {
        private final PrintWriter out;

        TerminalProgress(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void step(int index, int total, String what) {
            out.println("[" + index + "/" + total + "] " + what);
            out.flush();
        }

        @Override
        public void line(String text) {
            out.println("      " + text);
            out.flush();
        }

        @Override
        public Waiting waiting(String what) {
            long start = System.nanoTime();
            Thread ticker = new Thread(() -> {
                try {
                    while (true) {
                        Thread.sleep(5000);
                        out.printf(Locale.ROOT, "      %s: %.0f s%n", what, (System.nanoTime() - start) / 1e9);
                        out.flush();
                    }
                } catch (InterruptedException e) {
                    // the build ended
                }
            }, "javelin-build-ticker");
            ticker.setDaemon(true);
            ticker.start();
            return ticker::interrupt;
        }
    }
}

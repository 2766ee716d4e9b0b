package dev.javelin.builder.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code javelin} command line. Each subcommand is a {@code Callable<Integer>} that returns 0 or
 * throws; this class turns every failure into one line on stderr ({@code javelin: <message>}), the
 * stack trace only with {@code --verbose}, and an exit code from {@link ExitCodes}.
 *
 * <p>No logger may be created before {@link #execute} has configured slf4j-simple from
 * {@code --verbose}: slf4j-simple reads its settings once, when the first logger is made.
 */
@Command(name = "javelin",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Runs ONNX models on TensorRT or ONNX Runtime (CUDA or CPU), whichever is best here.",
        // Help order: the model commands, then the system ones.
        subcommands = {
                InspectCommand.class,
                RunCommand.class,
                DoctorCommand.class,
                DemoCommand.class,
                StreamCommand.class,
                BenchCommand.class,
                BuildCommand.class,
                CompareCommand.class,
                CalibrateCommand.class,
                HelpCommand.class
        },
        footer = {"",
                "Exit codes: 0 ok, 1 failure, 2 usage error, 3 bad model or input,",
                "            4 backend unavailable, 5 out of tolerance (compare).",
                "Run 'javelin help COMMAND' for a command's options."})
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    /** Inherited by every subcommand, so it works before or after the command name. */
    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Log what Javelin does (backend selection, timings) and print stack traces of errors.")
    boolean verbose;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "no command given; expected one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** Entry point of the {@code ./javelin} launcher. */
    public static void main(String[] args) {
        int code = execute(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /**
     * Runs the CLI without exiting the JVM (for tests and embedding).
     *
     * @return the exit code: see {@link ExitCodes}
     */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        boolean verbose = isVerbose(args);
        configureLogging(verbose);
        CommandLine cli = commandLine(verbose);
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        return cli.execute(args);
    }

    /** The configured command line; exposed so tests can inspect the command tree. */
    static CommandLine commandLine(boolean verbose) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter w = commandLine.getErr();
            w.println("javelin: " + ExitCodes.describe(e));
            if (verbose) {
                e.printStackTrace(w);
            }
            w.flush();
            return ExitCodes.of(e);
        });
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            PrintWriter w = c.getErr();
            String name = c.getCommandSpec().qualifiedName();
            w.println("javelin: " + ExitCodes.oneLine(e.getMessage()) + " (see '" + helpFor(name) + "')");
            if (verbose) {
                e.printStackTrace(w);
            }
            w.flush();
            return ExitCodes.USAGE;
        });
        return cli;
    }

    private static String helpFor(String qualifiedName) {
        return qualifiedName.equals("javelin") ? "javelin --help"
                : "javelin help " + qualifiedName.substring("javelin ".length());
    }

    /**
     * Looks for {@code -v}/{@code --verbose} before picocli parses, because logging must be set up before any
     * class that logs is loaded. Stops at {@code --} (what follows is operands).
     */
    static boolean isVerbose(String[] args) {
        for (String a : args) {
            if (a.equals("--")) {
                return false;
            }
            if (a.equals("-v") || a.equals("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * slf4j-simple settings: warnings only by default, debug with {@code --verbose}; on stderr, without thread
     * names. A level the user set with {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} wins.
     */
    static void configureLogging(boolean verbose) {
        String prefix = "org.slf4j.simpleLogger.";
        if (verbose) {
            System.setProperty(prefix + "defaultLogLevel", "debug");
        } else {
            System.getProperties().putIfAbsent(prefix + "defaultLogLevel", "warn");
        }
        System.getProperties().putIfAbsent(prefix + "logFile", "System.err");
        System.getProperties().putIfAbsent(prefix + "showThreadName", "false");
        System.getProperties().putIfAbsent(prefix + "showShortLogName", "true");
        System.getProperties().putIfAbsent(prefix + "levelInBrackets", "true");
        if (!verbose) {
            // DJL probes CUDA (to pick a tokenizer library flavor) and warns when no driver is present. Javelin
            // loads the CPU tokenizer library itself and `javelin doctor` reports the GPU, so that is noise.
            System.getProperties().putIfAbsent(prefix + "log.ai.djl.util.cuda.CudaUtils", "error");
        }
    }

    /** {@code --version}: Javelin's version, the JVM and the platform. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                    "javelin " + javelinVersion(),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                            + System.getProperty("java.vendor") + ")",
                    System.getProperty("os.name") + " " + System.getProperty("os.arch")
            };
        }
    }

    /** The project version, from a resource Maven filters at build time. */
    static String javelinVersion() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "(unknown version: version.properties missing from the class path)";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "(unknown version)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

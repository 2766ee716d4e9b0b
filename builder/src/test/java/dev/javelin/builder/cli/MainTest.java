package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.io.NpyFormatException;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line itself: help, version, and how every kind of failure is reported. None needs a backend. */
class MainTest {
    @TempDir
    Path tmp;

    @Test
    void helpListsCommandsAndExitCodes() {
        Cli.Outcome r = Cli.run("--help");
        assertEquals(0, r.code(), r.toString());
        for (String s : List.of("Usage: javelin", "run", "demo", "build", "compare", "--verbose", "Exit codes: 0 ok, 1 failure,"
                + " 2 usage error, 3 bad model or input,", "4 backend unavailable, 5 out of tolerance (compare).")) {
            assertTrue(r.out().contains(s), s + " missing from\n" + r.out());
        }
        Cli.Outcome run = Cli.run("help", "run");
        assertEquals(0, run.code());
        assertTrue(run.out().contains("--input=NAME=FILE") && run.out().contains("--output-dir=DIR")
                && run.out().contains("--backend=BACKEND"), run.out());
    }

    @Test
    void everyCommandAnswersHelpWithItsUsage() {
        for (String command : new picocli.CommandLine(new Main()).getSubcommands().keySet()) {
            if (command.equals("help")) {
                continue;
            }
            Cli.Outcome r = Cli.run(command, "--help");
            assertEquals(0, r.code(), command + " --help: " + r);
            assertTrue(r.out().contains("Usage: javelin " + command), command + " --help printed\n" + r.out());
        }
    }

    @Test
    void versionNamesJavelinJavaAndPlatform() {
        Cli.Outcome r = Cli.run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("javelin " + Main.javelinVersion() + "\n"), r.out());
        assertFalse(Main.javelinVersion().contains("${"), "version.properties was not filtered");
        assertTrue(r.out().contains("Java " + System.getProperty("java.version")));
    }

    @Test
    void usageErrorsExit2WithOneLine() {
        for (String[] args : List.of(new String[] {}, new String[] {"bogus"}, new String[] {"run"},
                new String[] {"run", "m.onnx", "--backend", "gpu"}, new String[] {"run", "m.onnx", "--input", "x"},
                new String[] {"run", "m.onnx", "--input", "=x.npy"}, new String[] {"run", "m.onnx", "--runs", "-1"},
                new String[] {"demo", "--frobnicate"})) {
            Cli.Outcome r = Cli.run(args);
            assertEquals(ExitCodes.USAGE, r.code(), r.toString());
            assertEquals(1, r.errLines().size(), r.toString());
            assertTrue(r.err().startsWith("javelin: "), r.err());
            assertTrue(r.err().contains("(see 'javelin"), r.err());
        }
        assertTrue(Cli.run("run", "m.onnx", "--backend", "gpu").err().contains("unknown backend 'gpu' (expected auto,"
                + " tensorrt, cuda or cpu)"));
    }

    @Test
    void missingModelAndBadInputFilesExit3NamingTheFile() throws IOException {
        Cli.Outcome r = Cli.run("run", tmp.resolve("absent.onnx").toString());
        assertEquals(ExitCodes.MODEL_OR_INPUT, r.code(), r.toString());
        assertEquals(List.of("javelin: model file " + tmp.resolve("absent.onnx") + " does not exist"), r.errLines());

        Cli.Outcome dir = Cli.run("run", tmp.toString());
        assertEquals(ExitCodes.MODEL_OR_INPUT, dir.code(), dir.toString());
        assertTrue(dir.err().contains("is a directory"), dir.err());

        Path model = Files.write(tmp.resolve("m.onnx"), new byte[] {1});
        Cli.Outcome noFile = Cli.run("run", model.toString(), "-i", "x=" + tmp.resolve("nope.npy"));
        assertEquals(ExitCodes.MODEL_OR_INPUT, noFile.code(), noFile.toString());
        assertEquals(List.of("javelin: input 'x': no such file " + tmp.resolve("nope.npy")), noFile.errLines());

        Path bad = Files.writeString(tmp.resolve("bad.npy"), "not numpy");
        Cli.Outcome badNpy = Cli.run("run", model.toString(), "-i", "x=" + bad);
        assertEquals(ExitCodes.MODEL_OR_INPUT, badNpy.code(), badNpy.toString());
        assertEquals(1, badNpy.errLines().size());
        assertTrue(badNpy.err().startsWith("javelin: input 'x': " + bad + ": not a NumPy .npy file"), badNpy.err());

        Path good = tmp.resolve("good.npy");
        try (Tensor t = Tensor.of(new float[] {1}, Shape.of(1))) {
            Npy.write(good, t);
        }
        Cli.Outcome twice = Cli.run("run", model.toString(), "-i", "x=" + good, "-i", "x=" + good);
        assertEquals(ExitCodes.USAGE, twice.code(), twice.toString());
        assertTrue(twice.err().contains("input 'x' is given twice"), twice.err());
    }

    @Test
    void unusableForcedBackendExits4() throws IOException {
        Path model = Files.write(tmp.resolve("m.onnx"), new byte[] {8, 8});
        // No machine running these tests has a usable TensorRT: no GPU here, and in CI no NVIDIA driver.
        Cli.Outcome r = Cli.run("run", model.toString(), "--backend", "tensorrt");
        assertEquals(ExitCodes.BACKEND_UNAVAILABLE, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().startsWith("javelin: backend 'tensorrt' is unavailable: "), r.err());
    }

    @Test
    void verbosePrintsTheStackTraceAfterTheLine() {
        String absent = tmp.resolve("absent.onnx").toString();
        Cli.Outcome quiet = Cli.run("run", absent);
        Cli.Outcome loud = Cli.run("run", absent, "--verbose");
        Cli.Outcome loudFirst = Cli.run("-v", "run", absent);
        assertEquals(1, quiet.errLines().size());
        for (Cli.Outcome r : List.of(loud, loudFirst)) {
            assertEquals(ExitCodes.MODEL_OR_INPUT, r.code());
            assertEquals(quiet.errLines().get(0), r.errLines().get(0));
            assertTrue(r.err().contains("dev.javelin.runtime.ModelException: model file"), r.err());
            assertTrue(r.err().contains("\tat dev.javelin.runtime.Session.open"), r.err());
        }
        assertTrue(Main.isVerbose(new String[] {"run", "-v"}));
        assertFalse(Main.isVerbose(new String[] {"run", "--", "-v"}));
    }

    @Test
    void exitCodesAndMessagesByFailureType() {
        assertEquals(3, ExitCodes.of(new ModelException("m")));
        assertEquals(3, ExitCodes.of(new InvalidInputException("x", "m")));
        assertEquals(3, ExitCodes.of(new NpyFormatException("f.npy", "m")));
        assertEquals(4, ExitCodes.of(new BackendUnavailableException("cuda", "no driver")));
        assertEquals(1, ExitCodes.of(new NativeFailureException("OrtRun failed")));
        assertEquals(1, ExitCodes.of(new IllegalStateException()));
        assertEquals(2, ExitCodes.of(new CliException(2, "m")));
        assertEquals("OrtRun failed: line one; line two", ExitCodes.describe(
                new NativeFailureException("OrtRun failed: line one\n   line two\n")));
        assertEquals("no such file: /x.npy", ExitCodes.describe(new NoSuchFileException("/x.npy")));
        assertEquals("java.lang.NullPointerException", ExitCodes.describe(new NullPointerException()));
    }
}

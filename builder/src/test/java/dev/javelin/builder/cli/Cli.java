package dev.javelin.builder.cli;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendSelector;
import dev.javelin.runtime.SessionOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs the CLI in this JVM and captures what it prints. */
final class Cli {
    private Cli() {
    }

    /** Exit code, stdout and stderr of one invocation. */
    record Outcome(int code, String out, String err) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\\R"));
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.execute(args, o, e);
        }
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Whether an ONNX Runtime CPU backend is installed. The backend is written on another branch; tests that
     * execute models skip (with this reason) only while no CPU implementation is on the class path at all.
     * An installed but unusable CPU backend is not a reason to skip: those tests then fail.
     */
    static boolean cpuBackendInstalled() {
        return BackendSelector.survey(SessionOptions.defaults()).stream()
                .anyMatch(c -> c.backend().kind() == BackendKind.CPU);
    }

    static final String NO_CPU_BACKEND = "no CPU backend implementation on the class path (runtime.ort not merged yet)";
}

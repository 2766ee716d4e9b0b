package dev.javelin.bindings.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Compiles a small shared library from {@code src/test/native} into {@code target/native-test} for a test.
 * When the compiler (or a header it needs) is missing, the calling test is skipped with that reason:
 * a user's machine may lack g++, CI here always has it.
 */
public final class NativeTestBuild {
    private NativeTestBuild() {
    }

    /**
     * Builds {@code output} (a file name such as {@code libcuda.so.1}) in {@code target/native-test/<dir>}
     * from {@code source} with {@code compiler} ({@code gcc} or {@code g++}) and extra flags.
     */
    public static Path build(String dir, String output, String compiler, String source, List<String> flags) {
        Path src = Path.of("src/test/native", source).toAbsolutePath();
        Path out = Path.of("target/native-test", dir, output).toAbsolutePath();
        try {
            Files.createDirectories(out.getParent());
            if (Files.exists(out) && Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(src)) > 0) {
                return out;
            }
            List<String> cmd = new ArrayList<>(List.of(compiler, "-shared", "-fPIC", "-O1", "-Wall", "-Werror"));
            cmd.addAll(flags);
            cmd.addAll(List.of("-o", out.toString(), src.toString()));
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (IOException e) {
                Assumptions.abort(compiler + " is not installed: " + e.getMessage());
                throw new AssertionError(e);
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(compiler + " timed out building " + source);
            }
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed:\n" + log);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot build " + source + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The CUDA toolkit's include folder ({@code $CUDA_HOME/include} or {@code /usr/local/cuda/include}), or skips. */
    public static Path cudaInclude() {
        for (String home : new String[] {System.getenv("CUDA_HOME"), System.getenv("CUDA_PATH"), "/usr/local/cuda"}) {
            if (home != null && Files.isRegularFile(Path.of(home, "include", "cuda.h"))) {
                return Path.of(home, "include");
            }
        }
        Assumptions.abort("cuda.h not found (set CUDA_HOME); the fake driver is compiled against the real header");
        throw new AssertionError();
    }
}

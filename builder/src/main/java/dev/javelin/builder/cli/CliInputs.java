package dev.javelin.builder.cli;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.io.NpyFormatException;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** NAME=FILE.npy and OUT=IN arguments shared by the stream and bench commands. */
final class CliInputs {
    private CliInputs() {
    }

    /** Splits {@code NAME=VALUE}; a usage error naming the option otherwise. */
    static String[] pair(CommandLine cmd, String option, String arg) {
        int eq = arg.indexOf('=');
        if (eq <= 0 || eq == arg.length() - 1) {
            throw new ParameterException(cmd, option + " '" + arg + "' must be NAME=VALUE");
        }
        return new String[] {arg.substring(0, eq), arg.substring(eq + 1)};
    }

    /** Reads each NAME=FILE.npy into {@code into}; a bad file is exit code 3 naming the input and file. */
    static void readAll(CommandLine cmd, String option, List<String> args, Map<String, Tensor> into) {
        for (String arg : args) {
            String[] p = pair(cmd, option, arg);
            Path file = Path.of(p[1]);
            try {
                Tensor t = Npy.read(file);
                Tensor old = into.put(p[0], t);
                if (old != null) {
                    old.close();
                    throw new ParameterException(cmd, "'" + p[0] + "' is given twice");
                }
            } catch (NpyFormatException e) {
                throw new CliException(ExitCodes.MODEL_OR_INPUT, option + " '" + p[0] + "': " + e.getMessage(), e);
            } catch (NoSuchFileException e) {
                throw new CliException(ExitCodes.MODEL_OR_INPUT, option + " '" + p[0] + "': no such file " + file, e);
            } catch (IOException e) {
                throw new CliException(ExitCodes.MODEL_OR_INPUT, option + " '" + p[0] + "': cannot read " + file
                        + ": " + ExitCodes.describe(e), e);
            }
        }
    }

    /** Peak resident set size of this process in MiB from /proc (Linux), or -1 where unavailable. */
    static double peakRssMiB() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

package dev.javelin.builder.cli;

import dev.javelin.builder.io.NpyFormatException;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.ModelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The CLI's exit codes and the one-line description of a failure. Subcommands just throw: runtime
 * exceptions map by type, and {@link CliException} carries an explicit code.
 */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** Anything not covered below (native failure, I/O error writing outputs, a bug). */
    public static final int FAILURE = 1;
    /** Bad command line: unknown option, missing argument, malformed value. */
    public static final int USAGE = 2;
    /** The model or an input cannot be used: missing/corrupt file, wrong name, dtype or shape. */
    public static final int MODEL_OR_INPUT = 3;
    /** The backend asked for (or every backend, for auto) cannot run on this machine. */
    public static final int BACKEND_UNAVAILABLE = 4;
    /** {@code javelin compare}: both models ran, and some output is out of tolerance. */
    public static final int OUT_OF_TOLERANCE = 5;

    private ExitCodes() {
    }

    /** The exit code for a failure. */
    public static int of(Throwable e) {
        if (e instanceof CliException c) {
            return c.exitCode();
        }
        if (e instanceof BackendUnavailableException) {
            return BACKEND_UNAVAILABLE;
        }
        if (e instanceof ModelException || e instanceof InvalidInputException || e instanceof NpyFormatException) {
            return MODEL_OR_INPUT;
        }
        return FAILURE;
    }

    /** One line saying what failed, for {@code javelin: <line>}. */
    public static String describe(Throwable e) {
        String m;
        if (e instanceof NoSuchFileException f) {
            m = "no such file: " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        } else if (e instanceof AccessDeniedException f) {
            m = "permission denied: " + f.getFile();
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            m = f.getFile() + ": " + f.getReason();
        } else if (e.getMessage() == null || e.getMessage().isBlank()) {
            // A bug rather than a user error: the type is the most useful thing to show.
            m = e.getClass().getName() + (e.getCause() != null ? " caused by " + describe(e.getCause()) : "");
        } else {
            m = e.getMessage();
        }
        return oneLine(m);
    }

    /** Joins a multi-line message (native libraries produce them) into one line. */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}

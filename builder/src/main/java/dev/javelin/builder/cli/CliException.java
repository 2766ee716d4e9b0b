package dev.javelin.builder.cli;

/**
 * A failure a subcommand reports with an explicit exit code and a message that is already the one line
 * the user should see (after {@code javelin: }).
 */
public final class CliException extends RuntimeException {
    private final int exitCode;

    /**
     * @param exitCode one of {@link ExitCodes}
     * @param message  what failed and what was expected
     */
    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /**
     * @param exitCode one of {@link ExitCodes}
     * @param message  what failed and what was expected
     * @param cause    the underlying failure (its stack is printed with {@code --verbose})
     */
    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** The process exit code. */
    public int exitCode() {
        return exitCode;
    }
}

package dev.javelin.builder.io;

import java.io.IOException;

/**
 * A {@code .npy} / {@code .npz} file that cannot be read or a tensor that cannot be written in that format.
 * The message starts with the file (or archive entry) and says what was expected.
 */
public final class NpyFormatException extends IOException {
    private final String source;

    /**
     * @param source  the file or archive entry, as the user named it
     * @param problem what is wrong and what was expected
     */
    public NpyFormatException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    /** The file or archive entry the problem is in. */
    public String source() {
        return source;
    }
}

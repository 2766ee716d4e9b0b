package dev.javelin.builder.cli;

import dev.javelin.runtime.BackendKind;
import java.util.Arrays;
import java.util.Iterator;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses and completes {@code --backend auto|cpu|cuda|tensorrt} for every command that opens a model. */
public final class BackendOption implements ITypeConverter<BackendKind>, Iterable<String> {
    @Override
    public BackendKind convert(String value) {
        try {
            return BackendKind.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** Completion candidates, in the order the help shows them. */
    @Override
    public Iterator<String> iterator() {
        return Arrays.asList("auto", "cpu", "cuda", "tensorrt").iterator();
    }
}

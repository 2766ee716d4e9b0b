package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.StringStringEntryProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.runtime.ModelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Where a tensor's bytes live when {@code data_location = EXTERNAL}: a file {@code location}
 * relative to the model's folder, a byte {@code offset} and an optional {@code length}.
 *
 * <p>The location is untrusted input. {@link #resolve} confines it to the model's folder: an absolute
 * path, a {@code ..} component, or a symbolic link that leads out of the folder is rejected, so a
 * downloaded model cannot make Javelin read arbitrary files.
 *
 * @param tensor   name of the tensor that refers to the file (for messages)
 * @param location the {@code location} value as written in the model
 * @param offset   first byte of the data in the file
 * @param length   number of bytes, or {@code -1} when the model does not say (data runs to end of file)
 * @param checksum the optional SHA-1 the model records, or {@code null}
 */
public record ExternalData(String tensor, String location, long offset, long length, String checksum) {

    /** Key names of {@code TensorProto.external_data}. */
    public static final String LOCATION = "location";
    public static final String OFFSET = "offset";
    public static final String LENGTH = "length";
    public static final String CHECKSUM = "checksum";

    /**
     * Reads the external-data description of a tensor.
     *
     * @return empty when the tensor keeps its data inside the model
     * @throws ModelException if the description is malformed (no location, non-numeric offset/length)
     */
    public static Optional<ExternalData> of(TensorProto t) {
        if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
            return Optional.empty();
        }
        String name = t.getName();
        String location = null;
        long offset = 0;
        long length = -1;
        String checksum = null;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case LOCATION -> location = e.getValue();
                case OFFSET -> offset = parseNonNegative(name, OFFSET, e.getValue());
                case LENGTH -> length = parseNonNegative(name, LENGTH, e.getValue());
                case CHECKSUM -> checksum = e.getValue();
                default -> { } // other keys are allowed by the spec and carry nothing we need
            }
        }
        if (location == null || location.isEmpty()) {
            throw new ModelException("tensor '" + name + "' is marked EXTERNAL but its external_data has no 'location'");
        }
        return Optional.of(new ExternalData(name, location, offset, length, checksum));
    }

    private static long parseNonNegative(String tensor, String key, String value) {
        try {
            long v = Long.parseLong(value.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new ModelException("tensor '" + tensor + "' has external_data " + key + "='" + value
                + "'; expected a non-negative integer");
    }

    /**
     * Resolves the location inside {@code modelDir} and checks that it stays there.
     *
     * @param modelDir the folder that holds the .onnx file
     * @return the real path of the data file
     * @throws ModelException naming the tensor and location if it is absolute, contains {@code ..},
     *                        leads out of the folder through a symbolic link, or does not exist
     */
    public Path resolve(Path modelDir) {
        checkLocationSyntax(tensor, location);
        if (modelDir == null) {
            throw new ModelException("tensor '" + tensor + "' keeps its data in external file '" + location
                    + "', but the model was not loaded from a folder, so there is nothing to resolve it against");
        }
        Path base;
        try {
            base = modelDir.toRealPath();
        } catch (IOException e) {
            throw new ModelException("model folder " + modelDir + " cannot be read: " + e.getMessage(), e);
        }
        Path candidate = base.resolve(location).normalize();
        if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
            throw new ModelException("tensor '" + tensor + "': external data file '" + location
                    + "' does not exist in " + base);
        }
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (IOException e) {
            // A dangling symbolic link ends up here.
            throw new ModelException("tensor '" + tensor + "': external data file '" + location
                    + "' cannot be opened in " + base + " (" + e + ")", e);
        }
        if (!real.startsWith(base)) {
            throw new ModelException("tensor '" + tensor + "': external data location '" + location
                    + "' leads outside the model folder " + base + " (through a symbolic link to " + real
                    + "); external data must stay inside the model's folder");
        }
        if (!Files.isRegularFile(real)) {
            throw new ModelException("tensor '" + tensor + "': external data location '" + location
                    + "' is not a regular file");
        }
        return real;
    }

    /**
     * Rejects locations that could point outside the model folder whatever the folder is:
     * absolute paths (POSIX or Windows), {@code ..} components, NUL characters.
     */
    static void checkLocationSyntax(String tensor, String location) {
        if (location.indexOf('\0') >= 0) {
            throw new ModelException("tensor '" + tensor + "': external data location contains a NUL character");
        }
        boolean windowsAbsolute = location.length() >= 2 && Character.isLetter(location.charAt(0))
                && location.charAt(1) == ':';
        if (location.startsWith("/") || location.startsWith("\\") || windowsAbsolute || Path.of(location).isAbsolute()) {
            throw new ModelException("tensor '" + tensor + "': external data location '" + location
                    + "' is an absolute path; it must be relative to the model's folder and stay inside it");
        }
        for (String part : location.split("[/\\\\]")) {
            if (part.equals("..")) {
                throw new ModelException("tensor '" + tensor + "': external data location '" + location
                        + "' contains '..'; it must be relative to the model's folder and stay inside it");
            }
        }
    }

    /**
     * Reads the tensor's bytes.
     *
     * @param modelDir      the folder that holds the .onnx file
     * @param expectedBytes the size the tensor's type and dims require, or {@code -1} if unknown
     * @throws ModelException if the location is rejected, or the range lies outside the file, or the
     *                        length does not match the tensor's size
     */
    public byte[] read(Path modelDir, long expectedBytes) {
        Path file = resolve(modelDir);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long n = byteCount(size, expectedBytes);
            if (n > Integer.MAX_VALUE - 8) {
                throw new ModelException("tensor '" + tensor + "' has " + n
                        + " bytes of external data; a single tensor above 2 GiB cannot be read into memory");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) n);
            long pos = offset;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos);
                if (r < 0) {
                    throw new ModelException("tensor '" + tensor + "': external data file '" + location
                            + "' ended early at byte " + pos);
                }
                pos += r;
            }
            return buf.array();
        } catch (IOException e) {
            throw new ModelException("tensor '" + tensor + "': cannot read external data file '" + location
                    + "': " + e.getMessage(), e);
        }
    }

    /**
     * Checks the byte range against the file and the tensor's size and returns the byte count.
     *
     * @param fileSize      size of the data file
     * @param expectedBytes the size the tensor's type and dims require, or {@code -1} if unknown
     */
    long byteCount(long fileSize, long expectedBytes) {
        if (offset > fileSize) {
            throw new ModelException("tensor '" + tensor + "': external data offset " + offset
                    + " is beyond the end of '" + location + "' (" + fileSize + " bytes)");
        }
        long n = length >= 0 ? length : fileSize - offset;
        if (offset + n > fileSize) {
            throw new ModelException("tensor '" + tensor + "': external data range [" + offset + ", "
                    + (offset + n) + ") is beyond the end of '" + location + "' (" + fileSize + " bytes)");
        }
        if (expectedBytes >= 0 && n != expectedBytes) {
            throw new ModelException("tensor '" + tensor + "': external data in '" + location + "' holds " + n
                    + " bytes but its type and shape need " + expectedBytes);
        }
        return n;
    }

    /** Validates location, range and size without reading the data. */
    public void check(Path modelDir, long expectedBytes) {
        Path file = resolve(modelDir);
        try {
            byteCount(Files.size(file), expectedBytes);
        } catch (IOException e) {
            throw new ModelException("tensor '" + tensor + "': cannot read external data file '" + location
                    + "': " + e.getMessage(), e);
        }
    }
}

package dev.javelin.builder.bundle;

import dev.javelin.runtime.ModelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** The fingerprint of a calibration data folder, so a bundle records exactly which samples set its INT8 scales. */
final class CalibrationData {
    private CalibrationData() {
    }

    /**
     * Hex SHA-256 over every regular file of {@code dir} and its subfolders, in name order: each file's path
     * relative to {@code dir}, its size and its bytes. Renaming, adding, removing or changing a sample changes it.
     *
     * @throws ModelException if {@code dir} is not a readable folder or holds no file
     */
    static String fingerprint(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelException("calibration data " + dir + " is not a folder; expected a folder of .npy/.npz samples");
        }
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted((a, b) -> dir.relativize(a).toString()
                    .compareTo(dir.relativize(b).toString())).toList();
        } catch (IOException e) {
            throw new ModelException("cannot list calibration data " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new ModelException("calibration data " + dir + " holds no file; expected .npy/.npz samples");
        }
        byte[] buf = new byte[1 << 16];
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                md.update((dir.relativize(f).toString().replace('\\', '/') + "\0" + Files.size(f) + "\0")
                        .getBytes(StandardCharsets.UTF_8));
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            } catch (IOException e) {
                throw new ModelException("cannot read calibration sample " + f + ": " + e.getMessage(), e);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

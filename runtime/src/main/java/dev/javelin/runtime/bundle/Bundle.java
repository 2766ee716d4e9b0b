package dev.javelin.runtime.bundle;

import dev.javelin.runtime.ModelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An engine bundle folder written by {@code javelin build}: {@code manifest.json}, the transformed
 * {@code model.onnx} (with its external data, if any), engine plans when built, optionally a partition plan.
 *
 * <p>{@link #open} trusts nothing in the folder: every file the manifest names must be a plain relative name
 * that stays inside the folder (no absolute path, no {@code ..}, no symbolic link leading out), must exist with
 * the recorded size, and {@code model.onnx} must have the recorded SHA-256. A plan's SHA-256 is checked when it
 * is read ({@link #readPlan}), since only the TensorRT backend reads plans. Each failure is a
 * {@link ModelException} naming the bundle, the manifest field and the file.
 */
public final class Bundle {
    private final Path dir;
    private final BundleManifest manifest;

    private Bundle(Path dir, BundleManifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /** Whether {@code path} is a folder holding a {@code manifest.json}. */
    public static boolean isBundle(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(BundleManifest.FILE_NAME));
    }

    /**
     * Opens and checks a bundle folder.
     *
     * @throws ModelException if the folder is not a bundle, its manifest is malformed or newer than this Javelin,
     *                        a file escapes the folder or is missing or of the wrong size, or model.onnx does not
     *                        have the recorded SHA-256
     */
    public static Bundle open(Path dir) {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw new ModelException(dir + " is not an engine bundle folder" + (Files.exists(dir) ? "" : " (it does not exist)"));
        }
        Path manifestFile = dir.resolve(BundleManifest.FILE_NAME);
        if (!Files.isRegularFile(manifestFile)) {
            throw new ModelException(dir + " is a directory without " + BundleManifest.FILE_NAME + "; expected an .onnx file"
                    + " or an engine bundle folder written by 'javelin build'");
        }
        String json;
        try {
            json = Files.readString(manifestFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelException("cannot read " + manifestFile + ": " + e.getMessage(), e);
        }
        BundleManifest m = ManifestCodec.parse(json, manifestFile.toString());
        Bundle b = new Bundle(dir, m);
        for (BundleManifest.FileRef f : m.files()) {
            b.resolve(f);
        }
        b.checkSize(m.model().file(), m.model().bytes(), "model.file");
        for (int i = 0; i < m.model().externalData().size(); i++) {
            BundleManifest.DataFile d = m.model().externalData().get(i);
            b.checkSize(d.file(), d.bytes(), "model.external_data[" + i + "].file");
        }
        for (int i = 0; i < m.engines().size(); i++) {
            BundleManifest.EngineRecord e = m.engines().get(i);
            b.checkSize(e.file(), e.bytes(), "engines[" + i + "].file");
        }
        String actual = sha256(b.modelFile());
        if (!actual.equals(m.model().sha256())) {
            throw new ModelException("bundle " + dir + ": " + m.model().file() + " has SHA-256 " + actual + " but the manifest"
                    + " records " + m.model().sha256() + "; the file was changed after the bundle was built (rebuild the bundle"
                    + " with 'javelin build')");
        }
        return b;
    }

    /** The bundle folder. */
    public Path dir() {
        return dir;
    }

    /** The manifest. */
    public BundleManifest manifest() {
        return manifest;
    }

    /** The bundle's ONNX model file. */
    public Path modelFile() {
        return dir.resolve(manifest.model().file());
    }

    /** The file of a plan named in the manifest. */
    public Path planFile(BundleManifest.EngineRecord engine) {
        return resolve(new BundleManifest.FileRef("engines[].file", engine.file()));
    }

    /**
     * The bytes of a plan, checked against the SHA-256 the manifest records.
     *
     * @throws ModelException naming the plan if it cannot be read or its hash differs
     */
    public byte[] readPlan(BundleManifest.EngineRecord engine) {
        Path file = planFile(engine);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelException("bundle " + dir + ": cannot read " + engine.file() + ": " + e.getMessage(), e);
        }
        String actual = hex(digest().digest(bytes));
        if (!actual.equals(engine.sha256())) {
            throw new ModelException("bundle " + dir + ": " + engine.file() + " has SHA-256 " + actual + " but the manifest"
                    + " records " + engine.sha256() + "; the plan was changed after the bundle was built");
        }
        return bytes;
    }

    /**
     * {@code name} resolved inside the bundle folder.
     *
     * @throws ModelException if the name is empty, absolute, has a {@code ..} part, leads out through a symbolic
     *                        link, is missing or is not a regular file
     */
    private Path resolve(BundleManifest.FileRef f) {
        String name = f.name();
        String where = "bundle " + dir + ": manifest field " + f.field() + " ('" + name + "')";
        if (name.isBlank()) {
            throw new ModelException(where + " is empty; expected a file name inside the bundle folder");
        }
        if (name.startsWith("/") || name.startsWith("\\") || name.contains(":") || Path.of(name).isAbsolute()) {
            throw new ModelException(where + " is an absolute path; a bundle may only name files inside its folder");
        }
        for (String part : name.split("[/\\\\]")) {
            if (part.equals("..")) {
                throw new ModelException(where + " escapes the bundle folder through '..'; a bundle may only name files"
                        + " inside its folder");
            }
        }
        Path p = dir.resolve(name).normalize();
        if (!p.startsWith(dir.normalize())) {
            throw new ModelException(where + " escapes the bundle folder");
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new ModelException(where + " is missing from the folder");
        }
        try {
            Path real = p.toRealPath();
            if (!real.startsWith(dir.toRealPath())) {
                throw new ModelException(where + " is a symbolic link to " + real + ", outside the bundle folder");
            }
        } catch (IOException e) {
            throw new ModelException(where + " cannot be resolved: " + e.getMessage(), e);
        }
        if (!Files.isRegularFile(p)) {
            throw new ModelException(where + " is not a regular file");
        }
        return p;
    }

    private void checkSize(String name, long expected, String field) {
        Path p = dir.resolve(name);
        try {
            long size = Files.size(p);
            if (size != expected) {
                throw new ModelException("bundle " + dir + ": " + name + " is " + size + " bytes but the manifest (" + field
                        + ") records " + expected + "; the file was changed or truncated after the bundle was built");
            }
        } catch (IOException e) {
            throw new ModelException("bundle " + dir + ": cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    /** Hex SHA-256 of a file, streamed. */
    public static String sha256(Path file) {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new ModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return hex(md.digest());
    }

    /** Hex SHA-256 of bytes. */
    public static String sha256(byte[] bytes) {
        return hex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public String toString() {
        return "Bundle[" + dir + ", " + manifest.precision() + ", " + manifest.engines().size() + " engine(s)]";
    }
}

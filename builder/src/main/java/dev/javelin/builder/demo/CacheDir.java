package dev.javelin.builder.demo;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.jar.JarEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Javelin's per-user cache folder and the copying of class-path resources into it. Native code (ONNX
 * Runtime, the tokenizer library) needs real files, but the demo's model and the tokenizer library ship
 * inside jars.
 *
 * <p>The folder is {@code -Djavelin.cache.dir}, else {@code $XDG_CACHE_HOME/javelin}, else
 * {@code ~/.cache/javelin}.
 */
public final class CacheDir {
    private static final Logger LOG = LoggerFactory.getLogger(CacheDir.class);

    private CacheDir() {
    }

    /** The default cache folder (not created). */
    public static Path defaultDir() {
        String p = System.getProperty("javelin.cache.dir");
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "javelin");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "javelin");
    }

    /**
     * A file with the content of a class-path resource. A resource that already is a file (classes folder)
     * is used in place; one inside a jar is copied once to {@code dir/<crc32>-<size>/<file name>} — the jar's
     * own CRC and size name the copy's folder, so a newer jar never reuses an old copy and nothing needs to be
     * read to check; the file keeps its name because native loaders look for exact names.
     *
     * @throws IOException naming the resource if it is missing or cannot be copied
     */
    public static Path materialize(ClassLoader loader, String resource, Path dir) throws IOException {
        URL url = loader.getResource(resource);
        if (url == null) {
            throw new IOException("class-path resource '" + resource + "' not found");
        }
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IOException("bad resource URL " + url, e);
            }
        }
        URLConnection conn = url.openConnection();
        conn.setUseCaches(false); // do not keep the jar open behind the JVM's back
        long size = conn.getContentLengthLong();
        String tag = size >= 0 ? Long.toString(size) : "unknown";
        if (conn instanceof JarURLConnection jar) {
            JarEntry entry = jar.getJarEntry();
            if (entry.getCrc() >= 0) {
                tag = String.format(Locale.ROOT, "%08x-%d", entry.getCrc(), entry.getSize());
            }
        }
        String name = Path.of(resource).getFileName().toString();
        Path folder = dir.resolve(tag);
        Path target = folder.resolve(name);
        if (Files.isRegularFile(target) && (size < 0 || Files.size(target) == size)) {
            return target;
        }
        Files.createDirectories(folder);
        // Copy beside the target, then rename: a concurrent or interrupted copy never leaves a partial file
        // under the final name.
        Path tmp = Files.createTempFile(folder, name, ".part");
        try (InputStream in = conn.getInputStream()) {
            long copied = Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            if (size >= 0 && copied != size) {
                throw new IOException("copied " + copied + " bytes of '" + resource + "' but the jar says " + size);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            LOG.info("copied class-path resource {} ({} bytes) to {}", resource, copied, target);
            return target;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

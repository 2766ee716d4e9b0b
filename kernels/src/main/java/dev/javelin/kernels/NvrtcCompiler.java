package dev.javelin.kernels;

import dev.javelin.bindings.cuda.Nvrtc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles a kernel source with NVRTC into a cubin for one GPU architecture, cached in memory and on disk
 * by (source hash, options, NVRTC version, compute capability) — everything that changes the binary. A
 * compile takes seconds; a cache hit a file read. The disk cache folder is {@code -Djavelin.kernels.cache},
 * else {@code $XDG_CACHE_HOME/javelin/kernels}, else {@code ~/.cache/javelin/kernels}; a folder that cannot be
 * written only costs recompiles (logged once per entry).
 */
final class NvrtcCompiler {
    private static final Logger LOG = LoggerFactory.getLogger(NvrtcCompiler.class);
    static final String CACHE_PROPERTY = "javelin.kernels.cache";

    /** Everything the cubin depends on. */
    record Key(String sourceHash, List<String> options, String nvrtcVersion, int computeCapability) {
        String fileName() {
            return sha256((sourceHash + "\n" + String.join(" ", options) + "\n" + nvrtcVersion + "\n" + computeCapability)
                    .getBytes(StandardCharsets.UTF_8)) + ".cubin";
        }
    }

    private final Path cacheDir;
    private final Map<Key, byte[]> memory = new ConcurrentHashMap<>();
    private final AtomicInteger compiles = new AtomicInteger();

    NvrtcCompiler(Path cacheDir) {
        this.cacheDir = cacheDir;
    }

    static Path defaultCacheDir() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p.trim());
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("javelin").resolve("kernels");
    }

    /** NVRTC options for a cubin of compute capability {@code cc} (e.g. 86). */
    static List<String> options(int cc) {
        return List.of("--gpu-architecture=sm_" + cc, "-std=c++17");
    }

    /** SHA-256 of a source and its headers, the same way the build hashes them. */
    static String sourceHash(String source, Map<String, String> headers) {
        StringBuilder sb = new StringBuilder(source).append('\0');
        headers.keySet().stream().sorted().forEach(h -> sb.append(h).append('\0').append(headers.get(h)).append('\0'));
        return sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The cubin of {@code source} for {@code cc}: from memory, the disk cache, or a fresh NVRTC compile. */
    byte[] cubin(Nvrtc nvrtc, KernelCatalogue catalogue, KernelSource source, int cc) {
        String text = catalogue.cudaSource(source);
        Map<String, String> headers = catalogue.cudaHeaders();
        Key key = new Key(sourceHash(text, headers), options(cc), nvrtc.version(), cc);
        byte[] hit = memory.get(key);
        if (hit != null) {
            return hit;
        }
        Path file = cacheDir.resolve(key.fileName());
        try {
            if (Files.isRegularFile(file)) {
                byte[] b = Files.readAllBytes(file);
                memory.put(key, b);
                LOG.debug("{}.cu for sm_{}: NVRTC cache hit {}", source.baseName(), cc, file);
                return b;
            }
        } catch (IOException e) {
            LOG.warn("cannot read the kernel cache entry {}: {}", file, e.toString());
        }
        long start = System.nanoTime();
        Nvrtc.Output out = nvrtc.compile(text, source.baseName() + ".cu", headers, key.options());
        compiles.incrementAndGet();
        LOG.info("compiled {}.cu for sm_{} with NVRTC {} in {} ms", source.baseName(), cc, nvrtc.version(),
                (System.nanoTime() - start) / 1_000_000);
        if (!out.log().isBlank()) {
            LOG.debug("NVRTC log for {}.cu: {}", source.baseName(), out.log().strip());
        }
        memory.put(key, out.image());
        try {
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, key.fileName(), ".tmp");
            Files.write(tmp, out.image());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("cannot write the kernel cache entry {} ({}); the kernel is recompiled in the next process", file, e.toString());
        }
        return out.image();
    }

    /** NVRTC compiles done by this compiler (cache misses), for tests and diagnostics. */
    int compiles() {
        return compiles.get();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

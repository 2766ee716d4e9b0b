package dev.javelin.builder.demo;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads HuggingFace tokenizers (DJL's binding of the Rust {@code tokenizers} library) without ever
 * downloading anything.
 *
 * <p>Left to itself, DJL picks a "flavor" of its native library from the machine: on a host with CUDA it
 * asks for a CUDA build, which is not in the jar, and downloads it. Javelin instead extracts the CPU
 * library the jar ships for this platform (linux x86_64/aarch64, macOS aarch64) into its cache and points
 * DJL at that file with {@code RUST_LIBRARY_PATH}, which DJL checks before anything else; DJL's offline
 * switch is set as well. If the jar has no library for this platform the error says so and how to supply
 * one, instead of a download being attempted.
 */
public final class Tokenizers {
    private static final Logger LOG = LoggerFactory.getLogger(Tokenizers.class);
    private static final String OVERRIDE = "RUST_LIBRARY_PATH";
    private static boolean prepared;

    private Tokenizers() {
    }

    /**
     * A tokenizer from a {@code tokenizer.json} stream, with the given DJL options
     * (e.g. {@code padding=false}, {@code truncation=true}, {@code maxLength=256}). The caller closes it.
     *
     * @param cacheDir where the native library is extracted
     * @throws IOException naming the problem if the native library cannot be provided or the JSON is bad
     */
    public static HuggingFaceTokenizer load(InputStream tokenizerJson, Map<String, String> options, Path cacheDir)
            throws IOException {
        prepareNativeLibrary(cacheDir);
        try {
            return HuggingFaceTokenizer.newInstance(tokenizerJson, options);
        } catch (RuntimeException e) {
            // DJL's EngineException for a native library that fails to load, or a Rust-side parse error.
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new IOException("cannot create the HuggingFace tokenizer: " + e.getMessage()
                    + (root != e ? " (" + root + ")" : ""), e);
        }
    }

    /** The platform folder name DJL's jar uses, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "osx" : os.startsWith("windows") ? "win" : os;
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return o + "-" + a;
    }

    private static synchronized void prepareNativeLibrary(Path cacheDir) throws IOException {
        if (prepared) {
            return;
        }
        // Belt and braces: even if the override below were ignored, DJL must stay offline (CPU flavor, no fetch).
        System.getProperties().putIfAbsent("ai.djl.offline", "true");
        String userOverride = System.getenv(OVERRIDE) != null ? System.getenv(OVERRIDE) : System.getProperty(OVERRIDE);
        if (userOverride != null && !userOverride.isBlank()) {
            LOG.info("using the tokenizers native library from {}={}", OVERRIDE, userOverride);
            prepared = true;
            return;
        }
        String platform = platform();
        String lib = System.mapLibraryName("tokenizers");
        String resource = "native/lib/" + platform + "/cpu/" + lib;
        ClassLoader loader = HuggingFaceTokenizer.class.getClassLoader();
        if (platform.startsWith("win-")) {
            // Windows needs three MinGW runtime DLLs beside the library; DJL extracts them from the jar itself
            // and, being offline with the CPU flavor, never downloads.
            System.getProperties().putIfAbsent("RUST_FLAVOR", "cpu");
            prepared = true;
            return;
        }
        if (loader.getResource(resource) == null) {
            throw new IOException("the HuggingFace tokenizers jar (ai.djl.huggingface:tokenizers) has no native library"
                    + " for " + platform + " (no resource " + resource + "); Javelin does not download one: build"
                    + " libtokenizers for this platform and set " + OVERRIDE + " to its path");
        }
        Path file = CacheDir.materialize(loader, resource, cacheDir.resolve("tokenizers").resolve(version(loader)
                + "-" + platform));
        System.setProperty(OVERRIDE, file.toAbsolutePath().toString()); // System.load needs an absolute path
        LOG.debug("tokenizers native library: {}", file);
        prepared = true;
    }

    private static String version(ClassLoader loader) throws IOException {
        try (InputStream in = loader.getResourceAsStream("native/lib/tokenizers.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        }
    }
}

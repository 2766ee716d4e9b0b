package dev.javelin.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.cuda.HostKernelLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host build of the kernels, shipped as a class-path resource by the main build
 * ({@code kernels/src/build/BuildHostKernels.java}: the same {@code .cu} sources compiled by g++, one host thread per
 * CUDA thread): runs {@link LaunchPlan}s on the CPU, synchronously, with "device" addresses that are host
 * addresses. This is how a partition plan's kernel nodes are emulated without a GPU — the launches, geometry and
 * parameter blocks are exactly the ones the GPU would get.
 *
 * <p>{@code -Djavelin.kernels.host=PATH} loads another build of the library instead of the resource.
 */
public final class HostKernels {
    private static final Logger LOG = LoggerFactory.getLogger(HostKernels.class);
    /** The build's record of the host library: platform, compiler, or why there is none. */
    public static final String MANIFEST = KernelSource.RESOURCE_DIR + "host/host.json";
    /** System property naming a host library file to use instead of the class-path resource. */
    public static final String PATH_PROPERTY = "javelin.kernels.host";

    private static Object instance;

    private final HostKernelLibrary library;
    private final String origin;

    private HostKernels(HostKernelLibrary library, String origin) {
        this.library = library;
        this.origin = origin;
    }

    /**
     * The host build of this class path (extracted and loaded once per JVM).
     *
     * @throws KernelUnavailableException if the build had no g++, was made for another platform, or does not load
     */
    public static synchronized HostKernels get() {
        if (instance == null) {
            try {
                instance = load();
            } catch (KernelUnavailableException e) {
                instance = e;
            }
        }
        if (instance instanceof KernelUnavailableException e) {
            throw new KernelUnavailableException(e.getMessage(), e);
        }
        return (HostKernels) instance;
    }

    private static HostKernels load() {
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            return open(Path.of(explicit.trim()), explicit.trim() + " (-D" + PATH_PROPERTY + ")");
        }
        ClassLoader loader = HostKernels.class.getClassLoader();
        JsonNode manifest;
        try (InputStream in = loader.getResourceAsStream(MANIFEST)) {
            if (in == null) {
                throw new KernelUnavailableException(MANIFEST + " is not on the class path: the kernels module was not built "
                        + "with Maven (its generate-resources step writes it)", null);
            }
            manifest = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new KernelUnavailableException("cannot read " + MANIFEST + ": " + e.getMessage(), e);
        }
        if (!manifest.path("built").asBoolean(false)) {
            throw new KernelUnavailableException("the kernels have no host build: " + manifest.path("reason").asText("unknown reason"),
                    null);
        }
        String platform = manifest.path("platform").asText();
        if (!platform.equals(platform())) {
            throw new KernelUnavailableException("the host build of the kernels is for " + platform + ", this JVM runs on "
                    + platform() + " (rebuild the kernels module on this platform)", null);
        }
        String resource = manifest.path("library").asText();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new KernelUnavailableException(resource + " is missing from the class path", null);
            }
            // A file for dlopen; removed when the JVM exits (the library stays mapped until then).
            Path file = Files.createTempFile("libjavelin_kernels_host", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return open(file, resource + " (" + manifest.path("compiler").asText() + ")");
        } catch (IOException e) {
            throw new KernelUnavailableException("cannot extract " + resource + ": " + e.getMessage(), e);
        }
    }

    private static HostKernels open(Path file, String origin) {
        try {
            HostKernels h = new HostKernels(HostKernelLibrary.load(file), origin);
            LOG.debug("host build of the kernels loaded from {}", origin);
            return h;
        } catch (NativeLibraryUnavailableException e) {
            throw new KernelUnavailableException(e.getMessage(), e);
        }
    }

    /**
     * {@code linux-x86_64}, {@code linux-aarch64}: as the build names its output. src/build/BuildHostKernels.java has a
     * copy that must stay identical (it runs as a single-file source program before this class is compiled).
     */
    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "");
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        if (arch.equals("amd64")) {
            arch = "x86_64";
        } else if (arch.equals("arm64")) {
            arch = "aarch64";
        }
        return os + "-" + arch;
    }

    /** Runs every launch of {@code plan} in order, each to completion. */
    public void run(LaunchPlan plan) {
        for (Launch l : plan.launches()) {
            library.launch(l.entry().symbol(), l.grid(), l.block(), l.sharedBytes(), l.args());
        }
    }

    /** Whether the library has the kernel entry {@code symbol}. */
    public boolean has(String symbol) {
        return library.has(symbol);
    }

    /** Where the library came from (resource and compiler, or the property's path). */
    public String origin() {
        return origin;
    }

    @Override
    public String toString() {
        return "host build of the kernels from " + origin;
    }
}

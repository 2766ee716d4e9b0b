package dev.javelin.kernels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the build produced, read from the class-path resource {@code dev/javelin/kernels/kernels.json}
 * (written by the nvcc step, {@code kernels/src/build/BuildKernels.java}): whether fatbins exist (and if not,
 * why), per source its fatbin resource and source hash, per kernel its PTX parameter list, launch bound and
 * the ptxas figures (registers, spills, shared memory) for every SASS target. Also serves the fatbin bytes and
 * the CUDA sources (for NVRTC).
 *
 * <p>Fatbins contain SASS for {@link #sassTargets()} and PTX for {@link #ptxTarget()}. nvcc 13 emits PTX ISA
 * 9.0, which only R580+ drivers (CUDA 13) can JIT; a GPU with SASS in the fatbin needs no JIT, but an older
 * driver rejects the whole image ({@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}) and the kernels then come from
 * NVRTC (see {@link KernelModules}).
 */
public final class KernelCatalogue {
    /** The manifest resource. */
    public static final String MANIFEST = KernelSource.RESOURCE_DIR + "kernels.json";
    /** The shared header every source includes. */
    static final String COMMON_HEADER = "jk_common.cuh";

    /** ptxas figures of one kernel for one architecture. */
    public record SassFigures(int registers, int stackBytes, int spillStoreBytes, int spillLoadBytes, int sharedBytes) {
    }

    /**
     * One kernel as built.
     *
     * @param symbol     entry name
     * @param source     source base name
     * @param ptxParams  PTX {@code .param} types in order ({@code u64}, {@code u32}, {@code f32}, {@code b8[160]:align8})
     * @param maxThreads the PTX {@code .maxntid} volume, or 0 if none
     * @param sass       figures per architecture ({@code sm_86} ...)
     */
    public record Kernel(String symbol, String source, List<String> ptxParams, int maxThreads, Map<String, SassFigures> sass) {
    }

    private static volatile KernelCatalogue instance;

    private final boolean fatbins;
    private final String reason;
    private final String nvcc;
    private final List<String> sassTargets;
    private final String ptxTarget;
    private final Map<String, String> sourceHashes;
    private final Map<String, Kernel> kernels;
    private final ClassLoader loader;
    private final Map<KernelSource, Optional<byte[]>> images = new ConcurrentHashMap<>();

    private KernelCatalogue(JsonNode root, ClassLoader loader) {
        this.loader = loader;
        if (root.path("schema").asInt() != 1) {
            throw new IllegalStateException(MANIFEST + " has schema " + root.path("schema") + ", expected 1");
        }
        this.fatbins = root.path("fatbins").asBoolean(false);
        this.reason = root.path("reason").asText(null);
        this.nvcc = root.path("nvcc").asText(null);
        List<String> sass = new ArrayList<>();
        root.path("sass").forEach(n -> sass.add(n.asText()));
        this.sassTargets = List.copyOf(sass);
        this.ptxTarget = root.path("ptx").asText(null);
        Map<String, String> hashes = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("sources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            hashes.put(e.getKey(), e.getValue().path("sha256").asText());
        }
        this.sourceHashes = Collections.unmodifiableMap(hashes);
        Map<String, Kernel> ks = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("kernels").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode k = e.getValue();
            List<String> params = new ArrayList<>();
            k.path("params").forEach(p -> params.add(p.asText()));
            Map<String, SassFigures> figures = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> s = k.path("sass").fields(); s.hasNext(); ) {
                Map.Entry<String, JsonNode> f = s.next();
                JsonNode v = f.getValue();
                figures.put(f.getKey(), new SassFigures(v.path("registers").asInt(), v.path("stackBytes").asInt(),
                        v.path("spillStoreBytes").asInt(), v.path("spillLoadBytes").asInt(), v.path("sharedBytes").asInt()));
            }
            ks.put(e.getKey(), new Kernel(e.getKey(), k.path("source").asText(), List.copyOf(params), k.path("maxThreads").asInt(0),
                    Collections.unmodifiableMap(figures)));
        }
        this.kernels = Collections.unmodifiableMap(ks);
    }

    /** The catalogue of this class path (read once). */
    public static KernelCatalogue get() {
        KernelCatalogue c = instance;
        if (c == null) {
            synchronized (KernelCatalogue.class) {
                if (instance == null) {
                    instance = load(KernelCatalogue.class.getClassLoader());
                }
                c = instance;
            }
        }
        return c;
    }

    /** Reads the manifest through {@code loader}. */
    static KernelCatalogue load(ClassLoader loader) {
        try (InputStream in = loader.getResourceAsStream(MANIFEST)) {
            if (in == null) {
                throw new IllegalStateException(MANIFEST + " is not on the class path: the kernels module was not built "
                        + "with Maven (its generate-resources step writes it)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), loader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MANIFEST, e);
        }
    }

    /** A catalogue from manifest text; fatbins and sources are read through {@code loader}. */
    static KernelCatalogue parse(String json, ClassLoader loader) {
        try {
            return new KernelCatalogue(new ObjectMapper().readTree(json), loader);
        } catch (IOException e) {
            throw new IllegalStateException(MANIFEST + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The Javelin kernel for an ONNX op, if there is one ({@link KernelOp}: DynamicQuantizeLinear, MatMulInteger, DFT,
     * AffineGrid, Unique). Needs no build output: the op list is part of the code.
     */
    public static Optional<KernelOp> kernelFor(String domain, String opType) {
        return KernelOp.forOnnx(domain, opType);
    }

    /** Whether the build produced fatbins (it had nvcc). */
    public boolean hasFatbins() {
        return fatbins;
    }

    /** Why there are no fatbins, or {@code null} when there are. */
    public String reason() {
        return reason;
    }

    /** The nvcc version that built the fatbins, or {@code null}. */
    public String nvccVersion() {
        return nvcc;
    }

    /** SASS architectures in every fatbin, e.g. {@code sm_75 ... sm_120}. */
    public List<String> sassTargets() {
        return sassTargets;
    }

    /** The PTX target in every fatbin ({@code compute_75}), or {@code null}. */
    public String ptxTarget() {
        return ptxTarget;
    }

    /** SHA-256 of the source and the shared header, as hashed by the build (the NVRTC cache key uses it). */
    public String sourceHash(KernelSource source) {
        return sourceHashes.get(source.baseName());
    }

    /** Every kernel the build compiled, by entry name. */
    public Map<String, Kernel> kernels() {
        return kernels;
    }

    /** One kernel as built, if the build compiled it. */
    public Optional<Kernel> kernel(KernelEntry entry) {
        return Optional.ofNullable(kernels.get(entry.symbol()));
    }

    /** The fatbin of {@code source}, if the build produced one; read once and cached. The array is shared: do not modify. */
    public Optional<byte[]> fatbin(KernelSource source) {
        if (!fatbins) {
            return Optional.empty();
        }
        return images.computeIfAbsent(source, s -> Optional.ofNullable(readResource(s.fatbinResource())));
    }

    /** The CUDA source text of {@code source}. */
    public String cudaSource(KernelSource source) {
        return text(source.sourceResource());
    }

    /** The headers the sources include, by include name. */
    public Map<String, String> cudaHeaders() {
        return Map.of(COMMON_HEADER, text(KernelSource.RESOURCE_DIR + "cuda/" + COMMON_HEADER));
    }

    private String text(String resource) {
        byte[] b = readResource(resource);
        if (b == null) {
            throw new IllegalStateException(resource + " is not on the class path");
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private byte[] readResource(String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    @Override
    public String toString() {
        return fatbins ? "kernels: fatbins from nvcc " + nvcc + " (SASS " + String.join(",", sassTargets) + ", PTX " + ptxTarget + ")"
                : "kernels: no fatbins (" + reason + ")";
    }
}

package dev.javelin.runtime.trt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.bundle.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Built TensorRT engines on disk, keyed by {@link EngineCacheKey}: {@code <stem>.engine} holds the plan,
 * {@code <stem>.json} the full key, the plan's size and SHA-256, the model signature (with symbolic
 * dimension names, which an engine does not keep) and the optimisation profile. The JSON is written last
 * and both files are moved into place atomically, so a reader sees a complete entry or none; an entry whose
 * key, size or hash does not match is ignored (and rebuilt by the caller).
 */
public final class EngineCache {
    private static final Logger LOG = LoggerFactory.getLogger(EngineCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    /** A cache in {@code dir} (created when the first entry is stored). */
    public EngineCache(Path dir) {
        this.dir = dir;
    }

    /** System property naming the engine cache folder (wins over {@link #DIR_ENV}). */
    public static final String DIR_PROPERTY = "javelin.engine.cache.dir";
    /** Environment variable naming the engine cache folder; the Docker images point it at their volume. */
    public static final String DIR_ENV = "JAVELIN_ENGINE_CACHE";

    /** {@code -Djavelin.engine.cache.dir}, else {@code $JAVELIN_ENGINE_CACHE}, else {@code ~/.cache/javelin/engines}. */
    public static Path defaultDir() {
        return defaultDir(System.getProperties(), System.getenv());
    }

    static Path defaultDir(java.util.Properties props, Map<String, String> env) {
        String p = props.getProperty(DIR_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p.trim());
        }
        String e = env.get(DIR_ENV);
        if (e != null && !e.isBlank()) {
            return Path.of(e.trim());
        }
        return Path.of(props.getProperty("user.home"), ".cache", "javelin", "engines");
    }

    /** The folder the options ask for, else {@link #defaultDir()}. */
    public static Path dirFor(SessionOptions options) {
        return options.engineCacheDir() != null ? options.engineCacheDir() : defaultDir();
    }

    /** The cache folder. */
    public Path dir() {
        return dir;
    }

    /**
     * A cached engine.
     *
     * @param plan      serialized engine
     * @param signature model inputs and outputs
     * @param profile   the optimisation profile it was built with
     * @param file      the plan's file
     */
    public record Entry(byte[] plan, ModelSignature signature, OptimizationProfile profile, Path file) {
    }

    /** The plan file of {@code key}. */
    public Path planFile(EngineCacheKey key) {
        return dir.resolve(key.fileStem() + ".engine");
    }

    private Path metaFile(EngineCacheKey key) {
        return dir.resolve(key.fileStem() + ".json");
    }

    /** The entry for {@code key}, if a complete and matching one exists. */
    public Optional<Entry> load(EngineCacheKey key) {
        Path meta = metaFile(key);
        Path plan = planFile(key);
        if (!Files.isRegularFile(meta) || !Files.isRegularFile(plan)) {
            return Optional.empty();
        }
        try {
            JsonNode root = JSON.readTree(meta.toFile());
            JsonNode k = root.path("key");
            if (root.path("schema").asInt() != EngineCacheKey.SCHEMA
                    || !key.modelSha256().equals(k.path("model_sha256").asText())
                    || !key.tensorRtVersion().equals(k.path("tensorrt").asText())
                    || !key.computeCapability().equals(k.path("compute_capability").asText())
                    || !key.options().equals(k.path("options").asText())) {
                LOG.warn("engine cache entry {} does not match its key; ignoring it", meta);
                return Optional.empty();
            }
            byte[] bytes = Files.readAllBytes(plan);
            if (bytes.length != root.path("plan").path("bytes").asLong()
                    || !EngineCacheKey.sha256(bytes).equals(root.path("plan").path("sha256").asText())) {
                LOG.warn("engine cache entry {} is corrupt (size or SHA-256 differs); ignoring it", plan);
                return Optional.empty();
            }
            return Optional.of(new Entry(bytes, readSignature(root.path("signature")), readProfile(root.path("profile")), plan));
        } catch (IOException | RuntimeException e) {
            LOG.warn("engine cache entry {} is unreadable ({}); ignoring it", meta, e.toString());
            return Optional.empty();
        }
    }

    /**
     * Stores an entry, replacing any previous one for the key.
     *
     * @return the plan's file
     * @throws IOException if the folder or files cannot be written
     */
    public Path store(EngineCacheKey key, byte[] plan, ModelSignature signature, OptimizationProfile profile) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", EngineCacheKey.SCHEMA);
        ObjectNode k = root.putObject("key");
        k.put("model_sha256", key.modelSha256());
        k.put("tensorrt", key.tensorRtVersion());
        k.put("compute_capability", key.computeCapability());
        k.put("options", key.options());
        k.put("digest", key.digest());
        ObjectNode p = root.putObject("plan");
        p.put("bytes", plan.length);
        p.put("sha256", EngineCacheKey.sha256(plan));
        root.set("signature", writeSignature(signature));
        root.set("profile", writeProfile(profile));
        Path planFile = planFile(key);
        AtomicFiles.write(planFile, plan);
        AtomicFiles.write(metaFile(key), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        return planFile;
    }

    private static ObjectNode writeSignature(ModelSignature s) {
        ObjectNode n = JSON.createObjectNode();
        n.set("inputs", writeTensors(s.inputs()));
        n.set("outputs", writeTensors(s.outputs()));
        return n;
    }

    private static ArrayNode writeTensors(List<TensorInfo> tensors) {
        ArrayNode a = JSON.createArrayNode();
        for (TensorInfo t : tensors) {
            ObjectNode o = a.addObject();
            o.put("name", t.name());
            o.put("dtype", t.dtype().label());
            ArrayNode dims = o.putArray("dims");
            for (TensorInfo.Dim d : t.dims()) {
                ObjectNode dn = dims.addObject();
                dn.put("size", d.size());
                if (d.symbol() != null) {
                    dn.put("symbol", d.symbol());
                }
            }
        }
        return a;
    }

    private static ModelSignature readSignature(JsonNode n) {
        return new ModelSignature(readTensors(n.path("inputs")), readTensors(n.path("outputs")));
    }

    private static List<TensorInfo> readTensors(JsonNode a) {
        if (!a.isArray()) {
            throw new IllegalArgumentException("signature tensors missing");
        }
        List<TensorInfo> out = new ArrayList<>();
        for (JsonNode o : a) {
            List<TensorInfo.Dim> dims = new ArrayList<>();
            for (JsonNode d : o.path("dims")) {
                dims.add(new TensorInfo.Dim(d.path("size").asLong(), d.hasNonNull("symbol") ? d.get("symbol").asText() : null));
            }
            out.add(new TensorInfo(o.path("name").asText(), DType.parse(o.path("dtype").asText()), dims));
        }
        return out;
    }

    private static ObjectNode writeProfile(OptimizationProfile profile) {
        ObjectNode n = JSON.createObjectNode();
        profile.inputs().forEach((name, r) -> {
            ObjectNode o = n.putObject(name);
            putLongs(o.putArray("min"), r.min());
            putLongs(o.putArray("opt"), r.opt());
            putLongs(o.putArray("max"), r.max());
        });
        return n;
    }

    private static void putLongs(ArrayNode a, long[] values) {
        for (long v : values) {
            a.add(v);
        }
    }

    private static OptimizationProfile readProfile(JsonNode n) {
        Map<String, OptimizationProfile.Range> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            m.put(e.getKey(), new OptimizationProfile.Range(
                    longs(e.getValue().path("min")), longs(e.getValue().path("opt")), longs(e.getValue().path("max"))));
        }
        return new OptimizationProfile(m);
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }
}

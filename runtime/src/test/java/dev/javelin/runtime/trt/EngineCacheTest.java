package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.TensorInfo.Dim;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineCacheTest {
    private static final String MODEL = EngineCacheKey.sha256("model bytes".getBytes(StandardCharsets.UTF_8));
    private static final EngineCacheKey KEY = new EngineCacheKey(MODEL, "10.15.1", "8.6", TensorRtOptions.defaults().fingerprint());
    private static final ModelSignature SIG = new ModelSignature(
            List.of(new TensorInfo("input", DType.FLOAT32, List.of(Dim.symbolic("batch"), Dim.fixed(512))),
                    new TensorInfo("sr", DType.INT64, List.of())),
            List.of(new TensorInfo("output", DType.FLOAT32, List.of(Dim.symbolic("batch"), Dim.symbolic(null)))));
    private static final OptimizationProfile PROFILE = ProfileDerivation.derive(SIG.inputs(), ProfileSpec.defaults());

    @Test
    void sha256MatchesAKnownVector() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                EngineCacheKey.sha256("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void everyComponentChangesTheKeyAndEqualInputsGiveEqualKeys() {
        EngineCacheKey same = new EngineCacheKey(MODEL, "10.15.1", "8.6", TensorRtOptions.defaults().fingerprint());
        assertEquals(KEY.digest(), same.digest());
        assertEquals(KEY.fileStem(), same.fileStem());
        Set<String> digests = Stream.of(KEY,
                new EngineCacheKey(EngineCacheKey.sha256(new byte[] {1}), "10.15.1", "8.6", KEY.options()),
                new EngineCacheKey(MODEL, "10.15.2", "8.6", KEY.options()),
                new EngineCacheKey(MODEL, "10.15.1", "8.9", KEY.options()),
                new EngineCacheKey(MODEL, "10.15.1", "8.6", new TensorRtOptions(ProfileSpec.parse("batch=1:8:32"), 0, -1, 2).fingerprint()),
                new EngineCacheKey(MODEL, "10.15.1", "8.6", new TensorRtOptions(ProfileSpec.defaults(), 1L << 30, -1, 2).fingerprint()),
                new EngineCacheKey(MODEL, "10.15.1", "8.6", new TensorRtOptions(ProfileSpec.defaults(), 0, 5, 2).fingerprint()))
                .map(EngineCacheKey::digest).collect(Collectors.toSet());
        assertEquals(7, digests.size());
        // The number of execution contexts is a run-time choice: it does not change the engine.
        assertEquals(KEY.options(), new TensorRtOptions(ProfileSpec.defaults(), 0, -1, 8).fingerprint());
        assertTrue(KEY.fileStem().startsWith(MODEL.substring(0, 12) + "-trt10.15.1-sm86-"), KEY.fileStem());
        assertThrows(IllegalArgumentException.class, () -> new EngineCacheKey("ABC", "10.15.1", "8.6", ""));
    }

    @Test
    void storeThenLoadRoundTripsPlanSignatureAndProfile(@TempDir Path dir) throws IOException {
        EngineCache cache = new EngineCache(dir.resolve("engines"));
        assertTrue(cache.load(KEY).isEmpty());
        byte[] plan = new byte[10_000];
        new java.util.Random(3).nextBytes(plan);
        Path file = cache.store(KEY, plan, SIG, PROFILE);
        assertEquals(dir.resolve("engines").resolve(KEY.fileStem() + ".engine"), file);
        EngineCache.Entry e = cache.load(KEY).orElseThrow();
        assertArrayEquals(plan, e.plan());
        assertEquals(SIG, e.signature());
        assertEquals(PROFILE, e.profile());
        try (Stream<Path> files = Files.list(dir.resolve("engines"))) {
            assertEquals(Set.of(KEY.fileStem() + ".engine", KEY.fileStem() + ".json"),
                    files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()), "no temporary file left");
        }
        assertTrue(cache.load(new EngineCacheKey(MODEL, "10.15.1", "8.9", KEY.options())).isEmpty(), "other GPU: miss");
    }

    @Test
    void corruptOrMismatchedEntriesAreMisses(@TempDir Path dir) throws IOException {
        EngineCache cache = new EngineCache(dir);
        byte[] plan = {1, 2, 3, 4};
        Path file = cache.store(KEY, plan, SIG, PROFILE);
        Files.write(file, new byte[] {1, 2, 3, 5});
        assertTrue(cache.load(KEY).isEmpty(), "hash mismatch");
        cache.store(KEY, plan, SIG, PROFILE);
        Path meta = dir.resolve(KEY.fileStem() + ".json");
        Files.writeString(meta, Files.readString(meta).replace("10.15.1", "10.15.9"));
        assertTrue(cache.load(KEY).isEmpty(), "key mismatch");
        Files.writeString(meta, "{ not json");
        assertTrue(cache.load(KEY).isEmpty(), "unreadable");
        cache.store(KEY, plan, SIG, PROFILE);
        Files.delete(meta);
        assertTrue(cache.load(KEY).isEmpty(), "no metadata, no entry");
        cache.store(KEY, plan, SIG, PROFILE);
        assertArrayEquals(plan, cache.load(KEY).orElseThrow().plan(), "a store repairs the entry");
    }

    @Test
    void cacheFolderComesFromTheOptionsElseTheUserCache(@TempDir Path dir) {
        assertEquals(dir, EngineCache.dirFor(SessionOptions.builder().engineCacheDir(dir).build()));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "javelin", "engines"),
                EngineCache.dirFor(SessionOptions.defaults()));
    }

    @Test
    void optionsFromProperties() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("javelin.tensorrt.shapes", "batch=1:2:4");
        p.setProperty("javelin.tensorrt.workspace", "512m");
        p.setProperty("javelin.tensorrt.optimizationLevel", "4");
        p.setProperty("javelin.tensorrt.contexts", "3");
        TensorRtOptions o = TensorRtOptions.from(p);
        assertEquals(512L << 20, o.workspaceBytes());
        assertEquals(4, o.optimizationLevel());
        assertEquals(3, o.contexts());
        assertEquals(Map.of("batch", new ProfileSpec.DimRange(1, 2, 4)), o.profile().symbols());
        assertEquals(TensorRtOptions.defaults(), TensorRtOptions.from(new java.util.Properties()));
        assertEquals(2L << 30, TensorRtOptions.parseBytes("2g"));
        assertEquals(1000, TensorRtOptions.parseBytes("1000"));
        assertThrows(IllegalArgumentException.class, () -> TensorRtOptions.parseBytes("lots"));
        assertThrows(IllegalArgumentException.class, () -> new TensorRtOptions(ProfileSpec.defaults(), 0, 6, 1));
        assertNotEquals(o.fingerprint(), TensorRtOptions.defaults().fingerprint());
    }
}

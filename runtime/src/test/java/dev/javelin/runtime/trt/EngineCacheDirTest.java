package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.javelin.runtime.SessionOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Where engines are cached: options, then the property, then the environment (the Docker images' volume), then home. */
class EngineCacheDirTest {
    private static Properties props(String... kv) {
        Properties p = new Properties();
        p.setProperty("user.home", "/home/someone");
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void propertyThenEnvironmentThenHome() {
        assertEquals(Path.of("/home/someone/.cache/javelin/engines"), EngineCache.defaultDir(props(), Map.of()));
        assertEquals(Path.of("/var/cache/javelin/engines"),
                EngineCache.defaultDir(props(), Map.of("JAVELIN_ENGINE_CACHE", "/var/cache/javelin/engines")));
        assertEquals(Path.of("/data/engines"), EngineCache.defaultDir(props("javelin.engine.cache.dir", "/data/engines"),
                Map.of("JAVELIN_ENGINE_CACHE", "/var/cache/javelin/engines")));
        assertEquals(Path.of("/home/someone/.cache/javelin/engines"),
                EngineCache.defaultDir(props("javelin.engine.cache.dir", "  "), Map.of("JAVELIN_ENGINE_CACHE", "")),
                "blank values are ignored");
    }

    @Test
    void sessionOptionsWin() {
        Path mine = Path.of("/tmp/mine");
        assertEquals(mine, EngineCache.dirFor(SessionOptions.builder().engineCacheDir(mine).build()));
    }
}

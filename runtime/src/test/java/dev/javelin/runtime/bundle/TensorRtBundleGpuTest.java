package dev.javelin.runtime.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.testing.TestModels;
import dev.javelin.runtime.trt.BuiltEngine;
import dev.javelin.runtime.trt.EngineCache;
import dev.javelin.runtime.trt.TensorRtBackend;
import dev.javelin.runtime.trt.TensorRtEngineBuilder;
import dev.javelin.runtime.trt.TensorRtOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle's TensorRT plan on a real GPU (skipped with the reason elsewhere): the plan built by
 * {@link TensorRtEngineBuilder} loads and computes a + b; a manifest claiming another TensorRT version is refused,
 * and with the rebuild option the engine comes from model.onnx through the engine cache; the timing cache file is
 * written by the first build and reused by the next.
 */
class TensorRtBundleGpuTest {
    private static void needsAGpu() {
        Availability a = new TensorRtBackend().availability(SessionOptions.defaults());
        Assumptions.assumeTrue(a.usable(), "TensorRT is not usable here: " + a.detail());
    }

    @Test
    void planLoadsWrongVersionIsRefusedAndRebuildWorks(@TempDir Path dir) throws Exception {
        needsAGpu();
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Path model = Files.copy(TestModels.addBatch(dir), bundle.resolve("model.onnx"));
        byte[] modelBytes = Files.readAllBytes(model);
        BundleManifest m0 = TestBundles.manifest(modelBytes, List.of());
        Path timing = dir.resolve("timing.cache");
        TensorRtOptions options = m0.build().options(m0.profiles().get(0).profile()).withTimingCache(timing);
        EngineCache cache = new EngineCache(dir.resolve("engines"));
        BuiltEngine built = TensorRtEngineBuilder.build(model, options, 0, cache);
        assertFalse(built.fromCache());
        assertTrue(Files.size(timing) > 0, "the timing cache is saved after the build");
        assertTrue(built.timingCache().startsWith("new cache; saved "), built.timingCache());
        assertTrue(TensorRtEngineBuilder.build(model, options, 0, cache).fromCache(), "the second build is the cache's");
        BuiltEngine again = TensorRtEngineBuilder.build(model, options, 0, new EngineCache(dir.resolve("other")));
        assertTrue(again.timingCache().startsWith("reused "), again.timingCache());

        String planFile = "engine.sm" + built.computeCapability().replace(".", "") + "-trt" + built.tensorRtVersion() + ".plan";
        Files.write(bundle.resolve(planFile), built.plan());
        BundleManifest.EngineRecord engine = new BundleManifest.EngineRecord(planFile, Bundle.sha256(built.plan()),
                built.plan().length, "default", built.tensorRtVersion(), built.cudaVersion(), built.computeCapability(),
                built.deviceName(), built.builderCalls());
        ManifestCodec.write(m0.withEngines(List.of(engine), new BundleManifest.TensorRtStatus(true, "built")), bundle);

        SessionOptions trt = SessionOptions.builder().backend(BackendKind.TENSORRT).engineCacheDir(dir.resolve("engines")).build();
        try (Session s = Session.open(bundle, trt)) {
            assertTrue(s.description().contains("plan " + bundle.resolve(planFile)), s.description());
            check(s);
        }

        TestBundles.editManifest(bundle, j -> j.replace("\"tensorrt_version\" : \"" + built.tensorRtVersion() + "\"",
                "\"tensorrt_version\" : \"9.9.9\""));
        ModelException refused = assertThrows(ModelException.class, () -> Session.open(bundle, trt));
        assertTrue(refused.getMessage().contains("it was built with TensorRT 9.9.9 but this machine has TensorRT "
                + built.tensorRtVersion()), refused.getMessage());
        try (Session s = Session.open(bundle, trt.toBuilder().rebuildEngines(true).build())) {
            assertTrue(s.description().contains("cached engine"), "the rebuild finds the engine the build cached: "
                    + s.description());
            check(s);
        }
    }

    private static void check(Session s) {
        float[] x = new float[48];
        float[] y = new float[48];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / 7f;
            y[i] = -i / 3f;
        }
        try (Tensor a = Tensor.of(x, Shape.of(3, 16)); Tensor b = Tensor.of(y, Shape.of(3, 16));
             Result r = s.run(Map.of("a", a, "b", b))) {
            float[] expected = new float[48];
            for (int i = 0; i < 48; i++) {
                expected[i] = x[i] + y[i];
            }
            assertArrayEquals(expected, r.get("c").toFloatArray(), 1e-6f);
        }
    }
}

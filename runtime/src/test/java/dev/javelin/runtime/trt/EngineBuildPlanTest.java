package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.javelin.bindings.trt.TrtBuildConfig;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.TensorInfo.Dim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Options to TensorRT builder configuration, without a GPU: the calls the build makes for each option. */
class EngineBuildPlanTest {
    private static final ModelSignature BERT = new ModelSignature(List.of(
            new TensorInfo("input_ids", DType.INT64, List.of(Dim.symbolic("batch"), Dim.symbolic("sequence"))),
            new TensorInfo("attention_mask", DType.INT64, List.of(Dim.symbolic("batch"), Dim.symbolic("sequence")))),
            List.of(new TensorInfo("pooled", DType.FLOAT32, List.of(Dim.symbolic("batch"), Dim.fixed(384)))));

    private static final ModelSignature STATIC = new ModelSignature(
            List.of(new TensorInfo("x", DType.FLOAT32, List.of(Dim.fixed(1), Dim.fixed(16)))),
            List.of(new TensorInfo("y", DType.FLOAT32, List.of(Dim.fixed(1), Dim.fixed(16)))));

    @Test
    void defaultsGiveAStronglyTypedNetworkAndTheDerivedProfileOnly() {
        EngineBuildPlan plan = EngineBuildPlan.of(BERT, TensorRtOptions.defaults());
        assertEquals(List.of("createNetworkV2(kSTRONGLY_TYPED)",
                "addOptimizationProfile(input_ids [1, 1]/[1, 256]/[32, 2048], attention_mask [1, 1]/[1, 256]/[32, 2048])",
                "buildSerializedNetwork(network, config)"), plan.builderCalls());
        TrtBuildConfig c = plan.config(null);
        assertEquals(0, c.workspaceBytes());
        assertEquals(-1, c.optimizationLevel());
        assertNull(c.timingCache());
        assertEquals(List.of(new TrtBuildConfig.AddProfile(c.profile())), c.calls());
    }

    @Test
    void everyOptionTranslatesToItsBuilderCall(@TempDir Path dir) throws Exception {
        Path cacheFile = dir.resolve("timing.cache");
        TensorRtOptions o = TensorRtOptions.defaults().withWorkspace(1L << 30).withOptimizationLevel(5)
                .withShapes(InputShapes.parse("input_ids:1x16/8x128/32x256")).withTimingCache(cacheFile);
        EngineBuildPlan plan = EngineBuildPlan.of(BERT, o);
        assertEquals(List.of("createNetworkV2(kSTRONGLY_TYPED)",
                "setMemoryPoolLimit(kWORKSPACE, 1073741824)",
                "setBuilderOptimizationLevel(5)",
                "addOptimizationProfile(input_ids [1, 16]/[8, 128]/[32, 256], attention_mask [1, 16]/[8, 128]/[32, 256])",
                "setTimingCache(createTimingCache(" + cacheFile + ": new), ignoreMismatch=false)",
                "buildSerializedNetwork(network, config)"), plan.builderCalls());

        Files.write(cacheFile, new byte[] {1, 2, 3, 4, 5});
        assertEquals("setTimingCache(createTimingCache(" + cacheFile + ": 5 bytes), ignoreMismatch=false)",
                plan.builderCalls().get(4), "an existing cache file is loaded before the build");
        byte[] loaded = EngineBuilds.readTimingCache(cacheFile);
        TrtBuildConfig c = plan.config(loaded);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, c.timingCache());
        assertEquals(new TrtBuildConfig.AttachTimingCache(5), c.calls().get(3));
        assertArrayEquals(new byte[0], EngineBuilds.readTimingCache(dir.resolve("absent.cache")), "no file: a new cache");
        assertNull(EngineBuilds.readTimingCache(null), "no timing cache option: none attached");
    }

    @Test
    void precisionIsNeverABuilderFlag() {
        // Strongly typed: fp16/int8 come from the ONNX graph; no kFP16/kINT8/kBF16 flag may be set.
        for (String call : EngineBuildPlan.of(BERT, TensorRtOptions.defaults().withOptimizationLevel(0).withWorkspace(1)).builderCalls()) {
            assertFalse(call.contains("setFlag") || call.contains("kFP16") || call.contains("kINT8"), call);
        }
    }

    @Test
    void aStaticModelNeedsNoProfile() {
        EngineBuildPlan plan = EngineBuildPlan.of(STATIC, TensorRtOptions.defaults().withOptimizationLevel(2));
        assertEquals(List.of("createNetworkV2(kSTRONGLY_TYPED)", "setBuilderOptimizationLevel(2)",
                "buildSerializedNetwork(network, config)"), plan.builderCalls());
    }

    @Test
    void shapesThatDoNotFitStopThePlanBeforeAnyNativeCall() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> EngineBuildPlan.of(BERT,
                TensorRtOptions.defaults().withShapes(InputShapes.parse("input_ids:1x16x1/8x128x1/32x256x1"))));
        assertEquals("input_ids", e.tensor());
    }

    @Test
    void theCacheKeyChangesWithWhatShapesTheEngine() {
        TensorRtOptions d = TensorRtOptions.defaults();
        assertEquals("strongly-typed;workspace=0;level=-1;profile=default.batch=1:1:32,default.other=1:256:2048",
                d.fingerprint(), "keys of builds without per-input shapes are as before");
        assertNotEquals(d.fingerprint(), d.withShapes(InputShapes.parse("x:1x16/1x16/4x16")).fingerprint());
        assertEquals(d.fingerprint(), d.withTimingCache(Path.of("t.cache")).fingerprint(), "a timing cache only speeds up the build");
        assertEquals(d.withShapes(InputShapes.parse("a:1/2/3,b:1/2/3")).fingerprint(),
                d.withShapes(InputShapes.parse("b:1/2/3,a:1/2/3")).fingerprint(), "order of the entries does not matter");
    }
}

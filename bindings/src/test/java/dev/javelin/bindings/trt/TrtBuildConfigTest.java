package dev.javelin.bindings.trt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The builder-config calls a configuration stands for, and the parser-error text, without a GPU. */
class TrtBuildConfigTest {
    private static TrtBuildConfig.ShapeRange range(long[] min, long[] opt, long[] max) {
        return new TrtBuildConfig.ShapeRange(min, opt, max);
    }

    @Test
    void defaultsMakeNoCallAtAll() {
        TrtBuildConfig c = new TrtBuildConfig(0, Map.of(), -1);
        assertEquals(List.of(), c.calls(), "TensorRT's own defaults: workspace = device memory, level 3, no profile");
        assertNull(c.timingCache());
    }

    @Test
    void everyOptionBecomesOneCallInOrder() {
        Map<String, TrtBuildConfig.ShapeRange> profile = new LinkedHashMap<>();
        profile.put("input_ids", range(new long[] {1, 16}, new long[] {8, 128}, new long[] {32, 256}));
        profile.put("attention_mask", range(new long[] {1, 16}, new long[] {8, 128}, new long[] {32, 256}));
        TrtBuildConfig c = new TrtBuildConfig(512L << 20, profile, 5, new byte[] {1, 2, 3});
        List<TrtBuildConfig.Call> calls = c.calls();
        assertEquals(List.of(new TrtBuildConfig.WorkspaceLimit(536_870_912L), new TrtBuildConfig.OptimizationLevel(5),
                new TrtBuildConfig.AddProfile(profile), new TrtBuildConfig.AttachTimingCache(3)), calls);
        assertEquals("setMemoryPoolLimit(kWORKSPACE, 536870912)", calls.get(0).toString());
        assertEquals("setBuilderOptimizationLevel(5)", calls.get(1).toString());
        assertEquals("addOptimizationProfile(input_ids [1, 16]/[8, 128]/[32, 256], attention_mask [1, 16]/[8, 128]/[32, 256])",
                calls.get(2).toString());
        assertEquals("setTimingCache(createTimingCache(3 bytes), ignoreMismatch=false)", calls.get(3).toString());
        assertEquals("setTimingCache(createTimingCache(new), ignoreMismatch=false)",
                new TrtBuildConfig(0, Map.of(), -1, new byte[0]).calls().get(0).toString());
        assertEquals(0, new TrtBuildConfig(0, Map.of(), 0).calls().stream()
                .filter(x -> !(x instanceof TrtBuildConfig.OptimizationLevel)).count(), "level 0 is a real level");
    }

    @Test
    void theConfigCopiesWhatItIsGiven() {
        byte[] cache = {9, 9};
        long[] min = {1};
        TrtBuildConfig c = new TrtBuildConfig(0, Map.of("x", range(min, new long[] {2}, new long[] {3})), -1, cache);
        cache[0] = 0;
        min[0] = 0;
        assertArrayEquals(new byte[] {9, 9}, c.timingCache());
        assertArrayEquals(new long[] {1}, c.profile().get("x").min());
        assertEquals(c, new TrtBuildConfig(0, Map.of("x", range(new long[] {1}, new long[] {2}, new long[] {3})), -1,
                new byte[] {9, 9}));
    }

    @Test
    void badValuesAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrtBuildConfig(-1, Map.of(), -1))
                .getMessage().contains("workspace"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrtBuildConfig(0, Map.of(), 6))
                .getMessage().contains("0-5"));
        assertEquals("dimension 1 needs 0 <= min <= opt <= max, got 16/8/256", assertThrows(IllegalArgumentException.class,
                () -> range(new long[] {1, 16}, new long[] {1, 8}, new long[] {1, 256})).getMessage());
    }

    @Test
    void parserErrorsAreOneMessageNamingEachNode() {
        OnnxParseException e = new OnnxParseException("model.onnx", List.of(
                OnnxParseException.describe(12, "Conv_3", "Conv", "kernel weights must be constant\n", "kUNSUPPORTED_NODE"),
                OnnxParseException.describe(40, "", "DFT", "No importer registered for op: DFT", "kUNSUPPORTED_NODE"),
                OnnxParseException.describe(-1, null, null, "", "kINVALID_GRAPH")));
        assertEquals("TensorRT's ONNX parser rejected model.onnx with 3 errors: "
                + "node 12 'Conv_3' (Conv): kernel weights must be constant [kUNSUPPORTED_NODE]; "
                + "node 40 (DFT): No importer registered for op: DFT [kUNSUPPORTED_NODE]; "
                + "model: no description [kINVALID_GRAPH]", e.getMessage());
        assertEquals(3, e.errors().size());
    }
}

package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.TensorInfo.Dim;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProfileDerivationTest {
    private static TensorInfo t(String name, Dim... dims) {
        return new TensorInfo(name, DType.FLOAT32, List.of(dims));
    }

    /** Silero VAD v4: input[batch, samples], sr scalar, h and c [2, batch, 64]. */
    private static final List<TensorInfo> SILERO = List.of(
            t("input", Dim.symbolic("batch"), Dim.symbolic("samples")),
            new TensorInfo("sr", DType.INT64, List.of()),
            t("h", Dim.fixed(2), Dim.symbolic("batch"), Dim.fixed(64)),
            t("c", Dim.fixed(2), Dim.symbolic("batch"), Dim.fixed(64)));

    @Test
    void sharedSymbolGetsOneRangeWhereverItSits() {
        OptimizationProfile p = ProfileDerivation.derive(SILERO, ProfileSpec.defaults());
        assertEquals(List.of("input", "h", "c"), List.copyOf(p.inputs().keySet()), "static sr is left out");
        OptimizationProfile.Range input = p.inputs().get("input");
        assertArrayEquals(new long[] {1, 1}, input.min());
        assertArrayEquals(new long[] {1, 256}, input.opt());
        assertArrayEquals(new long[] {32, 2048}, input.max());
        // batch is dimension 1 of h: still the batch range, so any batch valid for input is valid for h.
        OptimizationProfile.Range h = p.inputs().get("h");
        assertArrayEquals(new long[] {2, 1, 64}, h.min());
        assertArrayEquals(new long[] {2, 1, 64}, h.opt());
        assertArrayEquals(new long[] {2, 32, 64}, h.max());
        assertEquals(h, p.inputs().get("c"));
    }

    @Test
    void specRangesWinAndDefaultsCanBeReplaced() {
        ProfileSpec spec = ProfileSpec.parse("batch=1:4:8, samples=512:512:512, default.other=1:64:128");
        OptimizationProfile p = ProfileDerivation.derive(SILERO, spec);
        assertArrayEquals(new long[] {1, 512}, p.inputs().get("input").min());
        assertArrayEquals(new long[] {4, 512}, p.inputs().get("input").opt());
        assertArrayEquals(new long[] {8, 512}, p.inputs().get("input").max());
        assertArrayEquals(new long[] {2, 8, 64}, p.inputs().get("h").max());

        // MiniLM-like: input_ids[batch_size, sequence]; sequence takes the replaced other default.
        OptimizationProfile m = ProfileDerivation.derive(List.of(
                t("input_ids", Dim.symbolic("batch_size"), Dim.symbolic("sequence")),
                t("attention_mask", Dim.symbolic("batch_size"), Dim.symbolic("sequence"))), spec);
        assertArrayEquals(new long[] {32, 128}, m.inputs().get("attention_mask").max());
    }

    @Test
    void unnamedDimensionsArePositional() {
        // PP-OCR det: x[?, 3, ?, ?] with no symbol names.
        OptimizationProfile p = ProfileDerivation.derive(List.of(
                t("x", Dim.symbolic(null), Dim.fixed(3), Dim.symbolic(null), Dim.symbolic(null))), ProfileSpec.defaults());
        OptimizationProfile.Range r = p.inputs().get("x");
        assertArrayEquals(new long[] {1, 3, 1, 1}, r.min());
        assertArrayEquals(new long[] {1, 3, 256, 256}, r.opt());
        assertArrayEquals(new long[] {32, 3, 2048, 2048}, r.max());
    }

    @Test
    void batchLikeNamesAreRecognisedAnywhere() {
        OptimizationProfile p = ProfileDerivation.derive(List.of(t("x", Dim.fixed(4), Dim.symbolic("N"))), ProfileSpec.defaults());
        assertArrayEquals(new long[] {4, 32}, p.inputs().get("x").max());
        OptimizationProfile q = ProfileDerivation.derive(List.of(t("x", Dim.symbolic("len"))), ProfileSpec.defaults());
        assertArrayEquals(new long[] {2048}, q.inputs().get("x").max(), "rank-1 first dim is not a batch");
    }

    @Test
    void violationsNameTheInputTheShapeAndTheRange() {
        OptimizationProfile p = ProfileDerivation.derive(SILERO, ProfileSpec.parse("samples=256:512:1024"));
        assertNull(p.violation("input", Shape.of(1, 512)));
        assertNull(p.violation("sr", Shape.scalar()), "inputs outside the profile are static: nothing to check here");
        String tooLong = p.violation("input", Shape.of(1, 4096));
        assertEquals("input 'input' has shape [1, 4096] but the TensorRT engine was built for [1, 256] to [32, 1024] "
                + "(dimension 1 is 4096, allowed 256..1024); rebuild with wider shapes (javelin build --shapes, or"
                + " -Djavelin.tensorrt.inputShapes / -Djavelin.tensorrt.shapes)", tooLong);
        assertTrue(p.violation("h", Shape.of(2, 64)).contains("rank 2 but the TensorRT engine expects rank 3"));
        assertTrue(p.violation("h", Shape.of(2, 33, 64)).contains("dimension 1 is 33, allowed 1..32"));
    }

    @Test
    void specParsingAndCanonicalText() {
        ProfileSpec a = ProfileSpec.parse("seq=1:128:512,batch=1:8:32");
        ProfileSpec b = ProfileSpec.parse(" batch=1:8:32 ,seq=1:128:512,");
        assertEquals(a, b);
        assertEquals("batch=1:8:32,seq=1:128:512,default.batch=1:1:32,default.other=1:256:2048", a.canonical());
        assertEquals(ProfileSpec.defaults(), ProfileSpec.parse("  "));
        assertEquals(Map.of(), ProfileSpec.parse(null).symbols());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ProfileSpec.parse("batch=8:1:32"));
        assertTrue(bad.getMessage().contains("'batch=8:1:32'"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProfileSpec.parse("batch=1:2"));
        assertThrows(IllegalArgumentException.class, () -> ProfileSpec.parse("batch=1:2:3,batch=1:2:4"));
    }

    /** A BERT-like model with distinct symbols: input_ids and attention_mask [batch, sequence], x fixed-channel. */
    private static final List<TensorInfo> BERT = List.of(
            t("input_ids", Dim.symbolic("batch"), Dim.symbolic("sequence")),
            t("attention_mask", Dim.symbolic("batch"), Dim.symbolic("sequence")),
            t("pixels", Dim.symbolic("batch"), Dim.fixed(3), Dim.symbolic(null)));

    @Test
    void givenShapesWinAndBindTheirSymbolsForTheOtherInputs() {
        OptimizationProfile p = ProfileDerivation.derive(BERT, ProfileSpec.defaults(),
                InputShapes.parse("input_ids:1x16/8x128/32x256"));
        assertEquals(p.inputs().get("input_ids"), p.inputs().get("attention_mask"),
                "attention_mask shares batch and sequence with input_ids, so it takes the same range");
        OptimizationProfile.Range mask = p.inputs().get("attention_mask");
        assertArrayEquals(new long[] {1, 16}, mask.min());
        assertArrayEquals(new long[] {8, 128}, mask.opt());
        assertArrayEquals(new long[] {32, 256}, mask.max());
        // pixels: batch is bound to 1/8/32, the fixed 3 is kept, the unnamed dim takes the other default.
        OptimizationProfile.Range px = p.inputs().get("pixels");
        assertArrayEquals(new long[] {1, 3, 1}, px.min());
        assertArrayEquals(new long[] {8, 3, 256}, px.opt());
        assertArrayEquals(new long[] {32, 3, 2048}, px.max());
    }

    @Test
    void givenRangeOfAFixedDimensionMustBeThatSize() {
        OptimizationProfile p = ProfileDerivation.derive(BERT, ProfileSpec.defaults(), InputShapes.parse("pixels:1x3x64/2x3x64/4x3x64"));
        assertArrayEquals(new long[] {4, 3, 64}, p.inputs().get("pixels").max());
        assertArrayEquals(new long[] {4, 2048}, p.inputs().get("input_ids").max(), "batch bound to 1/2/4 by pixels");
    }

    private static InvalidInputException invalid(List<TensorInfo> model, String shapes) {
        return assertThrows(InvalidInputException.class,
                () -> ProfileDerivation.derive(model, ProfileSpec.defaults(), InputShapes.parse(shapes)));
    }

    @Test
    void shapesThatDoNotFitTheModelNameTheInputAndDimension() {
        InvalidInputException unknown = invalid(BERT, "input_idz:1x16/8x128/32x256");
        assertEquals("input_idz", unknown.tensor());
        assertEquals("the shapes name input 'input_idz', which the model does not have; its inputs are "
                + "[input_ids, attention_mask, pixels]", unknown.getMessage());

        assertEquals("input 'input_ids' has rank 2 [batch, sequence] but the shapes give rank 3 (1x1x16/1x8x128/1x32x256)",
                invalid(BERT, "input_ids:1x1x16/1x8x128/1x32x256").getMessage());

        InvalidInputException fixed = invalid(BERT, "pixels:1x1x64/1x3x64/1x3x64");
        assertEquals("pixels", fixed.tensor());
        assertEquals("input 'pixels' dimension 1 is fixed at 3 in the model [batch, 3, ?], but the shapes give 1/3/3",
                fixed.getMessage());

        InvalidInputException conflict = invalid(BERT, "input_ids:1x16/8x128/32x256,attention_mask:1x16/8x64/32x256");
        assertEquals("attention_mask", conflict.tensor());
        assertEquals("input 'attention_mask' dimension 1 ('sequence') is given 16/64/256 but input 'input_ids' dimension 1"
                + " has the same symbol with 16/128/256; dimensions with one name must take one range (TensorRT requires"
                + " them equal at run time)", conflict.getMessage());

        assertTrue(invalid(BERT, "input_ids:0x16/0x16/0x16").getMessage()
                .contains("input 'input_ids' dimension 0 (batch) would be empty"));
    }

    @Test
    void oneSymbolInTwoPositionsOfOneInputCannotTakeTwoRanges() {
        // all-MiniLM-L6-v2 as shipped names both dimensions of input_ids "batch" (an exporter slip): TensorRT would
        // then require batch == sequence. The builder's dim-name step fixes the model; here the conflict is named.
        List<TensorInfo> slip = List.of(t("input_ids", Dim.symbolic("batch"), Dim.symbolic("batch")));
        assertEquals("input 'input_ids' dimension 1 ('batch') is given 16/128/256 but input 'input_ids' dimension 0 has"
                + " the same symbol with 1/8/32; dimensions with one name must take one range (TensorRT requires them equal"
                + " at run time)", invalid(slip, "input_ids:1x16/8x128/32x256").getMessage());
    }
}

package dev.javelin.builder.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.trt.EngineBuildPlan;
import dev.javelin.runtime.trt.InputShapes;
import dev.javelin.runtime.trt.OptimizationProfile;
import dev.javelin.runtime.trt.TensorRtOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The optimisation profiles the build derives for the real models: fixed dimensions kept, a dynamic batch
 * 1/1/32, other dynamic dimensions 1/256/2048, and given shapes binding their symbols.
 */
class RealModelProfilesTest {
    private static Map<String, String> profile(OnnxModel m, String shapes) {
        OptimizationProfile p = EngineBuildPlan.of(OnnxSignature.inputDims(OnnxSignature.of(m).inputs()),
                TensorRtOptions.defaults().withShapes(InputShapes.parse(shapes))).profile();
        Map<String, String> out = new LinkedHashMap<>();
        p.inputs().forEach((name, r) -> out.put(name, InputShapes.format(r)));
        return out;
    }

    @Test
    void miniLmAfterTheDimNameStep() {
        OnnxModel m = new SeparateReusedDimNames().apply(OnnxModel.load(ModelFiles.miniLm())).model();
        assertEquals(Map.of("input_ids", "1x1/1x256/32x2048", "attention_mask", "1x1/1x256/32x2048",
                "token_type_ids", "1x1/1x256/32x2048"), profile(m, ""), "batch 1/1/32, sequence 1/256/2048");
        // One input given: the others share batch and dim_1 with it and follow.
        assertEquals(Map.of("input_ids", "1x16/8x128/32x256", "attention_mask", "1x16/8x128/32x256",
                "token_type_ids", "1x16/8x128/32x256"), profile(m, "input_ids:1x16/8x128/32x256"));
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(profile(m, "").keySet()));
    }

    @Test
    void miniLmAsExportedCannotTakeASequenceRange() {
        // Without the dim-name step, batch names both dimensions: a sequence range different from the batch
        // range is a contradiction, named as such (TensorRT would refuse non-square inputs at run time).
        OnnxModel m = OnnxModel.load(ModelFiles.miniLm());
        assertEquals(Map.of("input_ids", "1x1/1x1/32x32", "attention_mask", "1x1/1x1/32x32", "token_type_ids", "1x1/1x1/32x32"),
                profile(m, ""), "both dimensions take the batch range: sequences of at most 32");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> profile(m, "input_ids:1x16/8x128/32x256"));
        assertEquals("input_ids", e.tensor());
    }

    @Test
    void ppOcrDetector() {
        OnnxModel m = OnnxModel.load(ModelFiles.ppocrDet());
        // x[p2o.DynamicDimension.0, 3, p2o.DynamicDimension.1, p2o.DynamicDimension.2]
        assertEquals(Map.of("x", "1x3x1x1/1x3x256x256/32x3x2048x2048"), profile(m, ""));
        assertEquals(Map.of("x", "1x3x32x32/1x3x480x640/4x3x960x960"), profile(m, "x:1x3x32x32/1x3x480x640/4x3x960x960"));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> profile(m, "x:1x1x32x32/1x3x480x640/4x3x960x960"));
        assertEquals("input 'x' dimension 1 is fixed at 3 in the model [p2o.DynamicDimension.0, 3, p2o.DynamicDimension.1,"
                + " p2o.DynamicDimension.2], but the shapes give 1/3/3", e.getMessage());
    }
}

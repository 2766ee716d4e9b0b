package dev.javelin.bindings.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeStackLine;
import org.bytedeco.tensorrt.global.nvinfer;
import org.junit.jupiter.api.Test;

/** Javelin's copy of TensorRT enums against the preset's own (their enum classes load without natives). */
class TrtDataTypeTest {
    @Test
    void everyPresetDataTypeHasTheSameValue() {
        for (nvinfer.DataType d : nvinfer.DataType.values()) {
            TrtDataType ours = TrtDataType.fromValue(d.value);
            assertEquals(d.name(), "k" + ours.name(), "name of value " + d.value);
        }
        // TrtDataType follows the newest line (10.15: FP4, E8M0); an older line's preset (10.6 under -Pjetpack6,
        // like the board's 10.3) ends earlier, and only those newest constants are extra.
        int preset = nvinfer.DataType.values().length;
        assertTrue(TrtDataType.values().length >= preset);
        for (TrtDataType t : TrtDataType.values()) {
            assertTrue(t.value() < preset || t.value() >= 10, t + " is missing from the " + NativeStackLine.ID + " preset");
        }
        assertEquals(32, TrtDataType.FLOAT.bits());
        assertEquals(16, TrtDataType.HALF.bits());
        assertEquals(64, TrtDataType.INT64.bits());
        assertEquals(4, TrtDataType.INT4.bits());
        assertThrows(IllegalArgumentException.class, () -> TrtDataType.fromValue(12));
    }

    @Test
    void flagsAndSelectorsUsedByTheBuilderMatchThePreset() {
        assertEquals(1, nvinfer.NetworkDefinitionCreationFlag.kSTRONGLY_TYPED.value);
        assertEquals(0, nvinfer.MemoryPoolType.kWORKSPACE.value);
        assertEquals(1, nvinfer.TensorIOMode.kINPUT.value);
        assertEquals(2, nvinfer.TensorIOMode.kOUTPUT.value);
        assertEquals(1, nvinfer.TensorLocation.kHOST.value);
    }

    @Test
    void builtVersionIsKnownWithoutLoadingTensorRt() {
        assertTrue(TensorRt.builtVersion().startsWith(NativeStackLine.TENSORRT_BUILT + "."), TensorRt.builtVersion());
    }
}

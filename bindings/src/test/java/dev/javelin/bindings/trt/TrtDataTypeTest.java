package dev.javelin.bindings.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.bytedeco.tensorrt.global.nvinfer;
import org.junit.jupiter.api.Test;

/** Javelin's copy of TensorRT enums against the preset's own (their enum classes load without natives). */
class TrtDataTypeTest {
    @Test
    void everyPresetDataTypeHasTheSameValue() {
        assertEquals(nvinfer.DataType.values().length, TrtDataType.values().length);
        for (nvinfer.DataType d : nvinfer.DataType.values()) {
            TrtDataType ours = TrtDataType.fromValue(d.value);
            assertEquals(d.name(), "k" + ours.name(), "name of value " + d.value);
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
        assertEquals("10.15.1", TensorRt.builtVersion());
    }
}

package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.trt.TrtDataType;
import dev.javelin.bindings.trt.TrtTensorInfo;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.TensorInfo;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrtTypesTest {
    @Test
    void everyJavelinTypeRoundTripsThroughTensorRt() {
        for (DType t : DType.values()) {
            TrtDataType trt = TrtTypes.toTrt(t);
            assertEquals(t, TrtTypes.toDType(trt, "x"));
            assertEquals(t.byteSize() * 8, trt.bits(), "storage size of " + t);
        }
    }

    @Test
    void typesJavelinDoesNotCarryAreRefusedNamingTheTensor() {
        for (TrtDataType t : List.of(TrtDataType.BF16, TrtDataType.FP8, TrtDataType.INT4, TrtDataType.FP4, TrtDataType.E8M0)) {
            ModelException e = assertThrows(ModelException.class, () -> TrtTypes.toDType(t, "logits"));
            assertTrue(e.getMessage().startsWith("model input/output 'logits' has TensorRT type " + t), e.getMessage());
        }
    }

    @Test
    void byteSizes() {
        assertEquals(1L * 3 * 224 * 224 * 4, TrtTypes.byteSize(DType.FLOAT32, new long[] {1, 3, 224, 224}));
        assertEquals(8, TrtTypes.byteSize(DType.INT64, new long[0]), "a scalar holds one element");
        assertEquals(0, TrtTypes.byteSize(DType.FLOAT16, new long[] {4, 0, 7}));
        assertThrows(IllegalArgumentException.class, () -> TrtTypes.byteSize(DType.FLOAT32, new long[] {-1, 4}));
        assertThrows(ArithmeticException.class, () -> TrtTypes.byteSize(DType.INT64, new long[] {1L << 40, 1L << 30}));
    }

    @Test
    void buffersGrowGeometricallyAndAligned() {
        assertEquals(256, TrtTypes.grownCapacity(0, 0), "empty tensors still get an address");
        assertEquals(256, TrtTypes.grownCapacity(0, 1));
        assertEquals(4096, TrtTypes.grownCapacity(0, 4096));
        assertEquals(4096, TrtTypes.grownCapacity(4096, 4000), "fits: kept");
        assertEquals(6144, TrtTypes.grownCapacity(4096, 4097), "1.5x the old size");
        assertEquals(1L << 20, TrtTypes.grownCapacity(4096, 1L << 20), "or what is needed, if more");
        long c = 0;
        int reallocations = 0;
        for (long need = 1000; need < 1_000_000; need += 1000) {
            long next = TrtTypes.grownCapacity(c, need);
            if (next != c) {
                reallocations++;
                c = next;
            }
            assertEquals(0, c % 256);
        }
        assertTrue(reallocations < 20, "step-by-step growth reallocates O(log n) times, was " + reallocations);
    }

    @Test
    void signatureKeepsSymbolicNames() {
        ModelSignature s = TrtTypes.signature(
                List.of(new TrtTensorInfo("input_ids", true, TrtDataType.INT64, new long[] {-1, -1},
                        Arrays.asList("batch", "sequence"), false)),
                List.of(new TrtTensorInfo("embeddings", false, TrtDataType.FLOAT, new long[] {-1, 384},
                        Arrays.asList(null, null), false)));
        TensorInfo in = s.inputs().get(0);
        assertEquals("input_ids: int64[batch, sequence]", in.toString());
        assertEquals("embeddings: float32[?, 384]", s.outputs().get(0).toString());
    }
}

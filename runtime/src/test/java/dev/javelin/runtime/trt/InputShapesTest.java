package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code --shapes NAME:MINxD/OPTxD/MAXxD} syntax: what parses, and the message for what does not. */
class InputShapesTest {
    @Test
    void rangesAndFixedShapesParse() {
        InputShapes s = InputShapes.parse("input_ids:1x16/8x128/32x256, attention_mask:1x16/8x128/32x256,x:1x3x224x224");
        assertEquals(List.of("input_ids", "attention_mask", "x"), List.copyOf(s.ranges().keySet()));
        OptimizationProfile.Range ids = s.ranges().get("input_ids");
        assertArrayEquals(new long[] {1, 16}, ids.min());
        assertArrayEquals(new long[] {8, 128}, ids.opt());
        assertArrayEquals(new long[] {32, 256}, ids.max());
        OptimizationProfile.Range x = s.ranges().get("x");
        assertArrayEquals(new long[] {1, 3, 224, 224}, x.min());
        assertArrayEquals(x.min(), x.max(), "one shape means min = opt = max");
        assertEquals("attention_mask:1x16/8x128/32x256,input_ids:1x16/8x128/32x256,x:1x3x224x224/1x3x224x224/1x3x224x224",
                s.canonical(), "canonical text is sorted by name");
    }

    @Test
    void repeatedOptionsAndTensorFlowNamesWithColons() {
        InputShapes s = InputShapes.parse(List.of("input_1:0:1x8/4x8/16x8", "mask:1x8"));
        assertEquals(List.of("input_1:0", "mask"), List.copyOf(s.ranges().keySet()), "the name ends at the last ':'");
        assertEquals(s, InputShapes.parse("input_1:0:1x8/4x8/16x8,mask:1x8"));
        assertTrue(InputShapes.parse("  ").isEmpty());
        assertTrue(InputShapes.parse((String) null).isEmpty());
    }

    @Test
    void formatIsTheInverseOfParse() {
        InputShapes s = InputShapes.parse("a:1x2/3x4/5x6");
        assertEquals("1x2/3x4/5x6", InputShapes.format(s.ranges().get("a")));
        assertEquals(s, InputShapes.parse(s.toString()));
    }

    private static String error(String text) {
        return assertThrows(IllegalArgumentException.class, () -> InputShapes.parse(text)).getMessage();
    }

    @Test
    void malformedEntriesNameTheEntryTheInputAndTheDimension() {
        assertTrue(error("input_ids=1x16").startsWith("shape entry 'input_ids=1x16' has no ':'; expected NAME:MINxDIMS/OPTxDIMS/MAXxDIMS"),
                error("input_ids=1x16"));
        assertEquals("shape entry ':1x2' has no input name before ':'; expected " + InputShapes.SYNTAX, error(":1x2"));
        assertEquals("shape entry 'x:1x2/1x4' for input 'x' has 2 shapes; expected 3 (MIN/OPT/MAX) or 1 (fixed): "
                + InputShapes.SYNTAX, error("x:1x2/1x4"));
        assertEquals("input 'input_ids' dimension 1 of the max shape is 'n', not a number, in 'input_ids:1x16/8x128/32xn'",
                error("input_ids:1x16/8x128/32xn"));
        assertEquals("input 'x' dimension 0 of the min shape is negative (-1) in 'x:-1/1/1'", error("x:-1/1/1"));
        assertEquals("input 'x': the opt shape is empty in 'x:1//4'; expected " + InputShapes.SYNTAX, error("x:1//4"));
        assertEquals("input 'input_ids': min, opt and max must have one rank, got ranks 2, 2 and 3 in "
                + "'input_ids:1x16/8x128/32x256x1'", error("input_ids:1x16/8x128/32x256x1"));
        assertEquals("input 'input_ids' dimension 1: needs min <= opt <= max, got 16/8/256 in 'input_ids:1x16/1x8/32x256'",
                error("input_ids:1x16/1x8/32x256"));
        assertEquals("input 'x' is given twice in the shapes", error("x:1x2,x:1x3"));
    }
}

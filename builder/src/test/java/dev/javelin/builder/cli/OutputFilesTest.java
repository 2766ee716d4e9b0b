package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputFilesTest {
    @Test
    void unsafeCharactersBecomeUnderscores() {
        assertEquals("a_b", OutputFiles.safeStem("a/b"));
        assertEquals("onnx__MatMul_123", OutputFiles.safeStem("onnx::MatMul_123"));
        assertEquals("sigmoid_0.tmp_0", OutputFiles.safeStem("sigmoid_0.tmp_0"));
        assertEquals("x_y_z_w", OutputFiles.safeStem("x\\y z\tw"));
        assertEquals("a_b_c_d_e_f_g", OutputFiles.safeStem("a*b?c\"d<e>f|g"));
        assertEquals("выход_1", OutputFiles.safeStem("выход 1"));
        assertEquals("882", OutputFiles.safeStem("882"));
    }

    @Test
    void hiddenDotNamesEmptyNamesAndDeviceNamesAreDefused() {
        assertEquals("_..", OutputFiles.safeStem(".."));
        assertEquals("_.", OutputFiles.safeStem("."));
        assertEquals("_.hidden", OutputFiles.safeStem(".hidden"));
        assertEquals("output", OutputFiles.safeStem(""));
        assertEquals("_CON", OutputFiles.safeStem("CON"));
        assertEquals("_nul.txt", OutputFiles.safeStem("nul.txt"));
        assertEquals("console", OutputFiles.safeStem("console"));
        assertEquals(120, OutputFiles.safeStem("n".repeat(500)).length());
    }

    @Test
    void collisionsGetNumberedInModelOrderIgnoringCase() {
        Map<String, String> m = OutputFiles.fileNames(List.of("a/b", "a:b", "A_B", "a_b_2", "out"), ".npy");
        assertEquals(List.of("a_b.npy", "a_b_2.npy", "A_B_3.npy", "a_b_2_2.npy", "out.npy"), List.copyOf(m.values()));
        assertEquals(List.of("a/b", "a:b", "A_B", "a_b_2", "out"), List.copyOf(m.keySet()));
    }
}

package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Legacy TensorRT calibration caches: parsing, writing, errors. */
class CalibrationCacheTest {
    @TempDir
    Path dir;

    /** The cache line TensorRT writes: name, then the float's bits as 8 hex digits, most significant first. */
    static String line(String name, float scale) {
        return name + ": " + String.format("%08x", Float.floatToRawIntBits(scale));
    }

    @Test
    void readsScalesWrittenByHand() throws Exception {
        // 0x3c010a14 (a typical cache value) is 1.0080 x 2^-7 = 0.0078759...; the others come from floatToRawIntBits.
        Path f = dir.resolve("calib.cache");
        Files.writeString(f, "TRT-8601-EntropyCalibration2\n"
                + "input: 3c010a14\n"
                + line("/layer/conv:0", 1f / 127) + "\n"
                + line("x y", 0.05f) + "\n\n");
        CalibrationCache.Contents c = CalibrationCache.read(f);
        assertEquals("TRT-8601-EntropyCalibration2", c.header());
        assertEquals(List.of("input", "/layer/conv:0", "x y"), List.copyOf(c.scales().keySet()));
        assertEquals(Float.intBitsToFloat(0x3c010a14), c.scales().get("input"));
        assertEquals(0.0078759f, c.scales().get("input"), 1e-7f); // 1.0080 x 2^-7
        assertEquals(1f / 127, c.scales().get("/layer/conv:0"));
        assertEquals(0.05f, c.scales().get("x y"));
        assertEquals(1.0, c.amax().get("/layer/conv:0"), 1e-6, "amax = scale * 127");
    }

    @Test
    void formatRoundTrips() {
        Map<String, Double> amax = new LinkedHashMap<>();
        amax.put("a", 6.35);
        amax.put("b/c:0", 0.001);
        String text = CalibrationCache.format("TRT-101500-EntropyCalibration2", amax);
        assertTrue(text.startsWith("TRT-101500-EntropyCalibration2\na: 3d4ccccd\n"), text); // 6.35/127 = 0.05
        CalibrationCache.Contents back = CalibrationCache.parse(List.of(text.split("\n")), "text");
        assertEquals((float) (6.35 / 127), back.scales().get("a"));
        assertEquals((float) (0.001 / 127), back.scales().get("b/c:0"));
    }

    @Test
    void errorsNameTheFileAndLine() throws Exception {
        Path noHeader = dir.resolve("a.cache");
        Files.writeString(noHeader, "input: 3c010a14\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CalibrationCache.read(noHeader));
        assertTrue(e.getMessage().contains("a.cache") && e.getMessage().contains("TRT-"), e.getMessage());

        Path bad = dir.resolve("b.cache");
        Files.writeString(bad, "TRT-8601-EntropyCalibration2\ninput: 3c010a14\nconv1 3c010a14\n");
        e = assertThrows(InvalidInputException.class, () -> CalibrationCache.read(bad));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("conv1"), e.getMessage());

        Path twice = dir.resolve("c.cache");
        Files.writeString(twice, "TRT-8601-EntropyCalibration2\ninput: 3c010a14\ninput: 3c010a14\n");
        e = assertThrows(InvalidInputException.class, () -> CalibrationCache.read(twice));
        assertEquals("input", e.tensor());

        Path negative = dir.resolve("d.cache");
        Files.writeString(negative, "TRT-8601-EntropyCalibration2\ninput: bf800000\n"); // -1.0
        e = assertThrows(InvalidInputException.class, () -> CalibrationCache.read(negative));
        assertTrue(e.getMessage().contains("-1.0"), e.getMessage());

        e = assertThrows(InvalidInputException.class, () -> CalibrationCache.read(dir.resolve("missing.cache")));
        assertTrue(e.getMessage().contains("missing.cache") && e.getMessage().contains("does not exist"), e.getMessage());
    }
}

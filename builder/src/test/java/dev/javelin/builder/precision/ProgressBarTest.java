package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ProgressBarTest {
    @Test
    void drawsInPlaceAndEndsTheLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream terminal = new PrintStream(buf, true, StandardCharsets.UTF_8);
             ProgressBar bar = ProgressBar.start(LoggerFactory.getLogger(ProgressBarTest.class), "calibration", 3, terminal)) {
            bar.step();
            bar.step();
            bar.step();
            assertEquals(3, bar.done());
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\rcalibration [") && s.contains("0/3"), s);
        assertTrue(s.contains("] 3/3") && s.endsWith(System.lineSeparator()), s);
        assertTrue(s.contains("#".repeat(30)), "a full bar at the end: " + s);
    }

    @Test
    void withoutATerminalOnlyLogs() {
        try (ProgressBar bar = ProgressBar.start(LoggerFactory.getLogger(ProgressBarTest.class), "quiet", 1, null)) {
            bar.step();
            assertEquals(1, bar.done());
        }
    }
}

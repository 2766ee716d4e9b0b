package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.core.NativeStackLine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Runs {@code doctor} as a picocli command, the way the {@code javelin} main command will. */
class DoctorCommandTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new DoctorCommand());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void jsonHasTheStableKeysAndExitsZeroWithoutAGpu() throws Exception {
        Run r = run("--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("os", "jvm", "jetson", "nvidia_driver", "cuda_driver", "devices", "tensorrt", "onnxruntime",
                "native_line", "native", "backends"), keys);
        assertEquals(NativeStackLine.ID, root.path("native_line").path("id").asText());
        assertEquals(System.getProperty("os.arch"), root.path("os").path("arch").asText());
        assertEquals(System.getProperty("java.vm.name"), root.path("jvm").path("vm").asText());
        assertTrue(root.path("tensorrt").path("built_for").asText().startsWith(NativeStackLine.TENSORRT_BUILT + "."),
                root.path("tensorrt").toString());
        assertEquals(NativeStackLine.ONNXRUNTIME, root.path("onnxruntime").path("version").asText());
        assertEquals(4, root.path("native").size());
        assertEquals("tensorrt", root.path("backends").get(0).path("name").asText());
        assertEquals(3, root.path("backends").size());
        if (!NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available()) {
            assertTrue(root.path("nvidia_driver").isNull() || root.path("nvidia_driver").isTextual());
            assertTrue(root.path("cuda_driver").isNull());
            assertEquals(0, root.path("devices").size());
            JsonNode trt = root.path("backends").get(0);
            assertFalse(trt.path("usable").asBoolean());
            assertTrue(trt.path("detail").asText().contains("libcuda.so.1"), trt.toString());
            assertFalse(root.path("native").get(0).path("available").asBoolean());
        }
    }

    @Test
    void textReportListsEveryBackendWithItsReason() {
        Run r = run();
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("OS:"), r.out());
        assertTrue(r.out().contains("ONNX Runtime:  " + NativeStackLine.ONNXRUNTIME), r.out());
        assertTrue(r.out().contains("Built for:     bytedeco " + NativeStackLine.JAVACPP + " (" + NativeStackLine.ID), r.out());
        assertTrue(r.out().contains("Backends (in the order auto tries them):"), r.out());
        for (String backend : List.of("tensorrt", "cuda", "cpu")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  " + backend + " ")), backend + " missing:\n" + r.out());
        }
    }

    @Test
    void helpAndUnknownOptions() {
        Run help = run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("Usage: doctor"), help.out());
        assertTrue(help.out().contains("--json"), help.out());
        Run bad = run("--bogus");
        assertEquals(2, bad.exit(), "picocli's usage-error exit code");
        assertTrue(bad.err().contains("Unknown option: '--bogus'"), bad.err());
    }
}

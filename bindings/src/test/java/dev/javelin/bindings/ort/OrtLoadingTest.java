package dev.javelin.bindings.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeLoader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime loads through {@link NativeLoader} without mapping the oneDNN library of the preset the
 * bytedeco onnxruntime preset inherits (about 48 MiB of resident memory), and then works.
 */
class OrtLoadingTest {
    private static String maps() throws IOException {
        return Files.readString(Path.of("/proc/self/maps"));
    }

    @Test
    void onnxRuntimeRunsAndOneDnnIsNotMapped() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/maps")), "needs Linux /proc");
        NativeLoader.Probe probe = NativeLoader.probe(NativeLoader.Stack.ONNX_RUNTIME);
        assertTrue(probe.available(), probe.detail());
        assertTrue(probe.attempts().stream().anyMatch(a -> a.contains("without the inherited") && a.contains("initialized")),
                "loaded the lean way: " + probe.attempts());

        // Use the library for real: a session over the identity model, through fresh preset classes.
        try (SessionConfig config = new SessionConfig().intraOpThreads(1);
             InferenceSession session = InferenceSession.fromBytes(ProbeModel.identity(), "identity", config);
             SessionRunner runner = session.newRunner()) {
            ByteBuffer x = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putFloat(0, 2.5f);
            runner.setInput(0, x, 1, new long[] {1});
            runner.run(null);
            try (TensorValue y = runner.takeOutput(0)) {
                assertArrayEquals(new long[] {1}, y.shape());
                assertEquals(2.5f, y.data().getFloat(0));
            }
            runner.clear();
        }
        String maps = maps();
        assertTrue(maps.contains("libonnxruntime.so.1"), "ONNX Runtime is mapped");
        assertTrue(maps.contains("libjnionnxruntime.so"), "its JNI library is mapped");
        assertFalse(maps.contains("libdnnl"), "oneDNN must not be mapped:\n" + dnnlLines(maps));
        // JavaCPP's switch is back as it was (the test JVM does not set it).
        assertEquals(null, System.getProperty("org.bytedeco.javacpp.loadLibraries"));
    }

    private static String dnnlLines(String maps) {
        StringBuilder b = new StringBuilder();
        for (String l : maps.split("\n")) {
            if (l.contains("dnnl")) {
                b.append(l).append('\n');
            }
        }
        return b.toString();
    }
}

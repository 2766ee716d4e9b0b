package dev.javelin.bindings.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The per-line class agrees with the jars the POM profile put on the class path, and both lines' classes
 * declare the same members (only one of them is compiled at a time, so the other is checked from its source).
 */
class NativeStackLineTest {
    private static String jarOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
    }

    @Test
    void constantsMatchThePresetsOnTheClassPath() throws Exception {
        // PRESETS reads "cuda V, tensorrt V, onnxruntime V": each must be the jar Maven resolved for this build.
        Matcher m = Pattern.compile("cuda (\\S+), tensorrt (\\S+), onnxruntime (\\S+)").matcher(NativeStackLine.PRESETS);
        assertTrue(m.matches(), NativeStackLine.PRESETS);
        assertEquals("cuda-" + m.group(1) + ".jar", jarOf(org.bytedeco.cuda.global.cudart.class));
        assertEquals("tensorrt-" + m.group(2) + ".jar", jarOf(org.bytedeco.tensorrt.global.nvinfer.class));
        assertEquals("onnxruntime-" + m.group(3) + ".jar", jarOf(org.bytedeco.onnxruntime.global.onnxruntime.class));
        assertEquals("javacpp-" + NativeStackLine.JAVACPP + ".jar", jarOf(org.bytedeco.javacpp.Loader.class));
        assertTrue(m.group(1).startsWith(NativeStackLine.CUDA + "-" + NativeStackLine.CUDNN + "-"), m.group(1));
        assertTrue(m.group(2).startsWith(NativeStackLine.TENSORRT_BUILT + "-"), m.group(2));
        assertTrue(m.group(3).startsWith(NativeStackLine.ONNXRUNTIME + "-"), m.group(3));

        // The presets' own compile-time constants (inlined by javac: nothing native is loaded).
        assertEquals(NativeStackLine.CUDA, NativeLoader.cudaVersion(org.bytedeco.cuda.global.cudart.CUDART_VERSION));
        assertEquals(NativeStackLine.TENSORRT_BUILT, org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MAJOR + "."
                + org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MINOR);
        assertEquals(NativeStackLine.TENSORRT_MAJOR, org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MAJOR);
        assertEquals(NativeStackLine.CUDA_MAJOR * 1000, NativeStackLine.MIN_CUDA_DRIVER_API / 1000 * 1000);
        assertEquals(NativeLoader.MIN_CUDA_DRIVER_API, NativeStackLine.MIN_CUDA_DRIVER_API);
    }

    @Test
    void tensorRtFloorOfEachLine() {
        assertFalse(NativeStackLine.acceptsTensorRt(NativeStackLine.TENSORRT_MAJOR, NativeStackLine.TENSORRT_MIN_MINOR - 1));
        assertTrue(NativeStackLine.acceptsTensorRt(NativeStackLine.TENSORRT_MAJOR, NativeStackLine.TENSORRT_MIN_MINOR));
        assertTrue(NativeStackLine.acceptsTensorRt(NativeStackLine.TENSORRT_MAJOR, 99));
        assertFalse(NativeStackLine.acceptsTensorRt(NativeStackLine.TENSORRT_MAJOR + 1, 0), "another major has another ABI");
        if (NativeStackLine.ID.equals("jetpack6")) {
            assertTrue(NativeStackLine.acceptsTensorRt(10, 3), "JetPack 6.1/6.2's TensorRT");
        } else {
            assertEquals("cuda13", NativeStackLine.ID);
            assertFalse(NativeStackLine.acceptsTensorRt(10, 14), "older than the 10.15 JNI");
            assertTrue(NativeStackLine.acceptsTensorRt(10, 15));
        }
    }

    private static Set<String> members(Path source) throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("public static (?:final )?([\\w.]+) (\\w+)\\s*[=(]").matcher(Files.readString(source));
        while (m.find()) {
            names.add(m.group(1) + " " + m.group(2));
        }
        return names;
    }

    @Test
    void bothLinesDeclareTheSameMembers() throws IOException {
        Path src = Path.of(System.getProperty("user.dir"), "src");
        String file = "java/dev/javelin/bindings/core/NativeStackLine.java";
        Set<String> cuda13 = members(src.resolve("stack-cuda13").resolve(file));
        Set<String> jetpack6 = members(src.resolve("stack-jetpack6").resolve(file));
        assertTrue(cuda13.size() > 15, cuda13.toString());
        assertEquals(cuda13, jetpack6);
    }
}

package dev.javelin.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code javelin doctor} on Jetson boards, from fixture file trees (src/test/resources/jetson, see its README):
 * board, L4T and JetPack release, the CUDA/TensorRT/cuDNN found, and whether each native line fits, with the fix.
 * Both lines are checked whichever one this build was compiled for.
 */
class JetsonPlatformTest {
    /** The two lines as {@code NativeStackLine} declares them (bindings/src/stack-*). */
    private static final SystemInfo.NativeLine JETPACK6 = new SystemInfo.NativeLine("jetpack6", "-Pjetpack6", "1.5.11",
            "12.6", "10.6", "10.3", "1.20.0", "Jetson Orin on JetPack 6.1/6.2");
    private static final SystemInfo.NativeLine CUDA13 = new SystemInfo.NativeLine("cuda13", "the default", "1.5.13",
            "13.1", "10.15", "10.15", "1.24.1", "x86_64, Jetson Thor");

    private static JetsonPlatform.Line line(SystemInfo.NativeLine l) {
        int cudaMajor = Integer.parseInt(l.cuda().substring(0, l.cuda().indexOf('.')));
        int trtMinor = Integer.parseInt(l.tensorRtMin().substring(l.tensorRtMin().indexOf('.') + 1));
        return new JetsonPlatform.Line(l.id(), l.javacpp(), cudaMajor, l.cuda(), 10, trtMinor);
    }

    private static Path fixture(String name) throws Exception {
        return Path.of(JetsonPlatformTest.class.getResource("/jetson/" + name).toURI());
    }

    private static SystemInfo.Jetson read(String fixture, String loadedTensorRt, SystemInfo.NativeLine l) throws Exception {
        SystemInfo.Jetson j = SystemInfo.readJetson(fixture(fixture), loadedTensorRt, l);
        // readJetson checks with the line's own CUDA/TensorRT numbers; the test's copy of them must agree.
        assertEquals(JetsonPlatform.check(j.l4t(), j.cuda(), j.tensorRt(), line(l)), j.check());
        return j;
    }

    @Test
    void orinOnJetPack62WithTheJetPack6Line() throws Exception {
        SystemInfo.Jetson j = read("orin-jetpack62", null, JETPACK6);
        assertEquals("NVIDIA Jetson AGX Orin Developer Kit", j.model());
        assertEquals("36.4.3", j.l4t());
        assertEquals("6.2", j.jetPack());
        assertEquals("12.6.68", j.cuda());
        assertEquals("10.3.0.30", j.tensorRt(), "from libnvinfer10; the removed libnvinfer8 is ignored");
        assertEquals("9.3.0.75", j.cudnn());
        assertEquals(Map.of("nvidia-l4t-core", "36.4.3-20250107174145", "nvidia-jetpack", "6.2+b77",
                "cuda-cudart-12-6", "12.6.68-1", "libnvinfer10", "10.3.0.30-1+cuda12.5", "libcudnn9-cuda-12", "9.3.0.75-1"),
                j.packages());
        assertTrue(j.check().matches(), j.check().toString());
        assertEquals("jetpack6", j.check().expectedLine());
        assertNull(j.check().fix());
        assertEquals("JetPack 6.2 (L4T 36.4.3): found CUDA 12.6.68, TensorRT 10.3.0.30; bytedeco 1.5.11 (jetpack6: "
                + "CUDA 12.6, TensorRT >= 10.3) fits", j.check().detail());
    }

    @Test
    void orinOnJetPack62WithTheDefaultLineIsToldToRebuild() throws Exception {
        SystemInfo.Jetson j = read("orin-jetpack62", null, CUDA13);
        assertFalse(j.check().matches());
        assertEquals("jetpack6", j.check().expectedLine());
        assertEquals("JetPack 6.2 (L4T 36.4.3) needs the jetpack6 line, but this build uses bytedeco 1.5.13 (cuda13: "
                + "CUDA 13.1, TensorRT >= 10.15); found CUDA 12.6.68, TensorRT 10.3.0.30", j.check().detail());
        assertEquals("rebuild with the JetPack 6 line: ./mvnw -Pjetpack6 -DskipTests package (or build "
                + "docker/Dockerfile.jetson)", j.check().fix());
    }

    @Test
    void theLoadedTensorRtWinsOverThePackage() throws Exception {
        SystemInfo.Jetson j = read("orin-jetpack62", "10.2.0", JETPACK6);
        assertEquals("10.2.0", j.tensorRt());
        assertFalse(j.check().matches());
        assertEquals("install TensorRT 10.3 or newer for CUDA 12", j.check().fix());
    }

    @Test
    void jetPack60HasNoLine() throws Exception {
        for (SystemInfo.NativeLine l : new SystemInfo.NativeLine[] {JETPACK6, CUDA13}) {
            SystemInfo.Jetson j = read("orin-jetpack60", null, l);
            assertEquals("36.3.0", j.l4t());
            assertEquals("6.0", j.jetPack());
            assertEquals("12.2.140", j.cuda());
            assertEquals("8.6.2.3", j.tensorRt());
            assertFalse(j.check().matches());
            assertNull(j.check().expectedLine());
            assertEquals("L4T 36.3.0 is JetPack 6.0 (CUDA 12.2, TensorRT 8.6); Javelin's GPU backends need CUDA 12.6 + "
                    + "TensorRT 10.3 (JetPack 6.1 or newer on Orin) or CUDA 13 (JetPack 7 on Thor)", j.check().detail());
            assertTrue(j.check().fix().startsWith("flash JetPack 6.1 or newer (L4T r36.4) on Jetson Orin and build with "
                    + "-Pjetpack6"), j.check().fix());
        }
    }

    @Test
    void thorOnJetPack7() throws Exception {
        SystemInfo.Jetson withJetPack6Line = read("thor-jetpack70", null, JETPACK6);
        assertEquals("7.0", withJetPack6Line.jetPack());
        assertEquals("cuda13", withJetPack6Line.check().expectedLine());
        assertEquals("rebuild with the default line, without -Pjetpack6: ./mvnw -DskipTests package",
                withJetPack6Line.check().fix());

        SystemInfo.Jetson j = read("thor-jetpack70", null, CUDA13);
        assertEquals("NVIDIA Jetson AGX Thor Developer Kit", j.model());
        assertEquals("13.0.48", j.cuda());
        assertFalse(j.check().matches(), "TensorRT 10.13 is older than the 10.15 JNI");
        assertEquals("install TensorRT 10.15 or newer for CUDA 13 (Thor runs the aarch64 SBSA packages since "
                + "JetPack 7)", j.check().fix());
        assertTrue(read("thor-jetpack70", "10.15.1", CUDA13).check().matches(), "with TensorRT 10.15 installed");
    }

    @Test
    void containerWithOnlyThePackageDatabase() throws Exception {
        SystemInfo.Jetson j = read("l4t-container", null, JETPACK6);
        assertNull(j.model());
        assertEquals("36.4.0", j.l4t(), "from nvidia-l4t-core 36.4.0-20240912212859");
        assertEquals("6.1", j.jetPack());
        assertEquals("12.6.68", j.cuda(), "from /usr/local/cuda/version.json");
        assertTrue(j.check().matches(), j.check().toString());
    }

    @Test
    void l4tToJetPack() {
        assertEquals("6.1", JetsonPlatform.release("36.4.0").jetPack());
        assertEquals("6.2", JetsonPlatform.release("36.4.3").jetPack());
        assertEquals("6.2.1", JetsonPlatform.release("36.4.4").jetPack());
        assertEquals("6.0", JetsonPlatform.release("36.3.0").jetPack());
        assertEquals("6.0 DP", JetsonPlatform.release("36.2.0").jetPack());
        assertEquals("7.0", JetsonPlatform.release("38.2.1").jetPack());
        assertEquals("7.1", JetsonPlatform.release("38.4.0").jetPack());
        assertEquals("5.x", JetsonPlatform.release("35.6.0").jetPack());
        assertNull(JetsonPlatform.release("99.1.0"));
        assertNull(JetsonPlatform.release("garbage"));
        assertEquals("jetpack6", JetsonPlatform.release("36.4.3").line());
        assertEquals("cuda13", JetsonPlatform.release("38.2.0").line());
        assertNull(JetsonPlatform.release("36.3.0").line());
    }

    @Test
    void debianVersionsAndDpkgStanzas() {
        assertEquals("10.3.0.30", JetsonPlatform.upstream("10.3.0.30-1+cuda12.5"));
        assertEquals("1.2.11.dfsg", JetsonPlatform.upstream("1:1.2.11.dfsg-2ubuntu9.2"));
        assertTrue(JetsonPlatform.compare("12.10", "12.9") > 0);
        assertEquals(0, JetsonPlatform.compare("12.6", "12.6.0"));
        String status = "Package: a\nStatus: install ok installed\nVersion: 1.0-1\n\nPackage: b\nStatus: deinstall ok "
                + "config-files\nVersion: 2.0-1\n\nPackage: c\nVersion: 3.0\n";
        assertEquals(Map.of("a", "1.0-1"), JetsonPlatform.dpkgVersions(status, Set.of("a", "b", "c")));
        assertEquals("13.0.48", JetsonPlatform.cudaVersion(Map.of("cuda-cudart-12-6", "12.6.68-1",
                "cuda-cudart-13-0", "13.0.48-1"), null), "the newest CUDA runtime installed");
    }

    @Test
    void doctorTextAndJsonShowTheCheck() throws Exception {
        SystemInfo.Jetson j = read("orin-jetpack62", null, CUDA13);
        SystemInfo info = new SystemInfo(new SystemInfo.Os("Linux", "5.15.148-tegra", "aarch64", 12),
                new SystemInfo.Jvm("Eclipse Adoptium", "17.0.15+6", "OpenJDK 64-Bit Server VM", 1L << 30), j, "540.4.0",
                null, java.util.List.of(), null, "10.15.1", "1.24.1", CUDA13, java.util.List.of(), java.util.List.of());
        String text = info.toText();
        assertTrue(text.contains("Jetson:        NVIDIA Jetson AGX Orin Developer Kit, L4T 36.4.3 (JetPack 6.2)"), text);
        assertTrue(text.contains("JetPack stack: CUDA 12.6.68, TensorRT 10.3.0.30, cuDNN 9.3.0.75"), text);
        assertTrue(text.contains("Native line:   MISMATCH: JetPack 6.2 (L4T 36.4.3) needs the jetpack6 line"), text);
        assertTrue(text.contains("Fix:           rebuild with the JetPack 6 line: ./mvnw -Pjetpack6"), text);
        @SuppressWarnings("unchecked")
        Map<String, Object> jetson = (Map<String, Object>) info.toMap().get("jetson");
        assertEquals(false, jetson.get("native_line_matches"));
        assertEquals("jetpack6", jetson.get("expected_line"));
        assertEquals("6.2", jetson.get("jetpack"));
        assertEquals("10.3.0.30", jetson.get("tensorrt"));
    }
}

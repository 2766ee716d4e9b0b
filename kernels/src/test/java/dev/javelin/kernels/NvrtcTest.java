package dev.javelin.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.cuda.Nvrtc;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The NVRTC cache key, and NVRTC's typed unavailability on a machine without it (this one). */
class NvrtcTest {
    @Test
    void theCacheKeyChangesWithEverythingTheCubinDependsOn() {
        NvrtcCompiler.Key k = new NvrtcCompiler.Key("abc", NvrtcCompiler.options(86), "13.0", 86);
        assertEquals(List.of("--gpu-architecture=sm_86", "-std=c++17"), k.options());
        assertTrue(k.fileName().matches("[0-9a-f]{64}\\.cubin"));
        assertEquals(k.fileName(), new NvrtcCompiler.Key("abc", NvrtcCompiler.options(86), "13.0", 86).fileName());
        assertNotEquals(k.fileName(), new NvrtcCompiler.Key("abd", NvrtcCompiler.options(86), "13.0", 86).fileName(), "source");
        assertNotEquals(k.fileName(), new NvrtcCompiler.Key("abc", NvrtcCompiler.options(87), "13.0", 87).fileName(), "GPU");
        assertNotEquals(k.fileName(), new NvrtcCompiler.Key("abc", NvrtcCompiler.options(86), "12.6", 86).fileName(), "NVRTC");
        assertNotEquals(k.fileName(), new NvrtcCompiler.Key("abc", List.of("--gpu-architecture=sm_86"), "13.0", 86).fileName(),
                "options");
        assertNotEquals(NvrtcCompiler.sourceHash("x", Map.of("h", "1")), NvrtcCompiler.sourceHash("x", Map.of("h", "2")), "header");
    }

    @Test
    void withoutNvrtcTheBindingThrowsTheTypedErrorListingWhereItLooked() {
        Assumptions.assumeTrue(System.getProperty("javelin.nvrtc") == null, "an NVRTC is configured");
        NativeLibraryUnavailableException e;
        try {
            Nvrtc n = Nvrtc.get();
            Assumptions.abort("this machine has " + n);
            return;
        } catch (NativeLibraryUnavailableException x) {
            e = x;
        }
        assertEquals("NVRTC", e.library());
        assertTrue(e.getMessage().contains("libnvrtc.so.13"), e.getMessage());
        assertTrue(e.attempts().stream().anyMatch(a -> a.startsWith("dlopen(libnvrtc.so.12)")), e.attempts().toString());
        assertEquals(e.getMessage(), assertThrows(NativeLibraryUnavailableException.class, Nvrtc::get).getMessage(), "cached");
    }
}

package dev.javelin.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.NativeLibrary;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.cuda.CudaDriver;
import dev.javelin.bindings.cuda.Nvrtc;
import dev.javelin.kernels.fake.FakeGpu;
import dev.javelin.kernels.testing.HostTensor;
import dev.javelin.kernels.testing.NativeBuild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NVRTC fallback on the fake driver: the fake rejects fatbins the way a pre-R580 driver rejects PTX ISA 9.0
 * ({@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}); {@link KernelModules} then compiles the shipped source with
 * "NVRTC" (a stand-in that runs nvcc -cubin on exactly what it is given: the source from the jar, the header by
 * include name, the options), caches the cubin on disk, loads it (the fake checks it is an ELF cubin holding the
 * entry names) and the kernel runs. Also: what the user is told when neither path works.
 */
class NvrtcFallbackOnFakeDriverTest {
    private static NativeLibrary nvrtcLib;

    @BeforeAll
    static void start() {
        FakeGpu.start();
        Path fake = NativeBuild.fakeNvrtc();
        assertEquals(fake.toString(), Path.of(System.getProperty(NativeLoader.NVRTC_PATH_PROPERTY)).toAbsolutePath().normalize()
                .toString());
        nvrtcLib = NativeLibrary.getInstance(fake.toString());
    }

    @AfterEach
    void driverAcceptsFatbinsAgain() {
        FakeGpu.driver().getFunction("fake_set_load_status").invokeVoid(new Object[] {0, 0});
    }

    private static void rejectFatbins() {
        FakeGpu.driver().getFunction("fake_set_load_status").invokeVoid(new Object[] {0, CudaDriver.ERROR_UNSUPPORTED_PTX_VERSION});
    }

    private static int nvrtcCompiles() {
        return nvrtcLib.getFunction("fake_nvrtc_compiles").invokeInt(new Object[0]);
    }

    /** Runs AffineGrid with identity theta on 1 x 1 x 2 x 2 through {@code modules}; the grid is the base grid. */
    private static void runsCorrectly(KernelModules modules) {
        try (FakeGpu.Scope s = new FakeGpu.Scope()) {
            var grid = s.empty("grid", ScalarType.FLOAT, 1, 2, 2, 2);
            FakeGpu.run(AffineGridKernel.plan(s.upload("theta", HostTensor.floats(new float[] {1, 0, 0, 0, 1, 0}, 1, 2, 3)),
                    new long[] {1, 1, 2, 2}, true, grid), modules);
            assertArrayEquals(new float[] {-1, -1, 1, -1, -1, 1, 1, 1}, s.download(grid).toFloats());
        }
    }

    @Test
    void aDriverTooOldForThePtxGetsCubinsFromNvrtcCachedOnDisk(@TempDir Path cache) throws IOException {
        rejectFatbins();
        int before = nvrtcCompiles();
        int cubinLoads = cubinLoads();
        NvrtcCompiler compiler = new NvrtcCompiler(cache);
        try (KernelModules m = new KernelModules(FakeGpu.context(), KernelCatalogue.get(), Nvrtc::get, compiler)) {
            runsCorrectly(m);
            assertEquals("NVRTC 13.0 cubin sm_86", m.origin(KernelSource.AFFINE_GRID));
            assertEquals(1, compiler.compiles());
            assertEquals(before + 1, nvrtcCompiles());
            runsCorrectly(m);
            assertEquals(1, compiler.compiles(), "the module is loaded once per context");
        }
        assertEquals(cubinLoads + 1, cubinLoads(), "the driver loaded a cubin (ELF), not the fatbin");
        List<Path> entries;
        try (Stream<Path> s = Files.list(cache)) {
            entries = s.toList();
        }
        assertEquals(1, entries.size(), entries.toString());
        assertTrue(entries.get(0).getFileName().toString().matches("[0-9a-f]{64}\\.cubin"), entries.toString());
        byte[] cubin = Files.readAllBytes(entries.get(0));
        assertEquals(0x7F, cubin[0]);
        assertEquals('E', cubin[1]);

        // A new process (a fresh compiler) with the same cache: no compile.
        NvrtcCompiler again = new NvrtcCompiler(cache);
        try (KernelModules m = new KernelModules(FakeGpu.context(), KernelCatalogue.get(), Nvrtc::get, again)) {
            runsCorrectly(m);
            assertEquals(0, again.compiles(), "served from the disk cache");
            assertEquals(before + 1, nvrtcCompiles());
        }
        assertEquals(cubinLoads + 2, cubinLoads());
    }

    private static int cubinLoads() {
        return FakeGpu.driver().getFunction("fake_module_loads").invokeInt(new Object[] {1});
    }

    @Test
    void withoutNvrtcTheMessageSaysWhatFailedAtEachStep(@TempDir Path cache) {
        rejectFatbins();
        Supplier<Nvrtc> missing = () -> {
            throw new NativeLibraryUnavailableException("NVRTC", "no NVRTC library found", NativeLoader.NVRTC_EXPECTED,
                    List.of("dlopen(libnvrtc.so.13): not found"), null);
        };
        try (KernelModules m = new KernelModules(FakeGpu.context(), KernelCatalogue.get(), missing, new NvrtcCompiler(cache))) {
            KernelUnavailableException e = assertThrows(KernelUnavailableException.class, () -> m.function(KernelEntry.DFT_RADIX2_F32));
            String msg = e.getMessage();
            assertTrue(msg.startsWith("the kernels of dft.cu are unavailable: the driver cannot load the fatbin: cuModuleLoadData("
                    + "dev/javelin/kernels/dft.fatbin"), msg);
            assertTrue(msg.contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)"), msg);
            assertTrue(msg.contains("needs an R580+ driver"), msg);
            assertTrue(msg.contains("the NVRTC fallback is unavailable too: NVRTC is unavailable: no NVRTC library found"), msg);
            assertTrue(msg.contains("libnvrtc.so.13"), msg);
            KernelUnavailableException again = assertThrows(KernelUnavailableException.class, () -> m.function(KernelEntry.DFT_DIRECT_F32));
            assertEquals(msg, again.getMessage(), "remembered, not retried");
            assertSame(e, again.getCause(), "the first failure is the cause");
        }
    }

    @Test
    void aBuildWithoutNvccRunsFromNvrtcOrSaysWhy(@TempDir Path cache) {
        KernelCatalogue none = KernelCatalogue.parse("{\"schema\": 1, \"fatbins\": false, \"reason\": \"nvcc was not found at build "
                + "time (looked in PATH)\", \"sources\": {}}", KernelCatalogue.class.getClassLoader());
        assertTrue(none.fatbin(KernelSource.AFFINE_GRID).isEmpty());
        NvrtcCompiler compiler = new NvrtcCompiler(cache);
        try (KernelModules m = new KernelModules(FakeGpu.context(), none, Nvrtc::get, compiler)) {
            runsCorrectly(m);
            assertNotNull(m.origin(KernelSource.AFFINE_GRID));
            assertEquals(1, compiler.compiles());
        }
        Supplier<Nvrtc> missing = () -> {
            throw new NativeLibraryUnavailableException("NVRTC", "no NVRTC library found", null, List.of(), null);
        };
        try (KernelModules m = new KernelModules(FakeGpu.context(), none, missing, new NvrtcCompiler(cache))) {
            KernelUnavailableException e = assertThrows(KernelUnavailableException.class, () -> m.module(KernelSource.UNIQUE));
            assertTrue(e.getMessage().contains("no fatbins were built: nvcc was not found at build time (looked in PATH)"), e.getMessage());
        }
    }

    @Test
    void aSourceThatDoesNotCompileIsReportedWithTheCompilerLog(@TempDir Path cache, @TempDir Path jar) throws IOException {
        // A class path whose dft.cu is broken: NVRTC's log reaches the message.
        Path dir = jar.resolve(KernelSource.RESOURCE_DIR + "cuda");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dft.cu"), "#include \"jk_common.cuh\"\nextern \"C\" __global__ void dft_radix2_f32() { undeclared(); }\n");
        Files.writeString(dir.resolve("jk_common.cuh"), "#pragma once\n");
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null)) {
            KernelCatalogue broken = KernelCatalogue.parse("{\"schema\": 1, \"fatbins\": false, \"reason\": \"test\"}", loader);
            try (KernelModules m = new KernelModules(FakeGpu.context(), broken, Nvrtc::get, new NvrtcCompiler(cache))) {
                KernelUnavailableException e = assertThrows(KernelUnavailableException.class, () -> m.module(KernelSource.DFT));
                assertTrue(e.getMessage().contains("failed to compile the source for sm_86"), e.getMessage());
                assertTrue(e.getMessage().contains("NVRTC_ERROR_COMPILATION (6)"), e.getMessage());
                assertTrue(e.getMessage().contains("undeclared"), "the compiler log: " + e.getMessage());
            }
        }
    }
}

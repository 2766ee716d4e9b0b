package dev.javelin.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build step (src/build/BuildKernels.java) run as Maven runs it, on small inputs. */
class BuildKernelsTest {
    private static final Path SCRIPT = Path.of("src/build/BuildKernels.java").toAbsolutePath();

    private record Run(int exit, String out) {
    }

    private static Run build(Path src, Path res, Path work, String archs, String nvcc) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), SCRIPT.toString(),
                src.toString(), res.toString(), work.toString(), archs, "75", nvcc, "2").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "build step timed out");
        return new Run(p.exitValue(), out);
    }

    private static void requireNvcc() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc")) || System.getenv("CUDA_HOME") != null,
                "needs nvcc");
    }

    @Test
    void withoutNvccTheBuildWarnsOnceAndRecordsWhy(@TempDir Path tmp) throws Exception {
        Path res = tmp.resolve("res");
        Path stale = res.resolve(KernelSource.RESOURCE_DIR + "dft.fatbin");
        Files.createDirectories(stale.getParent());
        Files.writeString(stale, "from an earlier build");
        Run r = build(Path.of("src/main/cuda").toAbsolutePath(), res, tmp.resolve("work"), "75,86", "none");
        assertEquals(0, r.exit(), r.out());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.out());
        assertTrue(lines.get(0).startsWith("[WARNING] Javelin kernels: the build was told not to use nvcc (-Djavelin.nvcc=none); "
                + "building without CUDA fatbins. At run time the kernels are compiled with NVRTC where available"), lines.get(0));
        assertFalse(Files.exists(stale), "a stale fatbin is not shipped next to a manifest without fatbins");
        String json = Files.readString(res.resolve(KernelCatalogue.MANIFEST));
        KernelCatalogue c = KernelCatalogue.parse(json, getClass().getClassLoader());
        assertFalse(c.hasFatbins());
        assertEquals("the build was told not to use nvcc (-Djavelin.nvcc=none)", c.reason());
        assertTrue(c.fatbin(KernelSource.DFT).isEmpty());
        assertEquals(NvrtcCompiler.sourceHash(c.cudaSource(KernelSource.DFT), c.cudaHeaders()), c.sourceHash(KernelSource.DFT));

        Run missing = build(Path.of("src/main/cuda").toAbsolutePath(), tmp.resolve("res2"), tmp.resolve("work2"), "75",
                tmp.resolve("no/such/nvcc").toString());
        assertEquals(0, missing.exit(), missing.out());
        assertTrue(missing.out().contains("nvcc was not found at build time (looked in " + tmp.resolve("no/such/nvcc") + ")"),
                missing.out());
    }

    @Test
    void aPtxasErrorFailsTheBuildWithTheCompilerOutput(@TempDir Path tmp) throws Exception {
        requireNvcc();
        Path src = Files.createDirectories(tmp.resolve("cuda"));
        // 80 KiB of static shared memory: the front end accepts it, ptxas refuses it.
        Files.writeString(src.resolve("big.cu"), "extern \"C\" __global__ void big(float* x) {\n"
                + "  __shared__ float s[20480];\n  s[threadIdx.x] = x[threadIdx.x];\n  __syncthreads();\n"
                + "  x[threadIdx.x] = s[threadIdx.x ^ 1];\n}\n");
        Run r = build(src, tmp.resolve("res"), tmp.resolve("work"), "75", "");
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("[ERROR] Javelin kernels: compiling big.cu failed"), r.out());
        assertTrue(r.out().contains("ptxas error") && r.out().contains("too much shared data"), r.out());
        assertFalse(Files.exists(tmp.resolve("res").resolve(KernelCatalogue.MANIFEST)), "no manifest for a failed build");
    }

    @Test
    void figuresAreParsedAndUnchangedSourcesAreNotRebuilt(@TempDir Path tmp) throws Exception {
        requireNvcc();
        Path src = Files.createDirectories(tmp.resolve("cuda"));
        Files.writeString(src.resolve("tiny.cu"), "struct P { long long a; int b; };\n"
                + "extern \"C\" __global__ void __launch_bounds__(128) tiny(float* y, const float* x, long long n, int k, float a, P p) {\n"
                + "  __shared__ float s[64];\n  long long i = blockIdx.x * 128ll + threadIdx.x;\n  s[threadIdx.x & 63] = i < n ? x[i] : 0;\n"
                + "  __syncthreads();\n  if (i < n) y[i] = a * s[(threadIdx.x + k) & 63] + p.a + p.b;\n}\n");
        Path res = tmp.resolve("res");
        Run first = build(src, res, tmp.resolve("work"), "75,86", "");
        assertEquals(0, first.exit(), first.out());
        assertTrue(first.out().contains("1 source(s), 0 unchanged"), first.out());
        assertTrue(first.out().lines().anyMatch(l -> l.matches("\\[INFO]\\s+tiny\\s+tiny\\s+\\d+(-\\d+)?\\s+0\\s+0\\s+256\\s+128")), first.out());
        KernelCatalogue c = KernelCatalogue.parse(Files.readString(res.resolve(KernelCatalogue.MANIFEST)), getClass().getClassLoader());
        KernelCatalogue.Kernel k = c.kernels().get("tiny");
        assertEquals(List.of("u64", "u64", "u64", "u32", "f32", "b8[16]:align8"), k.ptxParams());
        assertEquals(128, k.maxThreads());
        assertEquals(List.of("sm_75", "sm_86"), List.copyOf(k.sass().keySet()));
        assertEquals(256, k.sass().get("sm_86").sharedBytes());
        assertTrue(Files.size(res.resolve(KernelSource.RESOURCE_DIR + "tiny.fatbin")) > 1000);

        Run second = build(src, res, tmp.resolve("work"), "75,86", "");
        assertEquals(0, second.exit(), second.out());
        assertTrue(second.out().contains("1 source(s), 1 unchanged"), second.out());
        assertEquals(1, second.out().lines().count(), "no table when nothing was rebuilt: " + second.out());
    }
}

package dev.javelin.kernels.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Builds the native test libraries into {@code target/native-test} (rebuilt when an input is newer):
 * <ul>
 *   <li>{@code libjavelin_kernels_host.so}: the kernel sources compiled by g++ with the host prelude (the "host build",
 *       {@code src/main/host}), here with the test-only block-primitive kernels ({@code -DJK_HOST_TEST_ENTRIES}) that
 *       the shipped build (a class-path resource made by {@code src/build/BuildHostKernels.java}) leaves out;</li>
 *   <li>{@code fake-cuda/libcuda.so.1}: the bindings module's fake driver ({@code bindings/src/test/native/fake_cuda.c}),
 *       which dispatches launches to the host build;</li>
 *   <li>{@code fake-nvrtc/libnvrtc.so.13}: a stand-in NVRTC that compiles with nvcc, for the fallback path.</li>
 * </ul>
 * A missing compiler skips the calling test with the reason (a user's machine may lack one; CI here has them).
 */
public final class NativeBuild {
    public static final Path CUDA_SOURCES = Path.of("src/main/cuda").toAbsolutePath();
    public static final Path TEST_NATIVE = Path.of("src/test/native").toAbsolutePath();
    public static final Path HOST_SOURCES = Path.of("src/main/host").toAbsolutePath();
    public static final Path FAKE_CUDA_SOURCE = Path.of("../bindings/src/test/native/fake_cuda.c").toAbsolutePath().normalize();
    public static final Path OUT = Path.of("target/native-test").toAbsolutePath();

    private NativeBuild() {
    }

    /** The host build of the kernels. */
    public static synchronized Path hostKernels() {
        Path out = OUT.resolve("libjavelin_kernels_host.so");
        List<Path> inputs = new ArrayList<>(files(CUDA_SOURCES));
        inputs.addAll(files(HOST_SOURCES));
        build(out, inputs, List.of("g++", "-DJK_HOST_TEST_ENTRIES", "-std=c++20", "-O2", "-shared", "-fPIC", "-pthread", "-Wall",
                "-Werror", "-I" + CUDA_SOURCES, "-include", HOST_SOURCES.resolve("jk_host_prelude.hpp").toString(),
                "-o", out.toString(), HOST_SOURCES.resolve("kernels_host.cpp").toString()));
        return out;
    }

    /** The fake libcuda (soname libcuda.so.1). */
    public static synchronized Path fakeCuda() {
        Path out = OUT.resolve("fake-cuda/libcuda.so.1");
        build(out, List.of(FAKE_CUDA_SOURCE), List.of("gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-I" + cudaInclude(),
                "-Wl,-soname,libcuda.so.1", "-o", out.toString(), FAKE_CUDA_SOURCE.toString(), "-ldl", "-lpthread"));
        return out;
    }

    /** The fake NVRTC (soname libnvrtc.so.13). */
    public static synchronized Path fakeNvrtc() {
        Path out = OUT.resolve("fake-nvrtc/libnvrtc.so.13");
        Path src = TEST_NATIVE.resolve("fake_nvrtc.c");
        build(out, List.of(src), List.of("gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-Wl,-soname,libnvrtc.so.13",
                "-o", out.toString(), src.toString()));
        return out;
    }

    /** The CUDA toolkit's include folder, or skips. */
    public static Path cudaInclude() {
        for (String home : new String[] {System.getenv("CUDA_HOME"), System.getenv("CUDA_PATH"), "/usr/local/cuda"}) {
            if (home != null && Files.isRegularFile(Path.of(home, "include", "cuda.h"))) {
                return Path.of(home, "include");
            }
        }
        Assumptions.abort("cuda.h not found (set CUDA_HOME); the fake driver is compiled against the real header");
        throw new AssertionError();
    }

    private static List<Path> files(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void build(Path out, List<Path> inputs, List<String> cmd) {
        try {
            Files.createDirectories(out.getParent());
            if (Files.exists(out)) {
                FileTime built = Files.getLastModifiedTime(out);
                boolean fresh = true;
                for (Path in : inputs) {
                    fresh &= Files.getLastModifiedTime(in).compareTo(built) < 0;
                }
                if (fresh) {
                    return;
                }
            }
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (IOException e) {
                Assumptions.abort(cmd.get(0) + " is not installed: " + e.getMessage());
                throw new AssertionError(e);
            }
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd.get(0) + " timed out building " + out);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed:\n" + log);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot build " + out + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

package dev.javelin.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host build step (src/build/BuildHostKernels.java) run as Maven runs it. */
class BuildHostKernelsTest {
    private static final Path SCRIPT = Path.of("src/build/BuildHostKernels.java").toAbsolutePath();
    private static final Path CUDA = Path.of("src/main/cuda").toAbsolutePath();
    private static final Path HOST = Path.of("src/main/host").toAbsolutePath();

    private record Run(int exit, String out) {
    }

    private static Run build(Path cuda, Path host, Path res, Path work, String gxx) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), SCRIPT.toString(),
                cuda.toString(), host.toString(), res.toString(), work.toString(), gxx).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "build step timed out");
        return new Run(p.exitValue(), out);
    }

    private static JsonNode manifest(Path res) throws IOException {
        return new ObjectMapper().readTree(res.resolve(HostKernels.MANIFEST).toFile());
    }

    @Test
    void withoutGxxTheBuildWarnsOnceAndRecordsWhy(@TempDir Path tmp) throws Exception {
        Run r = build(CUDA, HOST, tmp.resolve("res"), tmp.resolve("work"), "none");
        assertEquals(0, r.exit(), r.out());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.out());
        assertTrue(lines.get(0).startsWith("[WARNING] Javelin kernels: the build was told not to use g++ (-Djavelin.gxx=none); "
                + "building without the host build of the kernels."), lines.get(0));
        JsonNode m = manifest(tmp.resolve("res"));
        assertFalse(m.path("built").asBoolean(true));
        assertEquals("the build was told not to use g++ (-Djavelin.gxx=none)", m.path("reason").asText());
    }

    @Test
    void aCompileErrorFailsTheBuildAndAnUnchangedSourceIsNotRebuilt(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")), "needs g++");
        Run ok = build(CUDA, HOST, tmp.resolve("res"), tmp.resolve("work"), "");
        assertEquals(0, ok.exit(), ok.out());
        JsonNode m = manifest(tmp.resolve("res"));
        assertTrue(m.path("built").asBoolean());
        assertTrue(Files.size(tmp.resolve("res").resolve(m.path("library").asText())) > 10_000);
        assertTrue(ok.out().contains("[INFO] Javelin kernels: host build dev/javelin/kernels/host/"), ok.out());
        Run again = build(CUDA, HOST, tmp.resolve("res"), tmp.resolve("work"), "");
        assertTrue(again.out().contains("unchanged"), again.out());

        Path broken = Files.createDirectories(tmp.resolve("host"));
        Files.copy(HOST.resolve("jk_host_prelude.hpp"), broken.resolve("jk_host_prelude.hpp"));
        Files.writeString(broken.resolve("kernels_host.cpp"), "int broken( {\n");
        Run bad = build(CUDA, broken, tmp.resolve("res3"), tmp.resolve("work3"), "");
        assertEquals(1, bad.exit(), bad.out());
        assertTrue(bad.out().contains("[ERROR] Javelin kernels: the host build failed") && bad.out().contains("error"), bad.out());
    }
}

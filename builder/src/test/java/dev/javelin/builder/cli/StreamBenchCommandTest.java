package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.builder.io.Npy;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code javelin stream} against a hand loop over Session.run, and {@code javelin bench} smoke runs with JSON. */
class StreamBenchCommandTest {
    static final int N = 512;
    static final int FRAMES = 12;
    static Path model;

    @TempDir
    Path dir;

    @BeforeAll
    static void find() {
        model = Path.of(System.getProperty("javelin.models.dir", ".models"), "silero_vad.onnx");
        assumeTrue(Files.isRegularFile(model), "Silero VAD not fetched: " + model);
    }

    static float[] signal() {
        float[] x = new float[FRAMES * N];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i / N) % 4 >= 2 ? (float) (0.5 * Math.sin(i * 0.09)) : (float) (((i * 7919) % 101) / 5000.0);
        }
        return x;
    }

    Path writeInputs() throws Exception {
        try (Tensor x = Tensor.of(signal(), Shape.of(1, FRAMES * N)); Tensor sr = Tensor.of(new long[] {16000}, Shape.scalar())) {
            Npy.write(dir.resolve("x.npy"), x);
            Npy.write(dir.resolve("sr.npy"), sr);
        }
        return dir;
    }

    @Test
    void streamWritesStackedOutputsEqualToAHandLoop() throws Exception {
        writeInputs();
        Path outDir = dir.resolve("out");
        Cli.Outcome o = Cli.run("stream", model.toString(), "--input", "input=" + dir.resolve("x.npy"), "--frame", "512",
                "--const", "sr=" + dir.resolve("sr.npy"), "--backend", "cpu", "--threads", "1", "-o", outDir.toString());
        assertEquals(0, o.code(), o.toString());
        assertTrue(o.out().contains("state    hn -> h (inferred"), o.out());
        float[] probs;
        try (Tensor t = Npy.read(outDir.resolve("output.npy"))) {
            assertEquals(Shape.of(FRAMES, 1, 1), t.shape());
            probs = t.toFloatArray();
        }
        float[] expected = new float[FRAMES];
        float[] h = new float[128];
        float[] c = new float[128];
        float[] x = signal();
        try (Session s = Session.open(model, SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build());
             Tensor sr = Tensor.of(new long[] {16000}, Shape.scalar())) {
            for (int f = 0; f < FRAMES; f++) {
                try (Tensor in = Tensor.of(Arrays.copyOfRange(x, f * N, (f + 1) * N), Shape.of(1, N));
                     Tensor th = Tensor.of(h, Shape.of(2, 1, 64)); Tensor tc = Tensor.of(c, Shape.of(2, 1, 64));
                     Result r = s.run(Map.of("input", in, "sr", sr, "h", th, "c", tc))) {
                    expected[f] = r.get("output").toFloatArray()[0];
                    h = r.get("hn").toFloatArray();
                    c = r.get("cn").toFloatArray();
                }
            }
        }
        assertArrayEquals(expected, probs, 0f);

        // The same stream on the model specialized on sr (no --const): the same probabilities, bit for bit.
        System.setProperty("javelin.cache.dir", dir.resolve("cache").toString());
        Path specDir = dir.resolve("out-spec");
        Cli.Outcome sp = Cli.run("stream", model.toString(), "--input", "input=" + dir.resolve("x.npy"), "--frame", "512",
                "--specialize", "sr=16000", "--backend", "cpu", "--threads", "1", "-o", specDir.toString());
        assertEquals(0, sp.code(), sp.toString());
        assertTrue(sp.out().contains("If nodes inlined: If_25 -> then"), sp.out());
        try (Tensor t = Npy.read(specDir.resolve("output.npy"))) {
            assertArrayEquals(expected, t.toFloatArray(), 0f);
        }
        // Also fixing the frame and state shapes: every If goes, the probabilities stay the same bits.
        Path shapeDir = dir.resolve("out-shape");
        Cli.Outcome sh = Cli.run("stream", model.toString(), "--input", "input=" + dir.resolve("x.npy"), "--frame", "512",
                "--specialize", "sr=16000", "--specialize-shape", "input=1x512", "--specialize-shape", "h=2x1x64",
                "--specialize-shape", "c=2x1x64", "--backend", "cpu", "--threads", "1", "-o", shapeDir.toString());
        assertEquals(0, sh.code(), sh.toString());
        assertTrue(sh.out().contains("Shape/Size nodes folded: ") && sh.out().contains("If_25/If_69 -> then"), sh.out());
        try (Tensor t = Npy.read(shapeDir.resolve("output.npy"))) {
            assertArrayEquals(expected, t.toFloatArray(), 0f);
        }
        Cli.Outcome again = Cli.run("stream", model.toString(), "--input", "input=" + dir.resolve("x.npy"), "--frame", "512",
                "--specialize", "sr=16000", "--backend", "cpu", "--threads", "1", "-o", specDir.toString());
        assertTrue(again.out().contains("(cached "), again.out());
        Cli.Outcome badSpec = Cli.run("stream", model.toString(), "--input", "input=" + dir.resolve("x.npy"), "--frame", "512",
                "--specialize", "rate=16000", "--backend", "cpu");
        assertEquals(3, badSpec.code(), badSpec.toString());
        assertTrue(badSpec.err().contains("'rate'"), badSpec.err());
        System.clearProperty("javelin.cache.dir");

        Cli.Outcome bad = Cli.run("stream", model.toString(), "--input", "input=" + dir.resolve("x.npy"), "--frame", "500",
                "--const", "sr=" + dir.resolve("sr.npy"), "--backend", "cpu");
        assertEquals(3, bad.code(), bad.toString());
        assertTrue(bad.err().contains("not a multiple of --frame 500"), bad.err());
    }

    @Test
    void benchReportsExecutorAndStreamRunsAsJson() throws Exception {
        writeInputs();
        Path j1 = dir.resolve("exec.json");
        Cli.Outcome o = Cli.run("bench", model.toString(), "--backend", "cpu", "--threads", "1", "--input",
                "sr=" + dir.resolve("sr.npy"), "--shapes", "input:1x512,h:2x1x64,c:2x1x64", "--concurrency", "2",
                "--lanes", "2", "--iterations", "200", "--warmup", "0.2", "--json", j1.toString());
        assertEquals(0, o.code(), o.toString());
        assertTrue(o.out().contains("batching off (maxBatch 1)") && o.out().contains("throughput"), o.out());
        JsonNode r = new ObjectMapper().readTree(j1.toFile());
        assertEquals(200, r.get("count").asLong());
        assertEquals(200, r.get("batch_sizes").get("1").asLong(), "every request ran alone: " + r);
        assertTrue(r.get("latency_ms").get("p99").asDouble() >= r.get("latency_ms").get("median").asDouble());
        assertTrue(r.get("peak_rss_mib").asDouble() > 0);

        Path j2 = dir.resolve("stream.json");
        Cli.Outcome s = Cli.run("bench", model.toString(), "--backend", "cpu", "--threads", "1", "--input",
                "input=" + dir.resolve("x.npy"), "--input", "sr=" + dir.resolve("sr.npy"), "--stream", "state=hn=h;cn=c",
                "--frame", "512", "--iterations", "100", "--warmup", "0.1", "--json", j2.toString());
        assertEquals(0, s.code(), s.toString());
        JsonNode rs = new ObjectMapper().readTree(j2.toFile());
        assertEquals(100, rs.get("count").asLong());
        assertEquals("h", rs.get("state_pairs").get("hn").asText());
    }
}

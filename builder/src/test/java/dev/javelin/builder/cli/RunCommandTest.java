package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.javelin.builder.io.Npy;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Float16;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code javelin run} end to end on a model generated here: every dtype in and out, output names that need
 * sanitizing (and collide once sanitized), NaN propagation. Expected outputs are computed in closed form from
 * the inputs, independently of any backend.
 */
class RunCommandTest {
    @TempDir
    Path tmp;

    private Path model;
    private final Map<String, Path> files = new LinkedHashMap<>();

    // Inputs. x has a symbolic batch dimension; row 1 holds a NaN.
    private static final float[] X = {1f, -2f, 0.5f, Float.NaN, 4f, -0.25f};
    private static final float[] BIAS = {10f, 20f, 30f};
    private static final long[] IDS = {5L, -(1L << 40)};
    private static final float[] H = {0.5f, -1.5f, 65504f, 0.099975586f};
    private static final byte[] FLAG = {1, 0, 1};
    private static final byte[] Q = {-128, -1, 0, 127};
    private static final byte[] U = {0, (byte) 255};
    private static final int[] K = {7, Integer.MIN_VALUE + 1};

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Cli.cpuBackendInstalled(), Cli.NO_CPU_BACKEND);
        byte[] onnx = TinyOnnx.model(17,
                List.of(TinyOnnx.node("Add", List.of("x", "bias"), List.of("a/b")),
                        TinyOnnx.node("Mul", List.of("x", "x"), List.of("a:b")),
                        TinyOnnx.node("Neg", List.of("ids"), List.of("..")),
                        TinyOnnx.node("Cast", List.of("h"), List.of("h f32"), TinyOnnx.intAttribute("to", 1)),
                        TinyOnnx.node("Identity", List.of("h"), List.of("h16")),
                        TinyOnnx.node("Not", List.of("flag"), List.of("not flag")),
                        TinyOnnx.node("Identity", List.of("q"), List.of("q_out")),
                        TinyOnnx.node("Identity", List.of("u"), List.of("u_out")),
                        TinyOnnx.node("Neg", List.of("k"), List.of("k_neg"))),
                List.of(TinyOnnx.tensor("x", DType.FLOAT32, "batch", 3L),
                        TinyOnnx.tensor("bias", DType.FLOAT32, 3L),
                        TinyOnnx.tensor("ids", DType.INT64, 2L),
                        TinyOnnx.tensor("h", DType.FLOAT16, 2L, 2L),
                        TinyOnnx.tensor("flag", DType.BOOL, 3L),
                        TinyOnnx.tensor("q", DType.INT8, 4L),
                        TinyOnnx.tensor("u", DType.UINT8, 2L),
                        TinyOnnx.tensor("k", DType.INT32, 2L)),
                List.of(TinyOnnx.tensor("a/b", DType.FLOAT32, "batch", 3L),
                        TinyOnnx.tensor("a:b", DType.FLOAT32, "batch", 3L),
                        TinyOnnx.tensor("..", DType.INT64, 2L),
                        TinyOnnx.tensor("h f32", DType.FLOAT32, 2L, 2L),
                        TinyOnnx.tensor("h16", DType.FLOAT16, 2L, 2L),
                        TinyOnnx.tensor("not flag", DType.BOOL, 3L),
                        TinyOnnx.tensor("q_out", DType.INT8, 4L),
                        TinyOnnx.tensor("u_out", DType.UINT8, 2L),
                        TinyOnnx.tensor("k_neg", DType.INT32, 2L)));
        model = Files.write(tmp.resolve("tiny.onnx"), onnx);
        save("x", Tensor.of(X, Shape.of(2, 3)));
        save("bias", Tensor.of(BIAS, Shape.of(3)));
        save("ids", Tensor.of(IDS, Shape.of(2)));
        save("h", Tensor.ofFloat16(H, Shape.of(2, 2)));
        save("flag", Tensor.of(DType.BOOL, FLAG, Shape.of(3)));
        save("q", Tensor.of(DType.INT8, Q, Shape.of(4)));
        save("u", Tensor.of(DType.UINT8, U, Shape.of(2)));
        save("k", Tensor.of(K, Shape.of(2)));
    }

    private void save(String name, Tensor t) throws IOException {
        try (t) {
            Path f = tmp.resolve("in").resolve(name + ".npy");
            Files.createDirectories(f.getParent());
            Npy.write(f, t);
            files.put(name, f);
        }
    }

    private List<String> args(String... extra) {
        List<String> a = new ArrayList<>(List.of("run", model.toString(), "--backend", "cpu"));
        files.forEach((name, f) -> a.addAll(List.of("--input", name + "=" + f)));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void runsEveryDtypeAndWritesOutputsUnderSafeNames() throws IOException {
        Path out = tmp.resolve("out");
        Cli.Outcome r = Cli.run(args("--output-dir", out.toString(), "--runs", "3").toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err(), r.toString());

        try (Tensor t = Npy.read(out.resolve("a_b.npy"))) { // "a/b" = x + bias
            assertEquals(Shape.of(2, 3), t.shape());
            float[] v = t.toFloatArray();
            for (int i = 0; i < 6; i++) {
                float expected = X[i] + BIAS[i % 3];
                assertEquals(Float.isNaN(expected), Float.isNaN(v[i]), "NaN propagates at " + i);
                if (!Float.isNaN(expected)) {
                    assertEquals(expected, v[i], 0f);
                }
            }
        }
        try (Tensor t = Npy.read(out.resolve("a_b_2.npy"))) { // "a:b" = x * x, collides with "a/b" once sanitized
            float[] v = t.toFloatArray();
            assertEquals(X[0] * X[0], v[0], 0f);
            assertEquals(X[5] * X[5], v[5], 0f);
            assertTrue(Float.isNaN(v[3]));
        }
        try (Tensor t = Npy.read(out.resolve("_...npy"))) { // ".." = -ids
            assertEquals(DType.INT64, t.dtype());
            assertArrayEquals(new long[] {-IDS[0], -IDS[1]}, t.toLongArray());
        }
        try (Tensor t = Npy.read(out.resolve("h_f32.npy")); Tensor h16 = Npy.read(out.resolve("h16.npy"))) {
            assertEquals(DType.FLOAT32, t.dtype());
            assertEquals(DType.FLOAT16, h16.dtype());
            for (int i = 0; i < H.length; i++) {
                float half = Float16.toFloat(Float16.fromFloat(H[i]));
                assertEquals(half, t.toFloatArray()[i], 0f);
                assertEquals(Float16.fromFloat(H[i]), h16.buffer().getShort(i * 2));
            }
        }
        try (Tensor t = Npy.read(out.resolve("not_flag.npy"))) {
            assertEquals(DType.BOOL, t.dtype());
            assertArrayEquals(new byte[] {0, 1, 0}, t.toByteArray());
        }
        try (Tensor q = Npy.read(out.resolve("q_out.npy")); Tensor u = Npy.read(out.resolve("u_out.npy"));
             Tensor k = Npy.read(out.resolve("k_neg.npy"))) {
            assertEquals(DType.INT8, q.dtype());
            assertArrayEquals(Q, q.toByteArray());
            assertEquals(DType.UINT8, u.dtype());
            assertArrayEquals(U, u.toByteArray());
            assertEquals(DType.INT32, k.dtype());
            assertArrayEquals(new long[] {-K[0], -(long) K[1]}, k.toLongArray());
        }
        try (var listing = Files.list(out)) {
            assertEquals(9, listing.count(), "one file per output");
        }

        // The summary row of a/b: x + bias without the NaN is {11, 18, 30.5, 24, 29.75}; one NaN.
        String line = r.out().lines().filter(l -> l.strip().startsWith("a/b ")).findFirst().orElseThrow();
        List<String> cells = List.of(line.strip().split("\\s{2,}"));
        assertEquals(List.of("a/b", "float32", "[2, 3]", "11", "30.5", TensorStats.format((11 + 18 + 30.5 + 24 + 29.75)
                / 5, DType.FLOAT32), "1", "a_b.npy"), cells);
        assertTrue(r.out().contains("backend  cpu: "), r.out());
        assertTrue(r.out().matches("(?s).*latency  first [0-9.]+ (ms); warm \\(3 runs\\): median .*"), r.out());
        assertTrue(r.out().contains("wrote    9 outputs to " + out), r.out());
    }

    @Test
    void withoutOutputDirNothingIsWritten() throws IOException {
        Cli.Outcome r = Cli.run(args("--runs", "0").toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("latency  first "), r.out());
        assertTrue(!r.out().contains("warm"), r.out());
        try (var listing = Files.list(tmp)) {
            assertEquals(List.of("in", "tiny.onnx"), listing.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void missingExtraAndMismatchedInputsAreOneLineWithTheRuntimesMessage() throws IOException {
        // Missing: drop bias.
        Path bias = files.remove("bias");
        Cli.Outcome missing = Cli.run(args().toArray(String[]::new));
        assertEquals(ExitCodes.MODEL_OR_INPUT, missing.code(), missing.toString());
        assertEquals(1, missing.errLines().size(), missing.toString());
        assertTrue(missing.err().startsWith("javelin: missing input [bias]; expected "), missing.err());
        files.put("bias", bias);

        // Extra: an input the model does not have.
        Cli.Outcome extra = Cli.run(args("--input", "zzz=" + bias).toArray(String[]::new));
        assertEquals(ExitCodes.MODEL_OR_INPUT, extra.code(), extra.toString());
        assertEquals(List.of("javelin: unknown input 'zzz'; the model's inputs are [x, bias, ids, h, flag, q, u, k]"),
                extra.errLines());

        // Wrong dtype: int32 where float32 is expected.
        Path intBias = tmp.resolve("int_bias.npy");
        try (Tensor t = Tensor.of(new int[] {1, 2, 3}, Shape.of(3))) {
            Npy.write(intBias, t);
        }
        files.put("bias", intBias);
        Cli.Outcome dtype = Cli.run(args().toArray(String[]::new));
        assertEquals(ExitCodes.MODEL_OR_INPUT, dtype.code(), dtype.toString());
        assertEquals(List.of("javelin: input 'bias' has dtype int32 but the model expects float32"), dtype.errLines());

        // Wrong fixed dimension.
        Path wide = tmp.resolve("wide_bias.npy");
        try (Tensor t = Tensor.of(new float[] {1, 2, 3, 4}, Shape.of(4))) {
            Npy.write(wide, t);
        }
        files.put("bias", wide);
        Cli.Outcome dim = Cli.run(args().toArray(String[]::new));
        assertEquals(ExitCodes.MODEL_OR_INPUT, dim.code(), dim.toString());
        assertEquals(1, dim.errLines().size());
        assertTrue(dim.err().contains("input 'bias' has shape [4] but dimension 0 must be 3"), dim.err());
    }

    @Test
    void npzSuppliesAllInputsByName() throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Path> e : files.entrySet()) {
                all.put(e.getKey(), Npy.read(e.getValue()));
            }
            Npy.writeNpz(tmp.resolve("all.npz"), all);
        } finally {
            all.values().forEach(Tensor::close);
        }
        Cli.Outcome r = Cli.run("run", model.toString(), "-b", "cpu", "-n", "0", "-i", tmp.resolve("all.npz").toString(),
                "-o", tmp.resolve("o").toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("all.npz!bias.npy"), r.out());
        try (Tensor t = Npy.read(tmp.resolve("o").resolve("k_neg.npy"))) {
            assertArrayEquals(new long[] {-K[0], -(long) K[1]}, t.toLongArray());
        }
    }

    @Test
    void corruptModelIsAModelError() throws IOException {
        byte[] good = Files.readAllBytes(model);
        Files.write(model, java.util.Arrays.copyOf(good, good.length / 2));
        Cli.Outcome r = Cli.run(args().toArray(String[]::new));
        assertEquals(ExitCodes.MODEL_OR_INPUT, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
    }
}

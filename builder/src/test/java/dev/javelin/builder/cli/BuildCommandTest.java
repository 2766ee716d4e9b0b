package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.builder.bundle.BuildTestModels;
import dev.javelin.builder.io.Npy;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.bundle.Bundle;
import dev.javelin.runtime.bundle.BundleManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code javelin build} end to end: an ONNX-only MiniLM bundle runs on ONNX Runtime CPU with the source model's
 * outputs (through {@code javelin run} and through {@code Session}); without a GPU the full build ends with exit
 * code 4 and a usable bundle; bad options are usage errors naming what is wrong.
 */
class BuildCommandTest {
    @TempDir
    Path tmp;

    /** Two sentences' token ids (BERT vocabulary), padded to 12. */
    private static Map<String, Tensor> miniLmInputs() {
        long[] ids = {101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102, 0, 0, 0,
                      101, 7592, 2088, 2003, 1037, 3231, 1997, 8270, 12170, 2015, 1012, 102};
        long[] mask = new long[24];
        for (int i = 0; i < 24; i++) {
            mask[i] = ids[i] == 0 ? 0 : 1;
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.of(ids, Shape.of(2, 12)));
        in.put("attention_mask", Tensor.of(mask, Shape.of(2, 12)));
        in.put("token_type_ids", Tensor.of(new long[24], Shape.of(2, 12)));
        return in;
    }

    @Test
    void onnxOnlyMiniLmBundleRunsLikeTheSourceModel() throws Exception {
        Path source = ModelFiles.miniLm();
        Path out = tmp.resolve("minilm.bundle");
        Cli.Outcome b = Cli.run("build", source.toString(), "-o", out.toString(), "--onnx-only");
        assertEquals(0, b.code(), b.toString());
        assertTrue(b.out().contains("[2/3] graph steps: check, dim-names"), b.out());
        assertTrue(b.out().contains("dim-names: input input_ids dimension 1: 'batch' -> 'dim_1'"), b.out());
        assertTrue(b.out().contains("profile input_ids:1x1/1x256/32x2048"), b.out());
        assertTrue(b.out().contains("plan     none (--onnx-only: the TensorRT step was skipped on purpose)"), b.out());

        BundleManifest m = Bundle.open(out).manifest();
        assertEquals("all-minilm-l6-v2.onnx", m.source().file());
        assertEquals(Bundle.sha256(source), m.source().sha256());
        assertEquals("[input_ids: int64[batch, dim_1], attention_mask: int64[batch, dim_1], token_type_ids: int64[batch, dim_1]]",
                m.signature().inputs().toString());

        // javelin run on the bundle and on the source: the same output files, bit for bit.
        Map<String, Tensor> in = miniLmInputs();
        try {
            for (Map.Entry<String, Tensor> e : in.entrySet()) {
                Npy.write(tmp.resolve(e.getKey() + ".npy"), e.getValue());
            }
            String[] inputs = {"-i", "input_ids=" + tmp.resolve("input_ids.npy"), "-i", "attention_mask="
                    + tmp.resolve("attention_mask.npy"), "-i", "token_type_ids=" + tmp.resolve("token_type_ids.npy")};
            Cli.Outcome runBundle = Cli.run(concat(new String[] {"run", out.toString(), "-b", "cpu", "-n", "0", "-o",
                    tmp.resolve("from-bundle").toString()}, inputs));
            assertEquals(0, runBundle.code(), runBundle.toString());
            assertTrue(runBundle.out().contains("model    " + out), runBundle.out());
            Cli.Outcome runSource = Cli.run(concat(new String[] {"run", source.toString(), "-b", "cpu", "-n", "0", "-o",
                    tmp.resolve("from-source").toString()}, inputs));
            assertEquals(0, runSource.code(), runSource.toString());
            for (String f : List.of("output_0.npy", "882.npy")) {
                assertArrayEquals(Files.readAllBytes(tmp.resolve("from-source").resolve(f)),
                        Files.readAllBytes(tmp.resolve("from-bundle").resolve(f)), f);
            }

            // Session on the bundle folder against Session on the source model.
            SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).build();
            try (Session sb = Session.open(out, cpu); Session ss = Session.open(source, cpu);
                 Result rb = sb.run(in); Result rs = ss.run(in)) {
                assertEquals(out, sb.model());
                float[] pooledBundle = rb.get("882").toFloatArray();
                float[] pooledSource = rs.get("882").toFloatArray();
                assertEquals(2 * 384, pooledBundle.length);
                assertArrayEquals(pooledSource, pooledBundle, 0f);
                assertArrayEquals(rs.get("output_0").toFloatArray(), rb.get("output_0").toFloatArray(), 0f);
                assertEquals(DType.FLOAT32, rb.get("output_0").dtype());
            }
        } finally {
            in.values().forEach(Tensor::close);
        }
    }

    @Test
    void withoutAGpuTheBuildEndsWithExitCode4AndAUsableBundle() throws Exception {
        assumeFalse(NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available(),
                "this machine has an NVIDIA driver; the TensorRT build runs for real there");
        Path out = tmp.resolve("b");
        Cli.Outcome r = Cli.run("build", BuildTestModels.reusedSymbol(tmp).toString(), "-o", out.toString(),
                "--shapes", "x:1x4/2x8/4x16", "--workspace", "256", "--opt-level", "2", "--timing-cache",
                tmp.resolve("t.cache").toString(), "--json");
        assertEquals(ExitCodes.BACKEND_UNAVAILABLE, r.code(), r.toString());
        assertTrue(r.err().contains("javelin: TensorRT step stopped: backend 'tensorrt' is unavailable: CUDA driver unavailable"),
                r.err());
        assertTrue(r.err().contains("The bundle " + out + " is complete without a plan and runs on ONNX Runtime"), r.err());
        assertTrue(r.err().contains("[4/4] TensorRT build"), "progress goes to stderr with --json: " + r.err());
        assertTrue(r.err().contains("setMemoryPoolLimit(kWORKSPACE, 268435456)")
                && r.err().contains("setBuilderOptimizationLevel(2)")
                && r.err().contains("addOptimizationProfile(x [1, 4]/[2, 8]/[4, 16], m [1, 4]/[2, 4]/[4, 4])")
                && r.err().contains("setTimingCache(createTimingCache(" + tmp.resolve("t.cache") + ": new)"), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(false, j.get("plan_built").asBoolean());
        assertTrue(j.get("tensorrt_error").asText().startsWith("backend 'tensorrt' is unavailable"));
        assertEquals("not_built", j.at("/manifest/tensorrt/status").asText());
        assertEquals(268435456, j.at("/manifest/build/workspace_bytes").asLong());
        assertEquals("[4,16]", j.at("/manifest/profiles/0/inputs/x/max").toString());
        assertFalse(Files.exists(tmp.resolve("t.cache")), "no build, so no timing cache written");

        // The bundle runs on ONNX Runtime: y = 2x + 1 over a non-square x, z = m - 1.
        try (Session s = Session.open(out, SessionOptions.builder().backend(BackendKind.CPU).build());
             Tensor x = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, Shape.of(2, 3));
             Tensor m = Tensor.of(new float[] {1, 1, 1, 1, 2, 2, 2, 2}, Shape.of(2, 4));
             Result res = s.run(Map.of("x", x, "m", m))) {
            assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11}, res.get("y").toFloatArray(), 0f);
            assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 1, 1}, res.get("z").toFloatArray(), 0f);
        }
        // And TensorRT on it is the same typed error.
        Cli.Outcome trt = Cli.run("run", out.toString(), "-b", "tensorrt");
        assertEquals(ExitCodes.BACKEND_UNAVAILABLE, trt.code(), trt.toString());
    }

    @Test
    void badOptionsAreUsageErrorsThatNameTheProblem() {
        Path model = BuildTestModels.reusedSymbol(tmp);
        Path out = tmp.resolve("never");
        Cli.Outcome fp16 = Cli.run("build", model.toString(), "-o", out.toString(), "--precision", "fp16");
        assertEquals(ExitCodes.USAGE, fp16.code(), fp16.toString());
        assertTrue(fp16.err().strip().startsWith("javelin: --precision fp16 needs --eval-data DIR (or --calib-data DIR)"),
                fp16.err());

        Cli.Outcome unknown = Cli.run("build", model.toString(), "-o", out.toString(), "--shapes", "q:1x4/2x8/4x16");
        assertEquals(ExitCodes.USAGE, unknown.code(), unknown.toString());
        assertTrue(unknown.err().startsWith("javelin: --shapes: the shapes name input 'q', which the model does not have;"
                + " its inputs are [x, m]"), unknown.err());

        Cli.Outcome fixed = Cli.run("build", model.toString(), "-o", out.toString(), "--shapes", "m:1x4/2x8/4x8");
        assertEquals(ExitCodes.USAGE, fixed.code(), fixed.toString());
        assertTrue(fixed.err().contains("--shapes: input 'm' dimension 1 is fixed at 4 in the model [batch, 4], but the"
                + " shapes give 4/8/8"), fixed.err());

        Cli.Outcome syntax = Cli.run("build", model.toString(), "-o", out.toString(), "--shapes", "x:1x4/2x8");
        assertEquals(ExitCodes.USAGE, syntax.code(), syntax.toString());
        assertTrue(syntax.err().contains("--shapes: shape entry 'x:1x4/2x8' for input 'x' has 2 shapes"), syntax.err());

        Cli.Outcome calib = Cli.run("build", model.toString(), "-o", out.toString(), "--calib-data", tmp.toString());
        assertEquals(ExitCodes.USAGE, calib.code(), calib.toString());
        assertTrue(calib.err().contains("--calib-data is used only with --precision int8"), calib.err());

        Cli.Outcome level = Cli.run("build", model.toString(), "-o", out.toString(), "--opt-level", "7");
        assertEquals(ExitCodes.USAGE, level.code());
        assertTrue(level.err().contains("--opt-level must be 0-5, was 7"), level.err());
        assertFalse(Files.exists(out), "nothing is written when the options are wrong");

        Cli.Outcome missing = Cli.run("build", tmp.resolve("absent.onnx").toString(), "-o", out.toString());
        assertEquals(ExitCodes.MODEL_OR_INPUT, missing.code(), missing.toString());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.builder.io.Npy;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.precision.Fp16Converter;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code javelin compare} on generated models y = x * 2 + bias: the candidate's bias differs from the reference's
 * by a known amount, so whether each run is within tolerance follows from atol/rtol in closed form.
 */
class CompareCommandTest {
    @TempDir
    Path tmp;

    private Path reference;
    private Path close;
    private Path input;

    private static OnnxModel affine(float bias) {
        return OnnxModel.of(OnnxGraphBuilder.graph("affine")
                .input("x", ElementType.FLOAT, "n", 4)
                .initializer(Tensors.floats("s", new long[] {1}, 2f))
                .initializer(Tensors.floats("b", new long[] {1}, bias))
                .node("Mul").inputs("x", "s").outputs("t").add()
                .node("Add").inputs("t", "b").outputs("y").add()
                .output("y", ElementType.FLOAT, "n", 4)
                .buildModel(), null);
    }

    @BeforeEach
    void setUp() throws IOException {
        reference = affine(1f).write(tmp.resolve("ref.onnx")).file().orElseThrow();
        close = affine(1.01f).write(tmp.resolve("close.onnx")).file().orElseThrow();
        input = tmp.resolve("x.npy");
        try (Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, Shape.of(2, 4))) {
            Npy.write(input, x);
        }
    }

    @Test
    void withinToleranceExitsZeroAndPrintsTheTable() {
        // |diff| = 0.01 everywhere: within atol 0.02.
        Cli.Outcome r = Cli.run("compare", reference.toString(), close.toString(), "-i", "x=" + input, "--atol", "0.02");
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        assertTrue(r.out().contains("PASSED: every output within tolerance"), r.out());
        assertTrue(r.out().contains("atol 0.02000, rtol 1.000e-05"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+y\\s+\\[2, 4\\]\\s+0\\.0(1|09).*\\s+0\\s+ok")), r.out());
    }

    @Test
    void outOfToleranceExitsFiveNamingTheOutput() {
        // |diff| = 0.01 > atol 1e-3; relative 0.01/3 ... 0.01/81: above rtol 1e-4 everywhere.
        Cli.Outcome r = Cli.run("compare", reference.toString(), close.toString(), "-i", "x=" + input,
                "--atol", "1e-3", "--rtol", "1e-4");
        assertEquals(ExitCodes.OUT_OF_TOLERANCE, r.code(), r.toString());
        assertTrue(r.out().contains("FAIL y: 8 of 8 elements exceed both atol 0.001 and rtol 1.0E-4"), r.out());
        // rtol 2e-4 lets the two largest outputs (61, 81: relative 1.6e-4 and 1.2e-4) pass: 6 fail.
        Cli.Outcome partial = Cli.run("compare", reference.toString(), close.toString(), "-i", "x=" + input,
                "--atol", "1e-3", "--rtol", "2e-4");
        assertEquals(ExitCodes.OUT_OF_TOLERANCE, partial.code(), partial.toString());
        assertTrue(partial.out().contains("FAIL y: 6 of 8 elements"), partial.out());
    }

    @Test
    void jsonToStdoutOrFile() throws IOException {
        Cli.Outcome r = Cli.run("compare", reference.toString(), close.toString(), "-i", "x=" + input, "--json", "-");
        assertEquals(ExitCodes.OUT_OF_TOLERANCE, r.code(), r.toString());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertFalse(json.get("passed").asBoolean());
        JsonNode y = json.get("outputs").get(0);
        assertEquals("y", y.get("name").asText());
        assertEquals(0.01, y.get("max_abs").asDouble(), 1e-5);
        assertEquals(8, y.get("failing_elements").asInt());

        Path file = tmp.resolve("reports/compare.json");
        Cli.Outcome f = Cli.run("compare", reference.toString(), close.toString(), "-i", "x=" + input, "--atol", "0.1",
                "--json", file.toString());
        assertEquals(ExitCodes.OK, f.code(), f.toString());
        assertTrue(f.out().contains("wrote    " + file), f.out());
        assertTrue(new ObjectMapper().readTree(Files.readString(file)).get("passed").asBoolean());
    }

    /** A float16 conversion compared with its original: the float32 .npy input is rounded for the float16 inputs. */
    @Test
    void comparesAFloat16ConversionWithItsOriginal() {
        Path half = Fp16Converter.convert(affine(1f), Fp16Converter.Options.builder().keepIoTypes(false).build()).model()
                .write(tmp.resolve("half.onnx")).file().orElseThrow();
        // Outputs 3 ... 81 are exact in float16.
        Cli.Outcome r = Cli.run("compare", reference.toString(), half.toString(), "-i", "x=" + input);
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        assertTrue(r.out().contains("candidate  " + half + " [cpu]"), r.out());
    }

    @Test
    void aModelAgainstItsEngineBundle() {
        Path bundle = tmp.resolve("built");
        Cli.Outcome built = Cli.run("build", reference.toString(), "-o", bundle.toString(), "--onnx-only");
        assertEquals(0, built.code(), built.toString());
        Cli.Outcome same = Cli.run("compare", reference.toString(), bundle.toString(), "-i", "x=" + input,
                "--atol", "0", "--rtol", "0");
        assertEquals(0, same.code(), same.toString());
    }

    @Test
    void oneModelNeedsTwoDifferentBackends() {
        Cli.Outcome same = Cli.run("compare", reference.toString(), "-i", "x=" + input);
        assertEquals(ExitCodes.USAGE, same.code(), same.toString());
        assertTrue(same.err().contains("give a second model or two different backends"), same.err());
        // CPU against TensorRT: there is no GPU here, so the TensorRT side is reported unavailable.
        Cli.Outcome gpu = Cli.run("compare", reference.toString(), "-i", "x=" + input, "--backend-b", "tensorrt");
        assertEquals(ExitCodes.BACKEND_UNAVAILABLE, gpu.code(), gpu.toString());
    }

    @Test
    void badModelsAndInputsAreExitCodeThree() throws IOException {
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Files.writeString(bundle.resolve("manifest.json"), "{}");
        Cli.Outcome b = Cli.run("compare", reference.toString(), bundle.toString(), "-i", "x=" + input);
        assertEquals(ExitCodes.MODEL_OR_INPUT, b.code(), b.toString());
        assertTrue(b.err().contains("manifest"), b.err());

        Cli.Outcome missing = Cli.run("compare", reference.toString(), close.toString());
        assertEquals(ExitCodes.MODEL_OR_INPUT, missing.code(), missing.toString());
        assertTrue(missing.err().contains("missing input [x]"), missing.err());

        Cli.Outcome nofile = Cli.run("compare", reference.toString(), close.toString(), "-i", "x=" + tmp.resolve("none.npy"));
        assertEquals(ExitCodes.MODEL_OR_INPUT, nofile.code(), nofile.toString());
        assertTrue(nofile.err().contains("none.npy"), nofile.err());

        Cli.Outcome negative = Cli.run("compare", reference.toString(), close.toString(), "-i", "x=" + input, "--atol", "-1");
        assertEquals(ExitCodes.USAGE, negative.code(), negative.toString());
    }
}

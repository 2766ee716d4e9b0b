package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.ModelException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code inspect} run through picocli exactly as a subcommand would be, output captured. */
class InspectCommandTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new InspectCommand());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        // What the javelin Main does with model errors: one line, non-zero exit.
        cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("javelin inspect: " + ex.getMessage());
            return ex instanceof ModelException ? 2 : 1;
        });
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static Path sileroVad() {
        return ModelFiles.sileroVad();
    }

    @Test
    void jsonReportOnSileroVad() throws Exception {
        Run r = run(sileroVad().toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String key : List.of("inputs", "outputs", "opsets", "ops", "tensorrt_unsupported")) {
            assertTrue(j.has(key), key);
        }
        JsonNode in = j.get("inputs");
        assertEquals(4, in.size());
        assertEquals("input", in.get(0).get("name").asText());
        assertEquals("float32", in.get(0).get("dtype").asText());
        assertEquals("[\"batch\",\"sequence\"]", in.get(0).get("shape").toString());
        assertEquals("sr", in.get(1).get("name").asText());
        assertEquals("int64", in.get(1).get("dtype").asText());
        assertEquals("[]", in.get(1).get("shape").toString());
        assertEquals("[2,\"batch\",64]", in.get(2).get("shape").toString());
        assertEquals(List.of("output", "hn", "cn"), names(j.get("outputs")));
        assertEquals(16, j.get("opsets").get("ai.onnx").asInt());
        // 250 nodes in all; If and LSTM counted across the nested branches (hand-checked, see ModelSummaryTest).
        int total = 0;
        for (JsonNode c : j.get("ops")) {
            total += c.asInt();
        }
        assertEquals(250, total);
        assertEquals(9, j.get("ops").get("If").asInt());
        assertEquals(8, j.get("ops").get("LSTM").asInt());
        assertEquals(0, j.get("tensorrt_unsupported").size());
        assertEquals(8, j.get("ir_version").asInt());
        assertEquals(1_781_160, j.get("initializer_bytes").asLong());
    }

    private static List<String> names(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.get("name").asText()));
        return out;
    }

    private Path modelWithUnsupportedOps() throws Exception {
        ModelProto m = OnnxGraphBuilder.graph("g").opset("com.microsoft", 1)
                .input("x", ElementType.FLOAT, "n")
                .initializer(Tensors.floats("bias", new long[] {1}, 0.5f))
                .node("Unique").name("uniq").inputs("x").outputs("u").add()
                .node("FastGelu").domain("com.microsoft").name("gelu").inputs("x", "bias").outputs("g").add()
                .node("Unique").name("uniq2").inputs("g").outputs("u2").add()
                .output("u", ElementType.FLOAT, "k").output("u2", ElementType.FLOAT, (Object) null)
                .buildModel();
        Path p = tmp.resolve("unsupported.onnx");
        Files.write(p, m.toByteArray());
        return p;
    }

    @Test
    void jsonListsUnsupportedOpsWithReasons() throws Exception {
        Run r = run("--json", modelWithUnsupportedOps().toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("[\"Unique\",\"com.microsoft:FastGelu\"]", j.get("tensorrt_unsupported").toString());
        JsonNode unique = j.get("tensorrt_unsupported_reasons").get("Unique");
        assertEquals(2, unique.get("count").asInt());
        assertEquals("kernel", unique.get("plan").asText());
        assertTrue(unique.get("reason").asText().contains("no importer"), unique.toString());
        assertEquals("rewrite", j.get("tensorrt_unsupported_reasons").get("com.microsoft:FastGelu").get("plan").asText());
        assertEquals("[null]", j.get("outputs").get(1).get("shape").toString());
        assertEquals(2, j.get("ops").get("Unique").asInt());
        assertEquals(4, j.get("initializer_bytes").asInt());
    }

    @Test
    void textReportIsAligned() throws Exception {
        Run r = run(sileroVad().toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = Arrays.asList(r.out().split("\n"));
        assertTrue(lines.contains("  NAME   DTYPE    SHAPE"), r.out());
        assertTrue(lines.contains("  input  float32  [batch, sequence]"), r.out());
        assertTrue(lines.contains("  sr     int64    []"), r.out());
        assertTrue(lines.contains("  h      float32  [2, batch, 64]"), r.out());
        assertTrue(lines.contains("  Conv                36"), r.out());
        assertTrue(lines.contains("IR version  8"), r.out());
        assertTrue(r.out().contains("250 in 25 op types (248 of them inside 18 subgraphs)"), r.out());
        assertTrue(r.out().contains("TensorRT 10.15: every op type can be built."), r.out());
    }

    @Test
    void textReportShowsReasonsAndPlans() throws Exception {
        Run r = run(modelWithUnsupportedOps().toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("TensorRT 10.15 cannot build 2 op type(s):"), r.out());
        String tail = r.out().substring(r.out().indexOf("cannot build"));
        String uniqueLine = Arrays.stream(tail.split("\n")).filter(l -> l.startsWith("  Unique ")).findFirst().orElseThrow();
        assertTrue(uniqueLine.matches("  Unique\\s+2\\s+kernel\\s+TensorRT's ONNX parser has no importer.*"), uniqueLine);
    }

    /**
     * Per unsupported op, what the builder will do: Unique of the input -> Javelin kernel, FastGelu -> rewrite with its
     * tolerance, Unique of the FastGelu output -> kernel; afterwards only the kernel op remains.
     */
    @Test
    void jsonAndTextSayWhatTheBuilderWillDo() throws Exception {
        Path model = modelWithUnsupportedOps();
        JsonNode j = new ObjectMapper().readTree(run("--json", model.toString()).out());
        assertEquals("[\"Unique\",\"com.microsoft:FastGelu\"]", j.get("tensorrt_unsupported").toString(), "existing keys stay");
        JsonNode l = j.get("legalization");
        assertEquals("rewrite", l.get("prefer").asText());
        assertEquals(false, l.get("fully_buildable").asBoolean());
        assertEquals(2, l.get("ops").get("Unique").get("kernel").asInt());
        assertEquals(1, l.get("ops").get("com.microsoft:FastGelu").get("rewrite").asInt());
        JsonNode gelu = l.get("decisions").get(1);
        assertEquals("gelu", gelu.get("node").asText());
        assertEquals(1e-6, gelu.get("tolerance").get("atol").asDouble());
        assertEquals("[{\"op\":\"Unique\",\"count\":2,\"handling\":\"kernel\",\"reason\":\"TensorRT's ONNX parser has no "
                + "importer for this op (output shape depends on the data)\"}]", l.get("remaining").toString());

        String text = run(model.toString()).out();
        assertTrue(text.contains("What the builder will do (prefer rewrite):"), text);
        String geluLine = Arrays.stream(text.split("\n")).filter(x -> x.startsWith("  com.microsoft:FastGelu ")).reduce((a, b) -> b)
                .orElseThrow();
        assertTrue(geluLine.matches("  com\\.microsoft:FastGelu\\s+1\\s+rewrite\\s+Add bias, then tanh approximation.*"
                + "\\[tolerance: atol 1.0E-6, rtol 1.0E-5: .*\\]"), geluLine);
        assertTrue(text.contains("After legalization TensorRT 10.15 still cannot build: Unique x2 (kernel)"), text);
    }

    /** --prefer kernels: the dynamic-quantization ops stay for the Javelin kernels instead of being rewritten. */
    @Test
    void preferKernelsChangesThePlan() throws Exception {
        ModelProto m = OnnxGraphBuilder.graph("g").input("x", ElementType.FLOAT, 2, 4).output("y", ElementType.FLOAT, 2, 3)
                .initializer(Tensors.raw("w", ElementType.INT8, new long[] {4, 3}, new byte[] {1, -2, 3, 4, 5, -6, 7, 8, 9, 10, -11, 12}))
                .initializer(Tensors.floats("ws", new long[0], 0.5f))
                .node("DynamicQuantizeLinear").inputs("x").outputs("q", "s", "z").add()
                .node("MatMulInteger").inputs("q", "w", "z").outputs("acc").add()
                .node("Cast").inputs("acc").outputs("accf").attr("to", 1L).add()
                .node("Mul").inputs("s", "ws").outputs("sw").add()
                .node("Mul").inputs("accf", "sw").outputs("y").add()
                .buildModel();
        Path p = tmp.resolve("dq.onnx");
        Files.write(p, m.toByteArray());
        JsonNode rewrite = new ObjectMapper().readTree(run("--json", p.toString()).out()).get("legalization");
        assertEquals(true, rewrite.get("fully_buildable").asBoolean());
        assertEquals(1, rewrite.get("ops").get("MatMulInteger").get("rewrite").asInt());
        JsonNode kernels = new ObjectMapper().readTree(run("--json", "--prefer", "KERNELS", p.toString()).out()).get("legalization");
        assertEquals("kernels", kernels.get("prefer").asText());
        assertEquals(1, kernels.get("ops").get("MatMulInteger").get("kernel").asInt());
        assertEquals(1, kernels.get("ops").get("DynamicQuantizeLinear").get("kernel").asInt());
        Run bad = run("--prefer", "speed", p.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("expected rewrite or kernels"), bad.err());
    }

    @Test
    void olderTensorRtVersionFlagsMoreOps() throws Exception {
        ModelProto m = OnnxGraphBuilder.graph("g").opset("", 17)
                .input("n", ElementType.INT64)
                .node("HannWindow").name("w").inputs("n").outputs("y").add()
                .output("y", ElementType.FLOAT, (Object) null).buildModel();
        Path p = tmp.resolve("window.onnx");
        Files.write(p, m.toByteArray());
        JsonNode now = new ObjectMapper().readTree(run("--json", p.toString()).out());
        assertEquals(0, now.get("tensorrt_unsupported").size());
        JsonNode jetpack6 = new ObjectMapper().readTree(run("--json", "--tensorrt-version", "10.3", p.toString()).out());
        assertEquals("[\"HannWindow\"]", jetpack6.get("tensorrt_unsupported").toString());
        assertEquals("10.3", jetpack6.get("tensorrt_version").asText());
        Run bad = run("--tensorrt-version", "x", p.toString());
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().contains("not MAJOR.MINOR"), bad.err());
    }

    @Test
    void badFilesFailWithOneClearLine() throws Exception {
        Path missing = tmp.resolve("missing.onnx");
        Run r = run(missing.toString());
        assertEquals(2, r.exit());
        assertEquals("javelin inspect: model file " + missing + " does not exist", r.err().strip());

        Path empty = Files.createFile(tmp.resolve("empty.onnx"));
        Run e = run(empty.toString(), "--json");
        assertEquals(2, e.exit());
        assertTrue(e.err().contains("empty (0 bytes)") && e.out().isEmpty(), e.err());

        Run dir = run(tmp.toString());
        assertEquals(2, dir.exit());
        assertTrue(dir.err().contains("is a directory"), dir.err());

        ModelProto dangling = OnnxGraphBuilder.graph("g").input("x", ElementType.FLOAT, 1)
                .node("Add").name("adder").inputs("x", "nope").outputs("y").add()
                .output("y", ElementType.FLOAT, 1).buildModel();
        Path d = tmp.resolve("dangling.onnx");
        Files.write(d, dangling.toByteArray());
        Run dr = run(d.toString());
        assertEquals(2, dr.exit());
        assertTrue(dr.err().contains("node 'adder' (Add) reads tensor 'nope'"), dr.err());

        ModelProto noAxis = OnnxGraphBuilder.graph("g").input("x", ElementType.FLOAT, 1)
                .node("Concat").name("joiner").inputs("x", "x").outputs("y").add()
                .output("y", ElementType.FLOAT, 2).buildModel();
        Path na = tmp.resolve("no-axis.onnx");
        Files.write(na, noAxis.toByteArray());
        Run nr = run(na.toString());
        assertEquals(2, nr.exit());
        assertTrue(nr.err().contains("node 'joiner' (Concat) has no attribute 'axis'"), nr.err());
    }

    @Test
    void usageErrorsAndHelp() {
        Run none = run();
        assertEquals(2, none.exit()); // picocli's usage-error code
        assertTrue(none.err().contains("Missing required parameter: 'MODEL'"), none.err());
        Run help = run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("Usage: inspect") && help.out().contains("--json"), help.out());
    }
}

package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.io.Npy;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxGraphBuilder;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.partition.PartitionOptions;
import dev.javelin.builder.partition.Partitioner;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code javelin run --backend cpu --emulate-plan}, a plan folder as MODEL, and the option errors. */
class EmulatePlanCommandTest {
    @TempDir
    Path dir;
    Path model;
    Path input;

    @BeforeEach
    void setUp() throws Exception {
        model = dir.resolve("u.onnx");
        OnnxModel.of(OnnxGraphBuilder.graph("u")
                .input("x", ElementType.FLOAT, "n")
                .initializer(Tensors.floats("k", new long[0], 3f))
                .node("Mul").name("pre").inputs("x", "k").outputs("xk").add()
                .node("Floor").name("floor").inputs("xk").outputs("xf").add()
                .node("Unique").name("u").inputs("xf").outputs("y", "", "", "cnt").add()
                .node("Neg").name("post").inputs("y").outputs("ny").add()
                .output("ny", ElementType.FLOAT, "U")
                .output("cnt", ElementType.INT64, "U")
                .buildModel(), null).write(model);
        float[] v = new float[60];
        Random r = new Random(11);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat() * 4 - 2;
        }
        input = dir.resolve("x.npy");
        try (Tensor t = Tensor.of(v, Shape.of(60))) {
            Npy.write(input, t);
        }
    }

    private void assertSameFiles(Path a, Path b, String name) throws Exception {
        try (Tensor ta = Npy.read(a.resolve(name)); Tensor tb = Npy.read(b.resolve(name))) {
            assertEquals(ta.shape(), tb.shape(), name);
            assertArrayEquals(ta.toByteArray(), tb.toByteArray(), name);
        }
    }

    @Test
    void emulatedPlanGivesTheWholeModelsOutputsAndPrintsThePlan() throws Exception {
        Cli.Outcome whole = Cli.run("run", model.toString(), "-b", "cpu", "-n", "0", "-i", "x=" + input, "-o", dir.resolve("whole").toString());
        assertEquals(0, whole.code(), whole.toString());
        Cli.Outcome plan = Cli.run("run", model.toString(), "-b", "cpu", "--emulate-plan", "-n", "1", "-i", "x=" + input,
                "-o", dir.resolve("plan").toString());
        assertEquals(0, plan.code(), plan.toString());
        assertTrue(plan.out().contains("plan     1: kernel-0 kernel Unique 'u' [xf] -> [y, cnt]"), plan.out());
        assertTrue(plan.out().contains("partition plan emulated on the CPU"), plan.out());
        assertTrue(plan.out().matches("(?s).*plan     arena \\d+ B planned vs \\d+ B naive.*"), plan.out());
        assertSameFiles(dir.resolve("whole"), dir.resolve("plan"), "ny.npy");
        assertSameFiles(dir.resolve("whole"), dir.resolve("plan"), "cnt.npy");
    }

    @Test
    void aWrittenPlanFolderRunsAsTheModel() throws Exception {
        Path planDir = dir.resolve("planned");
        Partitioner.partition(OnnxModel.load(model), PartitionOptions.defaults()).write(planDir);
        Cli.Outcome r = Cli.run("run", planDir.toString(), "-b", "cpu", "-n", "0", "-i", "x=" + input, "-o", dir.resolve("p").toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("no arena: no upper bound"), "unbounded n: no arena\n" + r.out());
        Cli.Outcome whole = Cli.run("run", model.toString(), "-b", "cpu", "-n", "0", "-i", "x=" + input, "-o", dir.resolve("w").toString());
        assertEquals(0, whole.code(), whole.toString());
        assertSameFiles(dir.resolve("w"), dir.resolve("p"), "ny.npy");
        assertTrue(Files.exists(planDir.resolve("segment-0.onnx")));
    }

    @Test
    void optionMisuseIsAUsageError() {
        Cli.Outcome gpu = Cli.run("run", model.toString(), "-b", "tensorrt", "--emulate-plan", "-i", "x=" + input);
        assertEquals(ExitCodes.USAGE, gpu.code(), gpu.toString());
        assertTrue(gpu.err().contains("--emulate-plan runs the plan on the CPU"), gpu.err());
        Cli.Outcome prefer = Cli.run("run", model.toString(), "-b", "cpu", "--prefer", "rewrite", "-i", "x=" + input);
        assertEquals(ExitCodes.USAGE, prefer.code(), prefer.toString());
        Cli.Outcome bad = Cli.run("run", model.toString(), "-b", "cpu", "--emulate-plan", "--prefer", "sometimes", "-i", "x=" + input);
        assertEquals(ExitCodes.USAGE, bad.code(), bad.toString());
        assertTrue(bad.err().contains("expected rewrite or kernels"), bad.err());
    }

    @Test
    void benchRunsTheEmulatedPlan() {
        Cli.Outcome r = Cli.run("bench", model.toString(), "-b", "cpu", "--emulate-plan", "-i", "x=" + input, "--iterations", "3",
                "--warmup", "0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("partition plan emulated on the CPU") && r.out().contains("3 executions for 3 requests"), r.out());
    }
}

package dev.javelin.builder.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.plan.PartitionPlan;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a model whole on ONNX Runtime CPU (the reference) and as its partition plan emulated on the CPU, and compares
 * the outputs: integer tensors bit for bit, float tensors within a tolerance the caller states.
 */
final class PlanHarness {
    static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();

    private PlanHarness() {
    }

    /** Writes the model as {@code name.onnx} in {@code dir}. */
    static Path write(Path dir, String name, ModelProto model) {
        Path p = dir.resolve(name + ".onnx");
        OnnxModel.of(model, null).write(p);
        return p;
    }

    /** Partitions {@code model} with the inputs' shapes as bounds and writes the plan into {@code dir/plan}. */
    static Partition partition(Path model, Map<String, Tensor> inputs, PartitionOptions options, Path dir) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        inputs.forEach((n, t) -> shapes.put(n, t.shape().dims()));
        Partition p = Partitioner.partition(OnnxModel.load(model), options.withInputShapes(shapes));
        p.write(dir.resolve("plan"));
        return p;
    }

    /** Outputs of the whole model on ONNX Runtime CPU; the caller closes them. */
    static Result whole(Path model, Map<String, Tensor> inputs) {
        try (Session s = Session.open(model, CPU)) {
            return s.run(inputs);
        }
    }

    /** Outputs of the plan in {@code dir/plan}, emulated; the caller closes them. */
    static Result emulated(Path dir, Map<String, Tensor> inputs) {
        try (Session s = Session.openPlan(dir.resolve("plan"), CPU)) {
            assertEquals(BackendKind.CPU, s.backend());
            assertEquals(PartitionPlan.FILE_NAME, s.model().getFileName().toString());
            return s.run(inputs);
        }
    }

    /**
     * Asserts the two results have the same outputs (names, order, dtypes, shapes) and values: integers and bools exact,
     * floats within {@code atol + rtol * |expected|} (exact when both are 0).
     */
    static void assertSame(Result expected, Result actual, double rtol, double atol) {
        assertEquals(expected.asMap().keySet().stream().toList(), actual.asMap().keySet().stream().toList(), "output names");
        for (String name : expected.asMap().keySet()) {
            Tensor e = expected.get(name);
            Tensor a = actual.get(name);
            assertEquals(e.dtype(), a.dtype(), "dtype of " + name);
            assertEquals(e.shape(), a.shape(), "shape of " + name);
            if (e.dtype() == DType.FLOAT32 || e.dtype() == DType.FLOAT16) {
                float[] ev = e.toFloatArray();
                float[] av = a.toFloatArray();
                for (int i = 0; i < ev.length; i++) {
                    if (Float.isNaN(ev[i])) {
                        assertTrue(Float.isNaN(av[i]), name + "[" + i + "]: expected NaN, got " + av[i]);
                        continue;
                    }
                    double tol = atol + rtol * Math.abs(ev[i]);
                    assertTrue(Math.abs(ev[i] - av[i]) <= tol, name + "[" + i + "]: expected " + ev[i] + ", got " + av[i]
                            + " (tolerance " + tol + ")");
                }
            } else {
                assertArrayEquals(e.toByteArray(), a.toByteArray(), name + " must be bit-identical");
            }
        }
    }

    /** Max |a - b| / max |a| over float outputs named {@code name}. */
    static double relativeError(Result expected, Result actual, String name) {
        float[] e = expected.get(name).toFloatArray();
        float[] a = actual.get(name).toFloatArray();
        double max = 0;
        double err = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i]));
            err = Math.max(err, Math.abs(e[i] - a[i]));
        }
        return max == 0 ? err : err / max;
    }

    static Tensor floats(Shape shape, java.util.Random r, float scale) {
        float[] v = new float[Math.toIntExact(shape.elementCount())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (r.nextFloat() * 2 - 1) * scale;
        }
        return Tensor.of(v, shape);
    }
}

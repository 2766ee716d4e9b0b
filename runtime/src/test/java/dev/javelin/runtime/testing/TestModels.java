package dev.javelin.runtime.testing;

import java.nio.file.Path;
import java.util.List;

/** Small ONNX models generated for the tests with {@link OnnxWriter}; each is written into {@code dir}. */
public final class TestModels {
    private TestModels() {
    }

    /** {@code c = a + b}, all float32 [1, 16]. */
    public static Path add(Path dir) {
        return new OnnxWriter()
                .input("a", OnnxWriter.FLOAT, 1L, 16L).input("b", OnnxWriter.FLOAT, 1L, 16L)
                .output("c", OnnxWriter.FLOAT, 1L, 16L)
                .node("Add", List.of("a", "b"), List.of("c"))
                .write(dir.resolve("add.onnx"));
    }

    /** {@code c = a + b}, float32 [batch, 16] with a symbolic batch dimension. */
    public static Path addBatch(Path dir) {
        return new OnnxWriter()
                .input("a", OnnxWriter.FLOAT, "batch", 16L).input("b", OnnxWriter.FLOAT, "batch", 16L)
                .output("c", OnnxWriter.FLOAT, "batch", 16L)
                .node("Add", List.of("a", "b"), List.of("c"))
                .write(dir.resolve("add_batch.onnx"));
    }

    /** Weights of {@link #matMulRelu}: W[k][n] = ((k * 7 + n * 3) % 11 - 5) / 8, bias[n] = (n - 1) / 4. */
    public static float weight(int k, int n) {
        return ((k * 7 + n * 3) % 11 - 5) / 8f;
    }

    /** Bias of {@link #matMulRelu}. */
    public static float bias(int n) {
        return (n - 1) / 4f;
    }

    /** {@code y = Relu(x @ W + bias)} with x float32 [batch, k], W [k, n] and bias [n] as initializers. */
    public static Path matMulRelu(Path dir, int k, int n) {
        float[] w = new float[k * n];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                w[i * n + j] = weight(i, j);
            }
        }
        float[] b = new float[n];
        for (int j = 0; j < n; j++) {
            b[j] = bias(j);
        }
        return new OnnxWriter()
                .input("x", OnnxWriter.FLOAT, "batch", (long) k)
                .output("y", OnnxWriter.FLOAT, "batch", (long) n)
                .initializer("W", w, k, n)
                .initializer("B", b, n)
                .node("MatMul", List.of("x", "W"), List.of("xw"))
                .node("Add", List.of("xw", "B"), List.of("xwb"))
                .node("Relu", List.of("xwb"), List.of("y"))
                .write(dir.resolve("matmul_relu_" + k + "x" + n + ".onnx"));
    }

    /** {@code y = x * x + x}, int64 [2, 3]. */
    public static Path int64(Path dir) {
        return new OnnxWriter()
                .input("x", OnnxWriter.INT64, 2L, 3L)
                .output("y", OnnxWriter.INT64, 2L, 3L)
                .node("Mul", List.of("x", "x"), List.of("xx"))
                .node("Add", List.of("xx", "x"), List.of("y"))
                .write(dir.resolve("int64.onnx"));
    }

    /** {@code c = a + b}, float16 [4]. */
    public static Path float16(Path dir) {
        return new OnnxWriter()
                .input("a", OnnxWriter.FLOAT16, 4L).input("b", OnnxWriter.FLOAT16, 4L)
                .output("c", OnnxWriter.FLOAT16, 4L)
                .node("Add", List.of("a", "b"), List.of("c"))
                .write(dir.resolve("float16.onnx"));
    }

    /** {@code y = NonZero(x)}, x float32 [8]: y is int64 [1, n] with n known only after running. */
    public static Path nonZero(Path dir) {
        return new OnnxWriter()
                .input("x", OnnxWriter.FLOAT, 8L)
                .output("y", OnnxWriter.INT64, 1L, "nonzero")
                .node("NonZero", List.of("x"), List.of("y"))
                .write(dir.resolve("nonzero.onnx"));
    }

    /** {@code y = x + x} over float64 [2]: a valid model whose dtype Javelin does not carry. */
    public static Path float64(Path dir) {
        return new OnnxWriter()
                .input("x", 11, 2L)
                .output("y", 11, 2L)
                .node("Add", List.of("x", "x"), List.of("y"))
                .write(dir.resolve("float64.onnx"));
    }

    /** {@code y = Relu(x)}, x float32 [4], with {@code x} also listed as a graph output (a pass-through output). */
    public static Path inputAlsoOutput(Path dir) {
        return new OnnxWriter()
                .input("x", OnnxWriter.FLOAT, 4L)
                .output("y", OnnxWriter.FLOAT, 4L)
                .output("x", OnnxWriter.FLOAT, 4L)
                .node("Relu", List.of("x"), List.of("y"))
                .write(dir.resolve("passthrough.onnx"));
    }

    /** A model calling an operator that does not exist. */
    public static Path unknownOp(Path dir) {
        return new OnnxWriter()
                .input("x", OnnxWriter.FLOAT, 2L)
                .output("y", OnnxWriter.FLOAT, 2L)
                .node("NoSuchOperator", List.of("x"), List.of("y"))
                .write(dir.resolve("unknown_op.onnx"));
    }
}

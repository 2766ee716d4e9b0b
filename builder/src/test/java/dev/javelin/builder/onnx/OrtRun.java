package dev.javelin.builder.onnx;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test reference: runs a model through Javelin's public runtime API ({@link Session}, ONNX Runtime CPU, default
 * graph optimizations, one thread) — a different path from the toolkit's own {@link OrtCpu} — and returns each
 * output's raw little-endian bytes.
 */
public final class OrtRun {
    private static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private OrtRun() {
    }

    /** Writes {@code model} into {@code dir} and runs it; inputs are borrowed. */
    public static Map<String, byte[]> raw(OnnxModel model, Path dir, Map<String, Tensor> inputs) {
        Path file = dir.resolve("model-" + COUNTER.incrementAndGet() + ".onnx");
        model.write(file);
        try (Session s = Session.open(file, CPU); Result r = s.run(inputs)) {
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : r.asMap().entrySet()) {
                out.put(e.getKey(), e.getValue().toByteArray());
            }
            return out;
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Like {@link #raw} but every output is read as float32. */
    public static Map<String, float[]> floats(OnnxModel model, Path dir, Map<String, Tensor> inputs) {
        Map<String, float[]> out = new LinkedHashMap<>();
        raw(model, dir, inputs).forEach((k, v) -> out.put(k, toFloats(v)));
        return out;
    }

    public static float[] toFloats(byte[] raw) {
        float[] f = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    /** Deterministic values in [lo, hi). */
    public static float[] uniform(long seed, int n, float lo, float hi) {
        float[] v = new float[n];
        long s = seed;
        for (int i = 0; i < n; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            v[i] = lo + (hi - lo) * ((s >>> 40) / (float) (1L << 24));
        }
        return v;
    }

    /** Largest |a - b|. */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }
}

package dev.javelin.runtime.trt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendSelector;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.spi.Availability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TensorRT on a real GPU (skipped with the reason elsewhere): Silero VAD through TensorRT against the
 * ONNX Runtime CPU backend, the lane path against {@code run(Map)}, and the engine cache.
 */
class TensorRtGpuTest {
    private static final Path SILERO = Path.of(System.getProperty("javelin.models.dir", "../.models"), "silero_vad.onnx");
    /** TensorRT may run float32 matrix products in TF32 (10-bit mantissa) on Ampere and newer. */
    private static final float TOLERANCE = 2e-3f;

    /** Called first by each test so the skip and its reason show up per test. */
    private static void needsAGpu() {
        Availability a = new TensorRtBackend().availability(SessionOptions.defaults());
        Assumptions.assumeTrue(a.usable(), "TensorRT is not usable here: " + a.detail());
        Assumptions.assumeTrue(Files.isRegularFile(SILERO), "model missing: run scripts/fetch-models.sh");
    }

    private static Map<String, Tensor> frame(float phase) {
        float[] x = new float[512];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / 16000.0 + phase));
        }
        return Map.of("input", Tensor.of(x, Shape.of(1, 512)),
                "sr", Tensor.of(new long[] {16000}, Shape.scalar()),
                "h", Tensor.of(new float[128], Shape.of(2, 1, 64)),
                "c", Tensor.of(new float[128], Shape.of(2, 1, 64)));
    }

    @Test
    void matchesTheCpuBackendAndTheLanePath(@TempDir Path cache) {
        needsAGpu();
        boolean cpu = BackendSelector.survey(SessionOptions.defaults()).stream()
                .anyMatch(c -> c.backend().kind() == BackendKind.CPU && c.availability().usable());
        Assumptions.assumeTrue(cpu, "the ONNX Runtime CPU backend is the reference and is not on the class path");
        SessionOptions trtOptions = SessionOptions.builder().backend(BackendKind.TENSORRT).engineCacheDir(cache).build();
        Map<String, Tensor> in = frame(0.3f);
        try (Session trt = Session.open(SILERO, trtOptions);
             Session ref = Session.open(SILERO, SessionOptions.builder().backend(BackendKind.CPU).build());
             Result a = trt.run(in);
             Result b = ref.run(in)) {
            for (String out : ref.signature().outputNames()) {
                float[] x = a.get(out).toFloatArray();
                float[] y = b.get(out).toFloatArray();
                assertEquals(y.length, x.length, out);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(y[i], x[i], TOLERANCE, out + "[" + i + "]");
                }
            }
            try (Lane lane = trt.newLane(Map.of("input", Shape.of(1, 512), "sr", Shape.scalar(),
                    "h", Shape.of(2, 1, 64), "c", Shape.of(2, 1, 64)))) {
                for (Map.Entry<String, Tensor> e : in.entrySet()) {
                    lane.input(e.getKey()).buffer().put(e.getValue().buffer());
                }
                lane.run();
                assertArrayEquals(a.get("output").toFloatArray(), lane.output("output").toFloatArray(), 0f,
                        "same engine, same inputs: the same bits");
            }
            InvalidInputException tooLong = assertThrows(InvalidInputException.class, () -> trt.run(Map.of(
                    "input", Tensor.of(new float[4096], Shape.of(1, 4096)), "sr", in.get("sr"), "h", in.get("h"), "c", in.get("c"))));
            assertEquals("input", tooLong.tensor());
        }
        try (Session again = Session.open(SILERO, trtOptions)) {
            assertTrue(again.description().contains("cached engine"), again.description());
        }
    }
}

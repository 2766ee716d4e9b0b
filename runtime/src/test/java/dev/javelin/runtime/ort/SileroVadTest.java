package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.RealModels;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Silero VAD v4 (a real trained, stateful model) streamed frame by frame with its LSTM state carried
 * over, on a deterministic synthetic signal. Reference: the official ONNX Runtime Node.js binding
 * (onnxruntime-node 1.30.0) on the same model and signal, stored in {@code golden/silero_vad_synthetic.json}
 * with the script that produced it. Tolerance: fp32 atol = rtol = 1e-5 on probabilities and final state
 * (a different ONNX Runtime version may pick other kernels). The lane path and the run(Map) path run the
 * same binary and must agree bit for bit.
 */
class SileroVadTest {
    static final double TOL = 1e-5;
    static final int FRAMES = 16;
    static final int N = 512;
    static JsonNode golden;
    static Path model;

    @BeforeAll
    static void load() throws Exception {
        model = RealModels.path("silero_vad.onnx");
        assumeTrue(Files.isRegularFile(model), "Silero VAD not fetched (run scripts/fetch-models.sh): " + model);
        try (InputStream in = SileroVadTest.class.getResourceAsStream("/golden/silero_vad_synthetic.json")) {
            golden = new ObjectMapper().readTree(in);
        }
    }

    /** The same signal as the golden script: MINSTD LCG noise plus triangle waves in frames 5-11, exact arithmetic. */
    static float[] signal() {
        float[] out = new float[FRAMES * N];
        long seed = 12345;
        for (int i = 0; i < out.length; i++) {
            seed = (seed * 48271L) % 2147483647L;
            double noise = (seed / 2147483647.0 - 0.5) * 0.02;
            int frame = i / N;
            double v = noise;
            if (frame >= 5 && frame < 12) {
                int period = 40 + 4 * (frame - 5);
                double ph = (double) (i % period) / period;
                double tri = ph < 0.5 ? 4 * ph - 1 : 3 - 4 * ph;
                v += 0.6 * tri;
            }
            out[i] = (float) v;
        }
        return out;
    }

    static void assertClose(double expected, double actual, String what) {
        assertTrue(Math.abs(expected - actual) <= TOL + TOL * Math.abs(expected), what + ": expected " + expected + " got " + actual);
    }

    @Test
    void signalMatchesTheGoldenScript() {
        float[] x = signal();
        for (int i = 0; i < 8; i++) {
            assertEquals(Float.parseFloat(golden.get("first8").get(i).asText()), x[i], 0f, "sample " + i);
        }
    }

    @Test
    void streamingMatchesReferenceAndLaneMatchesRunBitForBit() {
        float[] x = signal();
        float[] probsRun = new float[FRAMES];
        float[] probsLane = new float[FRAMES];
        float[] hRun;
        float[] cRun;
        SessionOptions opts = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();
        try (Session s = Session.open(model, opts)) {
            // run(Map) path: state tensors replaced by the outputs each frame.
            Tensor h = Tensor.allocate(dev.javelin.runtime.DType.FLOAT32, Shape.of(2, 1, 64));
            Tensor c = Tensor.allocate(dev.javelin.runtime.DType.FLOAT32, Shape.of(2, 1, 64));
            try (Tensor sr = Tensor.of(new long[] {16000}, Shape.scalar())) {
                for (int f = 0; f < FRAMES; f++) {
                    float[] frame = java.util.Arrays.copyOfRange(x, f * N, (f + 1) * N);
                    try (Tensor in = Tensor.of(frame, Shape.of(1, N))) {
                        Result r = s.run(Map.of("input", in, "sr", sr, "h", h, "c", c));
                        probsRun[f] = r.get("output").toFloatArray()[0];
                        h.close();
                        c.close();
                        h = r.take("hn");
                        c = r.take("cn");
                        r.close();
                    }
                }
                hRun = h.toFloatArray();
                cRun = c.toFloatArray();
            } finally {
                h.close();
                c.close();
            }
            // Lane path: inputs bound once; state copied from the bound outputs into the bound inputs.
            try (Lane lane = s.newLane(Map.of("input", Shape.of(1, N), "sr", Shape.scalar(),
                    "h", Shape.of(2, 1, 64), "c", Shape.of(2, 1, 64)))) {
                lane.input("sr").buffer().putLong(0, 16000);
                for (int f = 0; f < FRAMES; f++) {
                    lane.input("input").buffer().asFloatBuffer().put(x, f * N, N);
                    lane.run();
                    probsLane[f] = lane.output("output").toFloatArray()[0];
                    lane.input("h").buffer().put(lane.output("hn").buffer());
                    lane.input("c").buffer().put(lane.output("cn").buffer());
                }
                assertArrayEquals(hRun, lane.output("hn").toFloatArray(), "final h: lane == run(Map)");
                assertArrayEquals(cRun, lane.output("cn").toFloatArray(), "final c: lane == run(Map)");
            }
        }
        assertArrayEquals(probsRun, probsLane, "per-frame probabilities: lane == run(Map) bit for bit");
        for (int f = 0; f < FRAMES; f++) {
            assertClose(Double.parseDouble(golden.get("probs").get(f).asText()), probsRun[f], "probability of frame " + f);
        }
        for (int i = 0; i < 128; i++) {
            assertClose(Double.parseDouble(golden.get("hn").get(i).asText()), hRun[i], "hn[" + i + "]");
            assertClose(Double.parseDouble(golden.get("cn").get(i).asText()), cRun[i], "cn[" + i + "]");
        }
        assertTrue(probsRun[2] < 0.5 && probsRun[8] > 0.9, "noise is not speech, the voiced frames are");
    }
}

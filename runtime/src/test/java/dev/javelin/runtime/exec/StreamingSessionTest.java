package dev.javelin.runtime.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.RealModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Silero VAD v4 streamed by {@link StreamingSession} against a hand-written loop over {@link Session#run}
 * that feeds hn/cn back as h/c through fresh tensors: same binary, same inputs, so bit for bit.
 */
class StreamingSessionTest {
    static final int N = 512;
    static Path model;

    @BeforeAll
    static void find() {
        model = RealModels.path("silero_vad.onnx");
        assumeTrue(Files.isRegularFile(model), "Silero VAD not fetched (run scripts/fetch-models.sh): " + model);
    }

    static float[] frames(int count, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[count * N];
        for (int i = 0; i < x.length; i++) {
            int f = i / N;
            double tone = (f % 7 >= 3) ? 0.5 * Math.sin(i * 2 * Math.PI * (200 + 40 * (f % 5)) / 16000.0) : 0;
            x[i] = (float) (tone + (rnd.nextFloat() - 0.5) * 0.02);
        }
        return x;
    }

    /** The reference: run(Map) each frame, state carried through new tensors. Returns probs then final h, c. */
    static float[][] manual(Session s, float[] x, int count) {
        float[] probs = new float[count];
        float[] h = new float[2 * 64];
        float[] c = new float[2 * 64];
        try (Tensor sr = Tensor.of(new long[] {16000}, Shape.scalar())) {
            for (int f = 0; f < count; f++) {
                float[] frame = java.util.Arrays.copyOfRange(x, f * N, (f + 1) * N);
                try (Tensor in = Tensor.of(frame, Shape.of(1, N)); Tensor th = Tensor.of(h, Shape.of(2, 1, 64));
                     Tensor tc = Tensor.of(c, Shape.of(2, 1, 64));
                     Result r = s.run(Map.of("input", in, "sr", sr, "h", th, "c", tc))) {
                    probs[f] = r.get("output").toFloatArray()[0];
                    h = r.get("hn").toFloatArray();
                    c = r.get("cn").toFloatArray();
                }
            }
        }
        return new float[][] {probs, h, c};
    }

    static StreamingSession open(Session s, boolean infer) {
        try (Tensor sr = Tensor.of(new long[] {16000}, Shape.scalar())) {
            StreamingSession.Builder b = StreamingSession.builder(s).frame("input", Shape.of(1, N)).constant("sr", sr);
            if (infer) {
                b.inferStates();
            } else {
                b.state("hn", "h").state("cn", "c");
            }
            return b.open();
        }
    }

    @Test
    void stateCarriedByStreamingSessionEqualsManualLoopBitForBit() {
        int count = 60;
        float[] x = frames(count, 11);
        try (Session s = Session.open(model, SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build())) {
            float[][] ref = manual(s, x, count);
            try (StreamingSession vad = open(s, true)) {
                assertEquals(Map.of("hn", "h", "cn", "c"), vad.statePairs());
                assertTrue(vad.report().get(0).startsWith("hn -> h (inferred: name 'hn' extends 'h'"), vad.report().toString());
                // The runtime alone has no graph rewriter (the builder module provides it): the stream says so.
                assertTrue(vad.report().contains("not specialized: no graph rewriter on the class path (the builder module"
                        + " provides it)"), vad.report().toString());
                assertTrue(vad.pingPong(), "ORT lanes bind caller memory: state ping-pongs");
                float[] probs = new float[count];
                for (int f = 0; f < count; f++) {
                    probs[f] = vad.step(java.util.Arrays.copyOfRange(x, f * N, (f + 1) * N)).get("output").toFloatArray()[0];
                }
                assertArrayEquals(ref[0], probs, 0f);
                assertArrayEquals(ref[1], vad.state("h").toFloatArray(), 0f);
                assertArrayEquals(ref[2], vad.state("c").toFloatArray(), 0f);
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (float p : probs) {
                    min = Math.min(min, p);
                    max = Math.max(max, p);
                }
                assertTrue(max - min > 0.05f, "the signal moves the probability, so the state matters: " + min + ".." + max);

                vad.reset();
                assertEquals(0, vad.steps());
                assertArrayEquals(new float[128], vad.state("h").toFloatArray(), 0f);
                for (int f = 0; f < 10; f++) {
                    assertEquals(ref[0][f], vad.step(java.util.Arrays.copyOfRange(x, f * N, (f + 1) * N))
                            .get("output").toFloatArray()[0], 0f, "after reset, frame " + f);
                }
            }
        }
    }

    @Test
    void independentStreamsShareOneSession() {
        int count = 24;
        float[] x1 = frames(count, 1);
        float[] x2 = frames(count, 2);
        try (Session s = Session.open(model, SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build())) {
            float[][] r1 = manual(s, x1, count);
            float[][] r2 = manual(s, x2, count);
            try (StreamingSession a = open(s, false); StreamingSession b = open(s, false)) {
                for (int f = 0; f < count; f++) { // interleaved: each keeps its own state
                    assertEquals(r1[0][f], a.step(java.util.Arrays.copyOfRange(x1, f * N, (f + 1) * N))
                            .get("output").toFloatArray()[0], 0f);
                    assertEquals(r2[0][f], b.step(java.util.Arrays.copyOfRange(x2, f * N, (f + 1) * N))
                            .get("output").toFloatArray()[0], 0f);
                }
            }
        }
    }

    @Test
    void unexplainedInputsAndBadFramesAreNamed() {
        try (Session s = Session.open(model, SessionOptions.builder().backend(BackendKind.CPU).build())) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> StreamingSession.builder(s).frame("input", Shape.of(1, N)).state("hn", "h").open());
            assertTrue(e.getMessage().contains("'sr'") || e.getMessage().contains("'c'"), e.getMessage());
            try (StreamingSession vad = open(s, false); Tensor wrong = Tensor.of(new float[256], Shape.of(1, 256))) {
                InvalidInputException bad = assertThrows(InvalidInputException.class, () -> vad.step(wrong));
                assertTrue(bad.getMessage().contains("frame for 'input' must be float32[1, 512]"), bad.getMessage());
            }
        }
    }

    @Test
    void stateNamesAreMatchedByCommonConventions() {
        for (List<String> p : List.of(List.of("hn", "h"), List.of("stateN", "state"), List.of("state_out", "state_in"),
                List.of("present.0.key", "past.0.key"), List.of("h_new", "h"), List.of("next_c", "c"))) {
            assertTrue(StreamingSession.nameMatch(p.get(0), p.get(1)), p.toString());
        }
        assertTrue(!StreamingSession.nameMatch("output", "input") && !StreamingSession.nameMatch("h", "h"));
    }
}

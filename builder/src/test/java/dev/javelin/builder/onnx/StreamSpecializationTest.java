package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.exec.StreamingSession;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link StreamingSession} over Silero VAD specializes the model on its constant ({@code sr}) and fixed shapes
 * through the builder's {@link SpecializedModels} service, and the stream's outputs and states stay the same bits
 * as an unspecialized stream's, frame after frame.
 */
class StreamSpecializationTest {
    private static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();

    @TempDir
    Path cache;

    @Test
    void vadStreamRunsOnTheSpecializedCopyWithTheSameBitsAsThePlainStream() {
        String before = System.getProperty("javelin.cache.dir");
        System.setProperty("javelin.cache.dir", cache.toString());
        try (Session s = Session.open(ModelFiles.sileroVad(), CPU);
             Tensor sr = Tensor.of(new long[] {16000}, Shape.scalar());
             StreamingSession auto = StreamingSession.builder(s).frame("input", Shape.of(1, 512)).constant("sr", sr)
                     .state("hn", "h").state("cn", "c").open();
             StreamingSession plain = StreamingSession.builder(s).frame("input", Shape.of(1, 512)).constant("sr", sr)
                     .state("hn", "h").state("cn", "c").specialize(false).open()) {
            String report = String.join("\n", auto.report());
            assertTrue(report.contains("running on a copy specialized for this stream (constants [sr]"), report);
            assertTrue(report.contains("If nodes inlined: If_25 -> then"), report);
            assertTrue(String.join("\n", plain.report()).contains("not specialized: switched off"), plain.report().toString());
            float[] frame = new float[512];
            long seed = 11;
            for (int f = 0; f < 200; f++) {
                for (int i = 0; i < frame.length; i++) {
                    seed = seed * 6364136223846793005L + 1442695040888963407L;
                    double t = (f * 512 + i) / 16000.0;
                    frame[i] = (float) ((f / 25) % 2 == 1 ? 0.3 * Math.sin(2 * Math.PI * 180 * t) : 0)
                            + ((seed >>> 40) / (float) (1L << 24) - 0.5f) * 0.01f;
                }
                float p = auto.step(frame).get("output").toFloatArray()[0];
                float q = plain.step(frame).get("output").toFloatArray()[0];
                assertEquals(Float.floatToIntBits(q), Float.floatToIntBits(p), "frame " + f + ": " + p + " vs " + q);
            }
            float[] hAuto = auto.state("h").toFloatArray();
            float[] hPlain = plain.state("h").toFloatArray();
            for (int i = 0; i < hPlain.length; i++) {
                assertEquals(Float.floatToIntBits(hPlain[i]), Float.floatToIntBits(hAuto[i]), "h[" + i + "]");
            }
        } finally {
            if (before == null) {
                System.clearProperty("javelin.cache.dir");
            } else {
                System.setProperty("javelin.cache.dir", before);
            }
        }
    }
}

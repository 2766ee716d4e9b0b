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

    /** A running sum (y = x + s, s' = y): nothing for the rewrite to fold, so the stream stays on the caller's session. */
    @Test
    void aModelTheRewriteCannotImproveRunsOnTheCallersSessionAndSaysWhy() {
        Path model = cache.resolve("running_sum.onnx");
        OnnxModel.of(OnnxGraphBuilder.graph("running_sum")
                .input("x", ElementType.FLOAT, 1, 4).input("s", ElementType.FLOAT, 1, 4)
                .output("y", ElementType.FLOAT, 1, 4).output("s_out", ElementType.FLOAT, 1, 4)
                .node("Add").name("add").inputs("x", "s").outputs("y").add()
                .node("Identity").name("carry").inputs("y").outputs("s_out").add()
                .buildModel(), cache).write(model);
        String before = System.getProperty("javelin.cache.dir");
        System.setProperty("javelin.cache.dir", cache.resolve("cache").toString());
        try (Session s = Session.open(model, CPU);
             StreamingSession st = StreamingSession.builder(s).frame("x", Shape.of(1, 4)).state("s_out", "s").open()) {
            assertTrue(st.report().contains("not specialized: the constants and fixed shapes fold nothing in running_sum.onnx"),
                    st.report().toString());
            float[] sum = new float[4];
            for (int step = 1; step <= 5; step++) {
                float[] x = {step, -step, 0.5f * step, 2};
                float[] y = st.step(x).get("y").toFloatArray();
                for (int i = 0; i < 4; i++) {
                    sum[i] += x[i];
                    assertEquals(sum[i], y[i], 0f, "step " + step + " y[" + i + "]");
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty("javelin.cache.dir");
            } else {
                System.setProperty("javelin.cache.dir", before);
            }
        }
    }

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

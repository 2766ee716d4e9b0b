package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.exec.StreamingSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated LSTM -> GRU model (random weights) whose states are not exposed: after the pass, feeding the
 * sequence frame by frame through a {@link StreamingSession} gives the whole-sequence outputs of the original
 * model on ONNX Runtime.
 *
 * <p>Tolerance 1e-5 absolute (on this model and machine the results were bit-identical, max |diff| 0): over a
 * whole sequence ONNX Runtime computes the input projection
 * X·Wᵀ for all time steps in one GEMM, and one step at a time in a smaller one; the GEMM's blocking may sum the
 * same products in another order (float rounding), and the recurrence carries that difference forward.
 */
class ExposeRecurrentStateTest {
    private static final int T = 24;
    private static final int IN = 4;
    private static final int H1 = 8;
    private static final int H2 = 6;
    private static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();

    @TempDir
    Path tmp;

    private static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (r.nextFloat() * 2 - 1) * scale;
        }
        return v;
    }

    /** X[T,1,4] -> LSTM(8, zero initial state, Y_h/Y_c unused) -> Squeeze -> GRU(6, constant initial h, Y_h output 'last'). */
    private static OnnxModel model(float[] h0) {
        Random r = new Random(11);
        return OnnxModel.of(OnnxGraphBuilder.graph("rnn")
                .input("X", ElementType.FLOAT, "T", 1, IN)
                .output("Y2", ElementType.FLOAT, "T", 1, 1, H2)
                .output("last", ElementType.FLOAT, 1, 1, H2)
                .initializer(Tensors.floats("W1", new long[] {1, 4 * H1, IN}, random(r, 4 * H1 * IN, 0.5f)))
                .initializer(Tensors.floats("R1", new long[] {1, 4 * H1, H1}, random(r, 4 * H1 * H1, 0.5f)))
                .initializer(Tensors.floats("B1", new long[] {1, 8 * H1}, random(r, 8 * H1, 0.2f)))
                .initializer(Tensors.floats("W2", new long[] {1, 3 * H2, H1}, random(r, 3 * H2 * H1, 0.5f)))
                .initializer(Tensors.floats("R2", new long[] {1, 3 * H2, H2}, random(r, 3 * H2 * H2, 0.5f)))
                .initializer(Tensors.floats("B2", new long[] {1, 6 * H2}, random(r, 6 * H2, 0.2f)))
                .initializer(Tensors.floats("h0", new long[] {1, 1, H2}, h0))
                .initializer(Tensors.int64s("axis1", new long[] {1}, 1))
                .node("LSTM").name("enc").inputs("X", "W1", "R1", "B1").outputs("Y1").attr("hidden_size", H1).add()
                .node("Squeeze").inputs("Y1", "axis1").outputs("X2").add()
                .node("GRU").name("dec").inputs("X2", "W2", "R2", "B2", "", "h0").outputs("Y2", "last")
                .attr("hidden_size", H2).attr("linear_before_reset", 1).add()
                .buildModel(), null);
    }

    @Test
    void streamingTheExposedModelFrameByFrameEqualsTheWholeSequenceRun() throws Exception {
        float[] h0 = random(new Random(5), H2, 0.3f);
        OnnxModel original = model(h0);
        Path originalFile = tmp.resolve("rnn.onnx");
        original.write(originalFile);
        ExposeRecurrentState.Outcome o = ExposeRecurrentState.apply(original);
        assertEquals(Map.of("enc_h_out", "enc_h_in", "enc_c_out", "enc_c_in", "dec_h_out", "dec_h_in"), o.statePairs());
        assertNull(o.states().get(0).initial());
        assertEquals("h0", o.states().get(2).initial().getName());
        assertEquals(List.of(), o.skipped());
        GraphProto g = o.model().proto().getGraph();
        assertEquals(List.of("X", "enc_h_in", "enc_c_in", "dec_h_in"), g.getInputList().stream().map(ValueInfoProto::getName).toList());
        assertTrue(g.getInitializerList().stream().noneMatch(t -> t.getName().equals("h0")), "the constant moved to the caller");
        Path exposedFile = tmp.resolve("rnn-streaming.onnx");
        o.model().write(exposedFile);

        float[] x = random(new Random(7), T * IN, 1f);
        float[] whole;
        float[] wholeLast;
        try (Session s = Session.open(originalFile, CPU); Tensor tx = Tensor.of(x, Shape.of(T, 1, IN));
             Result r = s.run(Map.of("X", tx))) {
            whole = r.get("Y2").toFloatArray();
            wholeLast = r.get("last").toFloatArray();
        }
        float maxDiff = 0;
        try (Session s = Session.open(exposedFile, CPU);
             Tensor init = Tensor.of(h0, Shape.of(1, 1, H2));
             StreamingSession st = streaming(s, o, init)) {
            for (int pass = 0; pass < 2; pass++) { // the second pass after reset() must start from the same state
                float[] last = null;
                for (int t = 0; t < T; t++) {
                    Map<String, Tensor> out = st.step(Arrays.copyOfRange(x, t * IN, (t + 1) * IN));
                    float[] y = out.get("Y2").toFloatArray();
                    last = out.get("last").toFloatArray();
                    for (int k = 0; k < H2; k++) {
                        float d = Math.abs(y[k] - whole[t * H2 + k]);
                        maxDiff = Math.max(maxDiff, d);
                        assertTrue(d <= 1e-5f, "step " + t + " Y2[" + k + "]: " + y[k] + " vs " + whole[t * H2 + k]);
                    }
                }
                for (int k = 0; k < H2; k++) {
                    assertEquals(wholeLast[k], last[k], 1e-5f);
                }
                st.reset();
            }
        }
        // The constant initial state matters: starting the GRU from zeros instead gives other outputs.
        try (Session s = Session.open(exposedFile, CPU); Tensor zeros = Tensor.of(new float[H2], Shape.of(1, 1, H2));
             StreamingSession st = streaming(s, o, zeros)) {
            float[] y = st.step(Arrays.copyOfRange(x, 0, IN)).get("Y2").toFloatArray();
            assertTrue(Math.abs(y[0] - whole[0]) > 1e-3f, "zero start differs: " + y[0] + " vs " + whole[0]);
        }
        System.out.println("streaming vs whole sequence: max |diff| = " + maxDiff);
    }

    private static StreamingSession streaming(Session s, ExposeRecurrentState.Outcome o, Tensor decInit) {
        StreamingSession.Builder b = StreamingSession.builder(s).frame("X", Shape.of(1, 1, IN));
        o.statePairs().forEach(b::state);
        return b.initialState("dec_h_in", decInit).open();
    }

    @Test
    void nodeWhoseInitialStateIsComputedIsLeftAlone() {
        Random r = new Random(1);
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("X", ElementType.FLOAT, 5, 1, IN).input("h", ElementType.FLOAT, 1, 1, H2)
                .output("Y", ElementType.FLOAT, 5, 1, 1, H2)
                .initializer(Tensors.floats("W", new long[] {1, 3 * H2, IN}, random(r, 3 * H2 * IN, 0.5f)))
                .initializer(Tensors.floats("R", new long[] {1, 3 * H2, H2}, random(r, 3 * H2 * H2, 0.5f)))
                .node("Neg").inputs("h").outputs("hneg").add()
                .node("GRU").name("g1").inputs("X", "W", "R", "", "", "hneg").outputs("Y").attr("hidden_size", H2).add()
                .buildModel(), null);
        ExposeRecurrentState.Outcome o = ExposeRecurrentState.apply(m);
        assertEquals(List.of(), o.states());
        assertEquals(1, o.skipped().size());
        assertTrue(o.skipped().get(0).contains("'hneg' is computed"), o.skipped().toString());
    }
}

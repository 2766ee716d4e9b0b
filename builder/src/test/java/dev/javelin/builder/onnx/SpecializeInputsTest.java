package dev.javelin.builder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecializeInputsTest {
    @TempDir
    Path tmp;

    private static final SessionOptions CPU = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();

    /**
     * Silero VAD with sr=16000: the top-level If is replaced by its then-branch, sr is gone from the inputs, and
     * over 300 frames with state carried the specialized model gives the same bits as the original fed sr=16000
     * (both on ONNX Runtime CPU, one thread: the same kernels run on the same data in the same order).
     */
    @Test
    void sileroVadSpecializedOnSampleRateMatchesOriginalBitForBit() {
        OnnxModel original = OnnxModel.load(ModelFiles.sileroVad());
        SpecializeInputs.Outcome o = SpecializeInputs.apply(original, Map.of("sr", "16000"));
        GraphProto g = o.model().proto().getGraph();
        assertEquals(List.of("input", "h", "c"), g.getInputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals(List.of("If_25 -> then"), o.report().ifsInlined());
        assertTrue(g.getNodeList().stream().noneMatch(n -> n.getOpType().equals("Equal") && n.getInputList().contains("sr")));
        assertTrue(g.getInitializerList().stream().noneMatch(t -> t.getName().startsWith("If_25/model_8k")),
                "the 8 kHz network (else branch) is gone");
        Path spec = tmp.resolve("vad-sr16000.onnx");
        o.model().write(spec);
        assertSameAsOriginalOver300Frames(spec);
    }

    /**
     * Silero VAD with sr=16000 and the stream's fixed shapes: the Shape nodes over the frame and the state fold,
     * so every remaining If (the pad/squeeze rank checks, the zero-state check on h, the output squeeze) inlines
     * too; no If and no Shape is left, and 300 stateful frames give the original's bits.
     */
    @Test
    void sileroVadSpecializedOnFixedShapesHasNoIfAndMatchesOriginalBitForBit() {
        OnnxModel original = OnnxModel.load(ModelFiles.sileroVad());
        SpecializeInputs.Outcome o = SpecializeInputs.apply(original, Map.of("sr", "16000"),
                SpecializeInputs.parseShapes(List.of("input=1x512", "h=2x1x64", "c=2x1x64")));
        GraphProto g = o.model().proto().getGraph();
        assertEquals(List.of("input", "h", "c"), g.getInputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals(List.of(1L, 512L), g.getInput(0).getType().getTensorType().getShape().getDimList().stream()
                .map(d -> d.getDimValue()).toList());
        assertEquals(List.of("If_25 -> then", "If_25/If_69 -> then", "If_25/If_177 -> then", "If_25/If_106 -> else",
                "If_25/If_492 -> then"), o.report().ifsInlined());
        assertTrue(g.getNodeList().stream().noneMatch(n -> n.getOpType().equals("If") || n.getOpType().equals("Shape")),
                "left: " + g.getNodeList().stream().map(n -> n.getOpType() + " " + n.getName())
                        .filter(x -> x.startsWith("If") || x.startsWith("Shape")).toList());
        assertTrue(o.report().shapesFolded().containsAll(List.of("If_25/Shape_29=[1, 512]", "If_25/Shape_169=[2, 1, 64]",
                "If_25/Shape_65=[1, 1, 1, 704]")), o.report().shapesFolded().toString());
        Path spec = tmp.resolve("vad-sr16000-1x512.onnx");
        o.model().write(spec);
        assertSameAsOriginalOver300Frames(spec);
    }

    /**
     * The conservative rule: Shape of the fixed input folds, Shape of NonZero's output (data-dependent) stays,
     * and the folded model still computes [4, 1, nonzeros] on ONNX Runtime.
     */
    @Test
    void shapeOfDataDependentTensorIsNotFolded() {
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, "n").output("out", ElementType.INT64, 3)
                .node("NonZero").inputs("x").outputs("nz").add()
                .node("Shape").name("shape_nz").inputs("nz").outputs("snz").add()
                .node("Shape").name("shape_x").inputs("x").outputs("sx").add()
                .node("Concat").inputs("sx", "snz").outputs("out").attr("axis", 0L).add()
                .buildModel(), null);
        SpecializeInputs.Outcome o = SpecializeInputs.apply(m, Map.of(), SpecializeInputs.parseShapes(List.of("x=4")));
        assertEquals(List.of("shape_x=[4]"), o.report().shapesFolded());
        GraphProto g = o.model().proto().getGraph();
        assertEquals(List.of("NonZero", "Shape", "Concat"), g.getNodeList().stream().map(n -> n.getOpType()).toList());
        Path spec = tmp.resolve("nz.onnx");
        o.model().write(spec);
        try (Session s = Session.open(spec, CPU);
             var x = dev.javelin.runtime.Tensor.of(new float[] {1f, 0f, 2f, 3f}, Shape.of(4));
             var r = s.run(Map.of("x", x))) {
            ByteBuffer b = r.get("out").buffer();
            assertEquals(List.of(4L, 1L, 3L), List.of(b.getLong(0), b.getLong(8), b.getLong(16)));
        }
    }

    /** A shape that contradicts the declared rank, or names no input, is refused naming the input. */
    @Test
    void badFixedShapesNameTheInput() {
        OnnxModel vad = OnnxModel.load(ModelFiles.sileroVad());
        ModelException e = assertThrows(ModelException.class, () -> SpecializeInputs.apply(vad, Map.of(),
                SpecializeInputs.parseShapes(List.of("input=512"))));
        assertTrue(e.getMessage().contains("'input'") && e.getMessage().contains("rank 2"), e.getMessage());
        e = assertThrows(ModelException.class, () -> SpecializeInputs.apply(vad, Map.of(),
                SpecializeInputs.parseShapes(List.of("frame=1x512"))));
        assertTrue(e.getMessage().contains("'frame'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SpecializeInputs.parseShapes(List.of("input=1xN")));
    }

    /** Runs the original (sr=16000 fed) and {@code spec} over 300 frames with state carried; bits must match. */
    private static void assertSameAsOriginalOver300Frames(Path spec) {
        int frame = 512;
        try (Session a = Session.open(ModelFiles.sileroVad(), CPU);
             Session b = Session.open(spec, CPU);
             Lane la = a.newLane(Map.of("input", Shape.of(1, frame), "sr", Shape.scalar(), "h", Shape.of(2, 1, 64),
                     "c", Shape.of(2, 1, 64)));
             Lane lb = b.newLane(Map.of("input", Shape.of(1, frame), "h", Shape.of(2, 1, 64), "c", Shape.of(2, 1, 64)))) {
            la.input("sr").buffer().putLong(0, 16000L);
            long seed = 3;
            float lo = 1;
            float hi = 0;
            for (int f = 0; f < 300; f++) {
                for (int i = 0; i < frame; i++) {
                    seed = seed * 6364136223846793005L + 1442695040888963407L;
                    float noise = ((seed >>> 40) / (float) (1L << 24) - 0.5f) * 0.02f;
                    double t = (f * frame + i) / 16000.0;
                    double v0 = 0;
                    if ((f / 30) % 2 == 1) { // a voiced-like harmonic series with a syllable-rate envelope
                        for (int h = 1; h <= 8; h++) {
                            v0 += Math.sin(2 * Math.PI * 140 * h * t) / h;
                        }
                        v0 *= 0.15 * (1 - Math.cos(2 * Math.PI * 4 * t));
                    }
                    float v = (float) v0;
                    la.input("input").buffer().putFloat(i * 4, v + noise);
                    lb.input("input").buffer().putFloat(i * 4, v + noise);
                }
                la.run();
                lb.run();
                for (String[] io : new String[][] {{"output", null}, {"hn", "h"}, {"cn", "c"}}) {
                    ByteBuffer x = la.output(io[0]).buffer();
                    ByteBuffer y = lb.output(io[0]).buffer();
                    for (int i = 0; i < x.capacity(); i += 4) {
                        assertEquals(Float.floatToRawIntBits(x.getFloat(i)), Float.floatToRawIntBits(y.getFloat(i)),
                                () -> io[0] + " differs at frame");
                    }
                    if (io[1] != null) {
                        la.input(io[1]).buffer().clear().put(x.duplicate().clear());
                        lb.input(io[1]).buffer().clear().put(y.duplicate().clear());
                    }
                }
                lo = Math.min(lo, la.output("output").buffer().getFloat(0));
                hi = Math.max(hi, la.output("output").buffer().getFloat(0));
            }
            assertTrue(lo < 0.2f && hi > 0.5f, "the signal exercises the model: probabilities " + lo + ".." + hi);
        }
    }

    /** A hand-built If: else branch taken, branch output that is an outer name goes through Identity, dead nodes go. */
    @Test
    void elseBranchWithOuterOutputAndNameCollisionIsInlined() {
        GraphProto thenB = OnnxGraphBuilder.graph("then").output("t_out", ElementType.FLOAT, 2)
                .node("Neg").inputs("x").outputs("t_out").add().build();
        // The else branch defines 'tmp', a name the parent also defines: the inlined copy must be renamed.
        GraphProto elseB = OnnxGraphBuilder.graph("else").output("tmp", ElementType.FLOAT, 2)
                .output("x", ElementType.FLOAT, 2)
                .initializer(Tensors.floats("ten", new long[] {1}, 10f))
                .node("Mul").inputs("x", "ten").outputs("tmp").add().build();
        OnnxModel m = OnnxModel.of(OnnxGraphBuilder.graph("g")
                .input("x", ElementType.FLOAT, 2).input("mode", ElementType.INT64)
                .output("y", ElementType.FLOAT, 2).output("z", ElementType.FLOAT, 2).output("w", ElementType.FLOAT, 2)
                .initializer(Tensors.int64s("one", new long[0], 1))
                .node("Add").inputs("x", "x").outputs("tmp").add()
                .node("Greater").inputs("mode", "one").outputs("cond").add()
                .node("Not").inputs("cond").outputs("ncond").add()
                .node("If").name("sel").inputs("ncond").outputs("y", "z").attr("then_branch", thenB).attr("else_branch", elseB).add()
                .node("Identity").inputs("tmp").outputs("w").add()
                .buildModel(), null);
        SpecializeInputs.Outcome o = SpecializeInputs.apply(m, SpecializeInputs.parse(List.of("mode=5")));
        assertEquals(List.of("sel -> else"), o.report().ifsInlined()); // !(5 > 1) = false
        GraphProto g = o.model().proto().getGraph();
        assertFalse(g.getNodeList().stream().anyMatch(n -> n.getOpType().equals("If") || n.getOpType().equals("Greater")));
        Map<String, String> producer = new HashMap<>();
        g.getNodeList().forEach(n -> n.getOutputList().forEach(out -> producer.put(out, n.getOpType())));
        assertEquals("Mul", producer.get("y"));
        assertEquals("Identity", producer.get("z"));
        assertEquals("Add", producer.get("tmp"));
        assertTrue(g.getInitializerList().stream().anyMatch(t -> t.getName().equals("sel/ten")));

        Path spec = tmp.resolve("spec.onnx");
        o.model().write(spec);
        try (Session s = Session.open(spec, CPU);
             var x = dev.javelin.runtime.Tensor.of(new float[] {1.5f, -2f}, Shape.of(2));
             var r = s.run(Map.of("x", x))) {
            assertEquals(15f, r.get("y").buffer().getFloat(0));
            assertEquals(-20f, r.get("y").buffer().getFloat(4));
            assertEquals(1.5f, r.get("z").buffer().getFloat(0));
            assertEquals(3f, r.get("w").buffer().getFloat(0));
        }
    }

    @Test
    void badSpecializationsNameTheInput() {
        OnnxModel vad = OnnxModel.load(ModelFiles.sileroVad());
        ModelException e = assertThrows(ModelException.class, () -> SpecializeInputs.apply(vad, Map.of("rate", "16000")));
        assertTrue(e.getMessage().contains("'rate'") && e.getMessage().contains("sr"), e.getMessage());
        e = assertThrows(ModelException.class, () -> SpecializeInputs.apply(vad, Map.of("sr", "16k")));
        assertTrue(e.getMessage().contains("'sr'") && e.getMessage().contains("16k"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SpecializeInputs.parse(List.of("sr")));
    }
}

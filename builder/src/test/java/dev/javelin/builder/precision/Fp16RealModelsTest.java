package dev.javelin.builder.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.demo.SentenceEmbedder;
import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FP16 conversion of the two real models, run on ONNX Runtime CPU against their float32 originals.
 *
 * <p>Each float16 model is measured twice: as converted (what a user running it on ONNX Runtime CPU gets; ONNX
 * Runtime computes most float16 nodes in float32 and drops the roundings between them), and with every float16
 * activation kept rounded ({@link PrecisionTests#withFloat16Barriers}), which is how a GPU storing activations in
 * float16 behaves. The thresholds hold for the stricter of the two.
 */
class Fp16RealModelsTest {
    @TempDir
    Path tmp;

    private static final Path CACHE = Path.of("target", "javelin-cache");

    private static final List<String> SENTENCES = List.of(
            "A cat is sleeping on the sofa.",
            "The kitten naps on the couch.",
            "Stock markets fell sharply this morning.",
            "Share prices dropped steeply at the opening bell after the central bank raised interest rates again.",
            "How do I bake bread at home?",
            "What is a simple recipe for homemade bread?",
            "ok",
            "The quick brown fox jumps over the lazy dog while the farmer watches from the porch of the old house.");

    /** Nodes of the converted graph that produce a float16 tensor, by operator type; from the rewritten graph itself. */
    private static Map<String, Long> float16Producers(OnnxModel m) {
        Map<String, ElementType> types = Fp16TypeInference.infer(m.proto().getGraph(), m.graph().sortedNodes(), Map.of());
        return m.proto().getGraph().getNodeList().stream()
                .filter(n -> !n.getOpType().equals("Constant") && !n.getOpType().equals("Cast"))
                .filter(n -> n.getOutputList().stream().anyMatch(o -> types.get(o) == ElementType.FLOAT16))
                .collect(java.util.stream.Collectors.groupingBy(NodeProto::getOpType, java.util.stream.Collectors.counting()));
    }

    private static long count(OnnxModel m, String op) {
        return m.proto().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).count();
    }

    private static float[][] embed(Path model, SessionOptions options) throws IOException {
        try (InputStream json = SentenceEmbedder.class.getClassLoader().getResourceAsStream(SentenceEmbedder.TOKENIZER_RESOURCE);
             SentenceEmbedder e = SentenceEmbedder.open(model, json, options, CACHE)) {
            return e.embed(SENTENCES); // padded to the longest sentence: the attention mask matters
        }
    }

    private static double minCosine(float[][] a, float[][] b) {
        double min = 1;
        for (int i = 0; i < a.length; i++) {
            double[][] sim = SentenceEmbedder.cosineSimilarity(new float[][] {a[i], b[i]});
            min = Math.min(min, sim[0][1]);
        }
        return min;
    }

    /**
     * all-MiniLM-L6-v2: mean-pooled sentence embeddings of the float16 model have cosine >= 0.999 to float32 for
     * every sentence (measured: 0.999999 as converted, 0.999996 with float16 activations kept). All 48 MatMuls and
     * the GELUs compute in float16 (71% of the float nodes); the LayerNorm statistics, Softmax and the attention
     * mask path (a -3.4e38 constant) stay float32. The weights are stored as float16: the file shrinks to half.
     */
    @Test
    void miniLmFloat16EmbeddingsMatchFloat32() throws IOException {
        Path original = ModelFiles.miniLm();
        Fp16Converter.Converted c = Fp16Converter.convert(OnnxModel.load(original), Fp16Converter.Options.defaults());
        Fp16Report r = c.report();
        r.summaryLines().forEach(System.out::println);
        assertTrue(r.fractionConverted() >= 0.68, "fraction converted (measured 0.709) " + r.fractionConverted());
        Map<String, Long> f16 = float16Producers(c.model());
        assertEquals(count(c.model(), "MatMul"), f16.getOrDefault("MatMul", 0L), "every MatMul computes in float16: " + f16);
        assertEquals(count(c.model(), "Erf"), f16.getOrDefault("Erf", 0L), "GELU computes in float16: " + f16);
        assertTrue(r.keptFloat32().stream().anyMatch(d -> d.opType().equals("Softmax")));
        assertTrue(r.keptFloat32().stream().noneMatch(d -> d.opType().equals("MatMul")));
        Path converted = c.model().write(tmp.resolve("minilm-fp16.onnx")).file().orElseThrow();
        double sizeRatio = (double) Files.size(converted) / Files.size(original);
        assertTrue(sizeRatio < 0.55, "float16 weights: file size ratio " + sizeRatio);

        float[][] e32 = embed(original, PrecisionTests.CPU);
        float[][] e16 = embed(converted, PrecisionTests.CPU);
        Path strict = PrecisionTests.withFloat16Barriers(c.model()).write(tmp.resolve("minilm-fp16-strict.onnx"))
                .file().orElseThrow();
        float[][] e16strict = embed(strict, PrecisionTests.CPU_AS_WRITTEN);
        double cos = minCosine(e32, e16);
        double cosStrict = minCosine(e32, e16strict);
        System.out.printf(Locale.ROOT, "MiniLM fp16: min cosine over %d sentences %.6f as converted, %.6f with float16"
                + " activations; file %.1f%% of float32%n", SENTENCES.size(), cos, cosStrict, 100 * sizeRatio);
        assertTrue(cos >= 0.999, "min cosine " + cos);
        assertTrue(cosStrict >= 0.999, "min cosine with float16 activations " + cosStrict);
        assertTrue(cosStrict < 1 - 1e-7, "float16 activations must change the embeddings measurably: " + cosStrict);
    }

    /**
     * PP-OCRv4 det on a 480x640 synthetic page. Tolerance of the float16 probability map against float32: mean
     * absolute error under 1e-3; the text mask (probability > 0.3, the detector's binarization threshold) agreeing
     * on at least 99.9% of the pixels; as converted, max absolute error under 0.1 and at most 0.1% of the pixels off
     * by more than 0.05; with float16 activations, max absolute error under 0.25 and at most 1% of the pixels off by
     * more than 0.05 (measured: 0.047 / 0%, and 0.18 / 0.42% — pixels at the steep middle of the sigmoid, where a
     * logit moved by up to 0.7 after some hundred float16 roundings; keeping the Convs' outputs float32 brings that
     * to 0.04%, so it is activation storage, which TensorRT's Conv+BN+activation fusions round less often than this
     * node-by-node emulation).
     * Everything but the 6 Resizes (sampling coordinates) and one BatchNormalization (variances up to 9.8e7,
     * beyond float16) computes in float16.
     */
    @Test
    void ppOcrDetFloat16ProbabilityMapMatchesFloat32() {
        Path original = ModelFiles.model("ppocr_det.onnx");
        Fp16Converter.Converted c = Fp16Converter.convert(OnnxModel.load(original), Fp16Converter.Options.defaults());
        Fp16Report r = c.report();
        r.summaryLines().forEach(System.out::println);
        assertTrue(r.fractionConverted() >= 0.95, "fraction converted " + r.fractionConverted());
        assertEquals(count(c.model(), "Conv"), float16Producers(c.model()).getOrDefault("Conv", 0L), "every Conv in float16");
        assertEquals(Map.of("Resize", 6L, "BatchNormalization", 1L), r.keptFloat32().stream().collect(
                java.util.stream.Collectors.groupingBy(Fp16Report.NodeDecision::opType, java.util.stream.Collectors.counting())));

        int h = 480;
        int w = 640;
        Map<String, Tensor> in = Map.of("x", Tensor.of(SyntheticTextImage.nchw(h, w, 42), Shape.of(1, 3, h, w)));
        String out = "sigmoid_0.tmp_0";
        float[] p32 = PrecisionTests.run(OnnxModel.load(original), tmp.resolve("a.onnx"), in, PrecisionTests.CPU).get(out);
        float[] p16 = PrecisionTests.run(c.model(), tmp.resolve("b.onnx"), in, PrecisionTests.CPU).get(out);
        float[] p16strict = PrecisionTests.run(PrecisionTests.withFloat16Barriers(c.model()), tmp.resolve("c.onnx"), in,
                PrecisionTests.CPU_AS_WRITTEN).get(out);
        long text = 0;
        for (float p : p32) {
            text += p > 0.3f ? 1 : 0;
        }
        assertTrue(text > 20_000, "the synthetic page must look like text to the detector: " + text + " pixels > 0.3");
        for (float[] p : List.of(p16, p16strict)) {
            double maxAbs = 0;
            double sumAbs = 0;
            long agree = 0;
            long over = 0;
            for (int i = 0; i < p32.length; i++) {
                double d = Math.abs(p32[i] - p[i]);
                maxAbs = Math.max(maxAbs, d);
                sumAbs += d;
                over += d > 0.05 ? 1 : 0;
                agree += (p32[i] > 0.3f) == (p[i] > 0.3f) ? 1 : 0;
            }
            double mean = sumAbs / p32.length;
            double agreement = (double) agree / p32.length;
            double overFraction = (double) over / p32.length;
            boolean strict = p == p16strict;
            System.out.printf(Locale.ROOT, "PP-OCR det fp16%s: max abs %.4f, mean abs %.2e, %.4f%% of pixels off by"
                            + " > 0.05, mask agreement %.5f (%d text pixels)%n", strict ? " (float16 activations)" : "",
                    maxAbs, mean, 100 * overFraction, agreement, text);
            assertTrue(maxAbs <= (strict ? 0.25 : 0.1), "max abs error " + maxAbs);
            assertTrue(overFraction <= (strict ? 1e-2 : 1e-3), "pixels off by more than 0.05: " + overFraction);
            assertTrue(mean <= 1e-3, "mean abs error " + mean);
            assertTrue(agreement >= 0.999, "thresholded map agreement " + agreement);
        }
    }

    /**
     * Silero VAD keeps its whole network inside If branches: converting it as exported leaves it float32 (the If
     * is named, bodies are not converted). Specialized first to 16 kHz and fixed frame/state shapes (the Ifs
     * inlined), the same converter puts its encoder Convs and LSTMs in float16 and keeps the spectrogram front end
     * float32 (it is scaled by 2^20 before a log); over 20 frames of a 16 kHz tone with state carried, the speech
     * probability stays within 0.01 of float32 (measured 6e-4; converting the front end too gave 0.03, and
     * the scaled spectrogram overflowing float16 gave 0.34).
     */
    @Test
    void sileroVadSubgraphsStayFloat32UntilSpecialized() {
        OnnxModel original = OnnxModel.load(ModelFiles.model("silero_vad.onnx"));
        Fp16Converter.Converted asExported = Fp16Converter.convert(original, Fp16Converter.Options.defaults());
        assertEquals(0, asExported.report().converted().size());
        assertTrue(asExported.report().keptFloat32().stream().allMatch(d -> d.opType().equals("If")
                && d.reason().startsWith("control flow")), asExported.report().keptFloat32().toString());
        assertEquals(original.proto().getGraph().getInitializerList(),
                asExported.model().proto().getGraph().getInitializerList(), "weights read inside the bodies stay float32");
        assertTrue(asExported.report().notes().contains("1 node(s) with subgraphs (If/Loop/Scan): their bodies stay float32"),
                asExported.report().notes().toString());

        OnnxModel specialized = dev.javelin.builder.onnx.SpecializeInputs.apply(original, Map.of("sr", "16000"),
                dev.javelin.builder.onnx.SpecializeInputs.parseShapes(List.of("input=1x512", "h=2x1x64", "c=2x1x64")))
                .model();
        Fp16Converter.Converted c = Fp16Converter.convert(specialized, Fp16Converter.Options.defaults());
        c.report().summaryLines().forEach(System.out::println);
        Map<String, Long> f16 = float16Producers(c.model());
        assertEquals(count(c.model(), "LSTM"), f16.getOrDefault("LSTM", 0L), "LSTM in float16: " + f16);
        // The STFT (a Conv with the Fourier basis) feeds a Mul by 2^20 before a log: its rounding error would be
        // multiplied by a million, so it and what feeds it stay float32; every other Conv is float16.
        assertEquals(count(c.model(), "Conv") - 1, f16.getOrDefault("Conv", 0L), "Convs in float16: " + f16);
        Fp16Report.NodeDecision stft = c.report().decisions().stream().filter(d -> d.node().equals("If_25/Conv_73"))
                .findFirst().orElseThrow();
        assertTrue(!stft.float16() && stft.reason().startsWith("feeds a multiplication by a weight beyond"), stft.toString());

        Path p32 = specialized.write(tmp.resolve("vad32.onnx")).file().orElseThrow();
        Path p16 = PrecisionTests.withFloat16Barriers(c.model()).write(tmp.resolve("vad16.onnx")).file().orElseThrow();
        try (dev.javelin.runtime.Session s32 = dev.javelin.runtime.Session.open(p32, PrecisionTests.CPU);
             dev.javelin.runtime.Session s16 = dev.javelin.runtime.Session.open(p16, PrecisionTests.CPU_AS_WRITTEN)) {
            float[] h32 = new float[128];
            float[] c32 = new float[128];
            float[] h16 = new float[128];
            float[] c16 = new float[128];
            double worst = 0;
            for (int frame = 0; frame < 20; frame++) {
                float[] audio = new float[512];
                for (int i = 0; i < 512; i++) {
                    int t = frame * 512 + i;
                    audio[i] = (float) (0.3 * Math.sin(2 * Math.PI * 220 * t / 16000.0) * (frame % 8 < 5 ? 1 : 0.02));
                }
                float[][] o32 = step(s32, audio, h32, c32);
                float[][] o16 = step(s16, audio, h16, c16);
                h32 = o32[1];
                c32 = o32[2];
                h16 = o16[1];
                c16 = o16[2];
                worst = Math.max(worst, Math.abs(o32[0][0] - o16[0][0]));
            }
            System.out.printf(Locale.ROOT, "Silero VAD (specialized) fp16: max |p16 - p32| over 20 frames %.5f%n", worst);
            assertTrue(worst <= 0.01, "speech probability error " + worst);
        }
    }

    private static float[][] step(dev.javelin.runtime.Session s, float[] audio, float[] h, float[] c) {
        Map<String, Tensor> in = Map.of("input", Tensor.of(audio, Shape.of(1, 512)), "h", Tensor.of(h, Shape.of(2, 1, 64)),
                "c", Tensor.of(c, Shape.of(2, 1, 64)));
        try (dev.javelin.runtime.Result r = AccuracyReport.runAdapted(s, in)) {
            return new float[][] {r.get("output").toFloatArray(), r.get("hn").toFloatArray(), r.get("cn").toFloatArray()};
        } finally {
            in.values().forEach(Tensor::close);
        }
    }
}

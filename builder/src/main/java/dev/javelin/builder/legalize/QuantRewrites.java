package dev.javelin.builder.legalize;

import static dev.javelin.builder.legalize.GraphEdit.input;
import static dev.javelin.builder.legalize.GraphEdit.intOf;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Integer-arithmetic quantized graphs, which TensorRT cannot build (it quantizes only through
 * QuantizeLinear/DequantizeLinear pairs with static scales), rewritten into ops it can:
 * <ul>
 *   <li><b>Dynamic quantization</b> as ONNX Runtime's {@code quantize_dynamic} emits it —
 *       {@code DynamicQuantizeLinear(x)} → {@code MatMulInteger}/{@code ConvInteger} with constant weights →
 *       {@code Cast(float)} → {@code Mul} by {@code x_scale · w_scale} — becomes a float {@code MatMul}/{@code Conv} of
 *       x with the dequantized weights, {@code (W - w_zero_point) · w_scale} computed here once (float32). The
 *       activations are no longer quantized, so the result is the float model's, and differs from the original by
 *       the original's own quantization error: each x element was rounded to a multiple of
 *       {@code x_scale = range(x)/255}, so |Δy| ≤ range(x)/255 · Σ|W| over the output's column (stated per node).</li>
 *   <li><b>Static integer ops</b> {@code QLinearMatMul}/{@code QLinearConv} become
 *       {@code DequantizeLinear → MatMul/Conv → QuantizeLinear} (bias dequantized with {@code x_scale · w_scale}):
 *       the same arithmetic by the ONNX definitions, in the Q/DQ form TensorRT fuses into int8 kernels. ONNX
 *       Runtime requantizes the exact int32 accumulator where the Q/DQ form rounds a float32 sum, so an output
 *       may differ by one quantization step where the exact value lies at a rounding tie.</li>
 *   <li>What is left over, node by node: {@code DynamicQuantizeLinear} as ReduceMin/ReduceMax/Div/Round/Clip/Cast
 *       (the ONNX formula); {@code MatMulInteger}/{@code ConvInteger} with constant weights as float
 *       {@code MatMul}/{@code Conv} over zero-point-shifted values then {@code Cast(int32)}: exact while every partial
 *       sum is an integer below 2^24 (float32's exact-integer range), bound stated per node.</li>
 * </ul>
 */
final class QuantRewrites {
    private static final double EXACT_INT_LIMIT = 1 << 24;

    private QuantRewrites() {
    }

    /** Per-node rewrites by op key. */
    static Map<String, Rewrite> perNode() {
        return Map.of(
                "DynamicQuantizeLinear", QuantRewrites::dynamicQuantizeLinear,
                "MatMulInteger", QuantRewrites::matMulInteger,
                "ConvInteger", QuantRewrites::convInteger,
                "QLinearMatMul", QuantRewrites::qlinearMatMul,
                "QLinearConv", QuantRewrites::qlinearConv);
    }

    // ---- DynamicQuantizeLinear + MatMulInteger/ConvInteger + Cast + Mul -> float ---------------------------

    /** A matched dynamic-quantization chain. */
    private record Chain(int dql, int integerOp, int cast, int scaleMul, int finalMul, String weightScale) {
    }

    /**
     * Rewrites every matching chain of the graph.
     *
     * @return outcomes by the index of the chain's MatMulInteger/ConvInteger node
     */
    static Map<Integer, Rewrite.Outcome> dynamicChains(GraphEdit g) {
        Map<Integer, Rewrite.Outcome> done = new LinkedHashMap<>();
        for (int d = 0; d < g.size(); d++) {
            NodeProto dql = g.node(d);
            if (dql == null || !is(dql, "DynamicQuantizeLinear") || dql.getOutputCount() < 3) {
                continue;
            }
            for (int c : g.readers(dql.getOutput(0))) {
                Chain chain = match(g, d, c);
                if (chain != null) {
                    done.put(c, rewriteChain(g, chain));
                }
            }
        }
        return done;
    }

    private static Chain match(GraphEdit g, int d, int c) {
        NodeProto dql = g.node(d);
        NodeProto op = g.node(c);
        if (op == null || !(is(op, "MatMulInteger") || is(op, "ConvInteger")) || !input(op, 0).equals(dql.getOutput(0))
                || dql.getOutput(2).isEmpty() || !input(op, 2).equals(dql.getOutput(2))
                || g.constant(input(op, 1)) == null || (!input(op, 3).isEmpty() && g.constant(input(op, 3)) == null)) {
            return null;
        }
        int k = onlyReader(g, op.getOutput(0));
        NodeProto cast = k < 0 ? null : g.node(k);
        if (cast == null || !is(cast, "Cast") || intOf(cast, "to", 0) != ElementType.FLOAT.onnx()) {
            return null;
        }
        int f = onlyReader(g, cast.getOutput(0));
        NodeProto mul = f < 0 ? null : g.node(f);
        if (mul == null || !is(mul, "Mul") || mul.getInputCount() != 2) {
            return null;
        }
        String s = mul.getInput(0).equals(cast.getOutput(0)) ? mul.getInput(1) : mul.getInput(0);
        int p = g.producer(s);
        NodeProto scale = p < 0 ? null : g.node(p);
        if (scale == null || !is(scale, "Mul") || scale.getInputCount() != 2) {
            return null;
        }
        String xs = dql.getOutput(1);
        String ws = scale.getInput(0).equals(xs) ? scale.getInput(1) : scale.getInput(1).equals(xs) ? scale.getInput(0) : null;
        if (ws == null || g.constant(ws) == null) {
            return null;
        }
        return new Chain(d, c, k, p, f, ws);
    }

    private static int onlyReader(GraphEdit g, String name) {
        if (g.isGraphOutput(name)) {
            return -1;
        }
        List<Integer> r = g.readers(name);
        return r.size() == 1 ? r.get(0) : -1;
    }

    private static Rewrite.Outcome rewriteChain(GraphEdit g, Chain ch) {
        NodeProto dql = g.node(ch.dql);
        NodeProto op = g.node(ch.integerOp);
        NodeProto mul = g.node(ch.finalMul);
        boolean conv = is(op, "ConvInteger");
        String w = op.getInput(1);
        long[] dims = g.constantDims(w);
        double[] wq = g.constantValues(w);
        double[] wz = input(op, 3).isEmpty() ? new double[] {0} : g.constantValues(input(op, 3));
        double[] ws = g.constantValues(ch.weightScale);
        // Columns (MatMul, W[K, N]) or output channels (Conv, W[M, ...]) the scales and zero points run along.
        int lanes = (int) (conv ? dims[0] : dims.length == 2 ? dims[1] : -1);
        if (lanes < 0 || !(wz.length == 1 || wz.length == lanes) || !(ws.length == 1 || ws.length == lanes)) {
            return Rewrite.Outcome.declined("weights " + java.util.Arrays.toString(dims) + " with " + wz.length
                    + " zero point(s) and " + ws.length + " scale(s) are not per-tensor or per-" + (conv ? "channel" : "column"));
        }
        float[] wf = new float[wq.length];
        double[] l1 = new double[lanes];
        int per = wq.length / lanes; // Conv: elements per output channel
        for (int i = 0; i < wq.length; i++) {
            int lane = conv ? i / per : i % lanes;
            float v = (float) (wq[i] - wz[wz.length == 1 ? 0 : lane]) * (float) ws[ws.length == 1 ? 0 : lane];
            wf[i] = v;
            l1[lane] += Math.abs(v);
        }
        double worst = 0;
        for (double v : l1) {
            worst = Math.max(worst, v);
        }
        Emitter e = g.emitter(ch.integerOp);
        String weights = e.initializer(dev.javelin.builder.onnx.Tensors.floats("w", dims, wf), "weight_float");
        String x = dql.getInput(0);
        List<AttributeProto> attrs = conv ? op.getAttributeList() : List.of();
        e.opTo(mul.getOutput(0), conv ? "Conv" : "MatMul", List.of(x, weights), attrs.toArray(new AttributeProto[0]));
        g.replace(ch.finalMul, e.nodes());
        String form = conv ? "Conv" : "MatMul";
        double c = worst / 255;
        return Rewrite.Outcome.done("with DynamicQuantizeLinear '" + g.label(ch.dql) + "', Cast '" + g.label(ch.cast)
                        + "' and Mul '" + g.label(ch.finalMul) + "': float " + form + " of the unquantized input with the "
                        + "dequantized weights (W - w_zero_point)·w_scale, float32 " + java.util.Arrays.toString(dims)
                        + " (activations no longer quantized)",
                Tolerance.bound(String.format(Locale.ROOT, "the original's activation quantization: |Δy| <= C·(max(x,0) - "
                        + "min(x,0)) with C = max over output %s of Σ|W_float|/255 = %.6g", conv ? "channels" : "columns", c)));
    }

    /** The constant C of a rewritten chain's bound, parsed back from its tolerance (for tests and reports). */
    static double chainBoundFactor(Tolerance t) {
        String b = t.basis();
        return Double.parseDouble(b.substring(b.lastIndexOf('=') + 1).trim());
    }

    // ---- per node ------------------------------------------------------------------------------------------

    private static Rewrite.Outcome dynamicQuantizeLinear(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        ElementType t = g.type(n.getInput(0));
        if (t != ElementType.FLOAT) {
            return Rewrite.Outcome.declined("DynamicQuantizeLinear input '" + n.getInput(0) + "' is " + (t == null ? "of unknown type" : t)
                    + "; the ONNX op takes float");
        }
        Emitter e = g.emitter(i);
        String x = n.getInput(0);
        String zero = e.scalar(ElementType.FLOAT, 0);
        String lo = e.op("Min", List.of(e.reduceAll("ReduceMin", x), zero));
        String hi = e.op("Max", List.of(e.reduceAll("ReduceMax", x), zero));
        // scale = max == min ? 1 : (max - min) / 255, as ONNX Runtime computes it (the ONNX reference takes 1/255)
        String scaleOut = GraphEdit.output(n, 1);
        List<String> choose = List.of(e.op("Equal", List.of(hi, lo)), e.scalar(ElementType.FLOAT, 1),
                e.div(e.sub(hi, lo), e.scalar(ElementType.FLOAT, 255)));
        String scale = scaleOut.isEmpty() ? e.op("Where", choose) : e.opTo(scaleOut, "Where", choose);
        String zpf = e.unary("Round", e.clip(e.sub(zero, e.div(lo, scale)), ElementType.FLOAT, 0, 255));
        if (!GraphEdit.output(n, 2).isEmpty()) {
            e.opTo(n.getOutput(2), "Cast", List.of(zpf), GraphEdit.intAttr("to", ElementType.UINT8.onnx()));
        }
        String q = e.clip(e.add(e.unary("Round", e.div(x, scale)), zpf), ElementType.FLOAT, 0, 255);
        e.opTo(n.getOutput(0), "Cast", List.of(q), GraphEdit.intAttr("to", ElementType.UINT8.onnx()));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("ONNX Runtime's formula in standard ops: scale = (max(x,0) - min(x,0))/255 (1 when the "
                        + "range is empty), zero point = round(clip(-min/scale, 0, 255)), y = clip(round(x/scale) + zero "
                        + "point, 0, 255) as uint8, rounding half to even",
                Tolerance.of(1, 0, "y may differ by 1 where x/scale lies within float32 rounding of a half-integer "
                        + "(ONNX Runtime's vectorized quantizer may round the quotient differently); scale and zero point "
                        + "are exact"));
    }

    private static Rewrite.Outcome matMulInteger(GraphEdit g, int i) {
        return integerAsFloat(g, i, false);
    }

    private static Rewrite.Outcome convInteger(GraphEdit g, int i) {
        return integerAsFloat(g, i, true);
    }

    /** MatMulInteger/ConvInteger with constant weights as a float op over shifted values, cast to int32. */
    private static Rewrite.Outcome integerAsFloat(GraphEdit g, int i, boolean conv) {
        NodeProto n = g.node(i);
        String w = input(n, 1);
        if (g.constant(w) == null) {
            return Rewrite.Outcome.declined("the weights '" + w + "' are not constant");
        }
        String az = input(n, 2);
        if (!az.isEmpty() && !isScalar(g, az)) {
            return Rewrite.Outcome.declined("the input zero point '" + az + "' is not known to be a scalar (per-row zero "
                    + "points are not rewritten)");
        }
        long[] dims = g.constantDims(w);
        if (!conv && dims.length != 2) {
            return Rewrite.Outcome.declined("weights of rank " + dims.length + "; only 2-D weights are rewritten");
        }
        double[] wq = g.constantValues(w);
        double[] wz = input(n, 3).isEmpty() ? new double[] {0} : g.constantValues(input(n, 3));
        if (wz == null) {
            return Rewrite.Outcome.declined("the weight zero point '" + input(n, 3) + "' is not constant");
        }
        int lanes = (int) (conv ? dims[0] : dims[1]);
        if (!(wz.length == 1 || wz.length == lanes)) {
            return Rewrite.Outcome.declined(wz.length + " weight zero points for " + lanes + (conv ? " channels" : " columns"));
        }
        int per = wq.length / lanes;
        float[] wf = new float[wq.length];
        double maxW = 0;
        for (int k = 0; k < wq.length; k++) {
            int lane = conv ? k / per : k % lanes;
            wf[k] = (float) (wq[k] - wz[wz.length == 1 ? 0 : lane]);
            maxW = Math.max(maxW, Math.abs(wf[k]));
        }
        long fanIn = conv ? per : dims[0];
        Emitter e = g.emitter(i);
        String weights = e.initializer(dev.javelin.builder.onnx.Tensors.floats("w", dims, wf), "weight_shifted");
        String a = e.cast(n.getInput(0), ElementType.FLOAT);
        if (!az.isEmpty()) {
            a = e.sub(a, e.cast(az, ElementType.FLOAT));
        }
        List<AttributeProto> attrs = conv ? n.getAttributeList() : List.of();
        String y = e.op(conv ? "Conv" : "MatMul", List.of(a, weights), attrs.toArray(new AttributeProto[0]));
        e.opTo(n.getOutput(0), "Cast", List.of(y), GraphEdit.intAttr("to", ElementType.INT32.onnx()));
        g.replace(i, e.nodes());
        double worstSum = fanIn * 255.0 * maxW;
        String form = conv ? "Conv" : "MatMul";
        String detail = "float " + form + " of (A - a_zero_point) with the constant (W - w_zero_point), then Cast(int32); "
                + "fan-in " + fanIn + ", |W - w_zero_point| <= " + (long) maxW;
        if (worstSum < EXACT_INT_LIMIT) {
            return Rewrite.Outcome.done(detail + ": every partial sum is an integer below 2^24, so float32 is exact", null);
        }
        return Rewrite.Outcome.done(detail, Tolerance.of(0, fanIn * Math.ulp(1f), String.format(Locale.ROOT,
                "partial sums can reach %.3g > 2^24, beyond float32's exact integers: relative error <= fan-in·2^-23", worstSum)));
    }

    private static boolean isScalar(GraphEdit g, String name) {
        double[] v = g.constantValues(name);
        if (v != null) {
            return v.length == 1;
        }
        int p = g.producer(name);
        return p >= 0 && is(g.node(p), "DynamicQuantizeLinear") || Integer.valueOf(0).equals(g.rank(name));
    }

    private static final Tolerance QDQ = Tolerance.of(1, 0, "one quantization step (in the integer output) where the exact "
            + "value lies at a rounding tie: ONNX Runtime requantizes the exact int32 accumulator, the Q/DQ form a float32 sum");

    private static Rewrite.Outcome qlinearMatMul(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        if (n.getInputCount() < 8) {
            return Rewrite.Outcome.declined("QLinearMatMul needs 8 inputs; the node has " + n.getInputCount());
        }
        Emitter e = g.emitter(i);
        String a = dequantize(g, e, n.getInput(0), n.getInput(1), n.getInput(2), -2);
        String b = dequantize(g, e, n.getInput(3), n.getInput(4), n.getInput(5), -1);
        if (a == null || b == null) {
            return Rewrite.Outcome.declined("a per-row/per-column scale needs opset 13 DequantizeLinear (axis) and a known "
                    + "rank; the model is opset " + g.opset);
        }
        String m = e.op("MatMul", List.of(a, b));
        e.opTo(n.getOutput(0), "QuantizeLinear", List.of(m, n.getInput(6), n.getInput(7)));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("DequantizeLinear(a), DequantizeLinear(b) -> MatMul -> QuantizeLinear(y_scale, y_zero_point): "
                + "the Q/DQ form TensorRT fuses into an int8 GEMM" + symmetricNote(g, n.getInput(2), n.getInput(5)), QDQ);
    }

    private static Rewrite.Outcome qlinearConv(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        if (n.getInputCount() < 8) {
            return Rewrite.Outcome.declined("QLinearConv needs 8 or 9 inputs; the node has " + n.getInputCount());
        }
        Emitter e = g.emitter(i);
        String x = dequantize(g, e, n.getInput(0), n.getInput(1), n.getInput(2), 1);
        String w = dequantize(g, e, n.getInput(3), n.getInput(4), n.getInput(5), 0);
        if (x == null || w == null) {
            return Rewrite.Outcome.declined("a per-channel weight scale needs opset 13 DequantizeLinear (axis); the model is opset "
                    + g.opset);
        }
        List<String> convIn = new ArrayList<>(List.of(x, w));
        String biasNote = "";
        String bias = input(n, 8);
        if (!bias.isEmpty()) {
            double[] b = g.constantValues(bias);
            double[] xs = g.constantValues(n.getInput(1));
            double[] ws = g.constantValues(n.getInput(4));
            if (b == null || xs == null || ws == null) {
                return Rewrite.Outcome.declined("the int32 bias and the scales must be constants to dequantize the bias");
            }
            float[] bf = new float[b.length];
            for (int c = 0; c < b.length; c++) {
                float scale = (float) xs[0] * (float) ws[ws.length == 1 ? 0 : c];
                bf[c] = (float) b[c] * scale;
            }
            convIn.add(e.initializer(dev.javelin.builder.onnx.Tensors.floats("b", new long[] {b.length}, bf), "bias_float"));
            biasNote = ", bias dequantized with x_scale·w_scale to float32";
        }
        String conv = e.op("Conv", convIn, n.getAttributeList().toArray(new AttributeProto[0]));
        e.opTo(n.getOutput(0), "QuantizeLinear", List.of(conv, n.getInput(6), n.getInput(7)));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("DequantizeLinear(x), DequantizeLinear(w) -> Conv -> QuantizeLinear(y_scale, y_zero_point)"
                + biasNote + ": the Q/DQ form TensorRT fuses into an int8 convolution"
                + symmetricNote(g, n.getInput(2), n.getInput(5)), QDQ);
    }

    /** DequantizeLinear of {@code q}; per-axis (along {@code axis}) when the scale has several elements. */
    private static String dequantize(GraphEdit g, Emitter e, String q, String scale, String zeroPoint, int axis) {
        double[] s = g.constantValues(scale);
        boolean perAxis = s != null ? s.length > 1 : !Integer.valueOf(0).equals(g.rank(scale));
        List<String> in = zeroPoint.isEmpty() ? List.of(q, scale) : List.of(q, scale, zeroPoint);
        if (!perAxis) {
            return e.op("DequantizeLinear", in);
        }
        if (g.opset < 13) {
            return null;
        }
        return e.op("DequantizeLinear", in, GraphEdit.intAttr("axis", axis));
    }

    /** TensorRT builds int8 Q/DQ with zero points of 0 only: say so when the zero points are not. */
    private static String symmetricNote(GraphEdit g, String... zeroPoints) {
        for (String z : zeroPoints) {
            double[] v = g.constantValues(z);
            ElementType t = g.type(z);
            boolean nonZero = v == null || java.util.Arrays.stream(v).anyMatch(x -> x != 0);
            if (nonZero || t == ElementType.UINT8) {
                return "; note: TensorRT's Q/DQ support is int8 with zero point 0, and '" + z + "' is "
                        + (t == ElementType.UINT8 ? "uint8" : "non-zero") + ", which its parser reports at build time";
            }
        }
        return "";
    }

    static boolean is(NodeProto n, String op) {
        return n.getOpType().equals(op) && OpKey.isDefaultDomain(n.getDomain());
    }
}

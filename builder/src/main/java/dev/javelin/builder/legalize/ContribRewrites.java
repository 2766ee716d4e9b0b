package dev.javelin.builder.legalize;

import static dev.javelin.builder.legalize.GraphEdit.floatOf;
import static dev.javelin.builder.legalize.GraphEdit.input;
import static dev.javelin.builder.legalize.GraphEdit.intOf;
import static dev.javelin.builder.legalize.GraphEdit.output;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.proto.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX Runtime contrib ops ({@code com.microsoft}) of "optimized" transformer exports, rewritten into standard
 * ops with the semantics of ONNX Runtime's contrib operator documentation and CPU kernels:
 * <ul>
 *   <li>{@code Gelu(X)} = 0.5·X·(1 + erf(X/√2)); {@code BiasGelu(A, B)} = Gelu(A + B);</li>
 *   <li>{@code FastGelu(X[, bias])} = 0.5·x·(1 + tanh(0.7978845608·(x + 0.044715·x³))), x = X (+ bias);</li>
 *   <li>{@code QuickGelu(X; alpha = 1.702)} = X·sigmoid(alpha·X);</li>
 *   <li>{@code BiasAdd(X, bias, skip)} = (X + bias) + skip;</li>
 *   <li>{@code SkipLayerNormalization(input, skip, gamma[, beta][, bias]; epsilon = 1e-12)}: s = input + skip (+ bias),
 *       output = LayerNorm(s over the last axis)·gamma (+ beta); optional outputs mean and inv_std_var (float,
 *       last dim 1) and input_skip_bias_sum = s;</li>
 *   <li>{@code SkipSimplifiedLayerNormalization} likewise with RMS normalization (no mean output);</li>
 *   <li>{@code LayerNormalization} and {@code SimplifiedLayerNormalization} as contrib ops (axis, epsilon = 1e-5);</li>
 *   <li>{@code FusedMatMul(A, B; alpha, transA, transB)} = alpha·op(A)·op(B) (batch transposes are declined).</li>
 * </ul>
 * Normalizations become the standard {@code LayerNormalization} from opset 17 when only its outputs are needed,
 * and ReduceMean/Sub/Mul/Sqrt/Div chains otherwise (TensorRT recognizes both). Activations become the
 * Erf/Tanh/Sigmoid expressions TensorRT fuses into its GELU and SiLU kernels. The results are the same formulas,
 * evaluated in another order than ONNX Runtime's fused kernels, hence the float32 tolerances below (measured and
 * checked by the tests on ONNX Runtime CPU).
 */
final class ContribRewrites {
    static final String DOMAIN = "com.microsoft";
    private static final double SQRT2 = Math.sqrt(2.0);
    private static final double TANH_GELU_B = 0.7978845608028654; // sqrt(2/pi)
    private static final double TANH_GELU_C = 0.035677408136300125; // 0.044715 * sqrt(2/pi)
    /** ONNX Runtime's default epsilon of the Skip*LayerNormalization ops (kDefaultSkipLayerNormEpsilon). */
    static final float SKIP_LN_EPSILON = 1e-12f;

    static final Tolerance ACTIVATION = Tolerance.of(1e-6, 1e-5,
            "float32 rounding: the same formula as ONNX Runtime's fused kernel, evaluated as separate ops");
    static final Tolerance NORMALIZATION = Tolerance.of(1e-5, 1e-5,
            "float32 rounding: variance as the mean of squared deviations, where ONNX Runtime's fused kernel uses "
                    + "E[x^2] - E[x]^2; both over the last axis");
    static final Tolerance RMS_NORMALIZATION = Tolerance.of(1e-5, 1e-5,
            "float32 rounding: the mean of squares and its root evaluated as separate ops, over the normalized axes");
    static final Tolerance MATMUL = Tolerance.of(1e-6, 1e-5, "float32 rounding of the alpha scaling order");

    private ContribRewrites() {
    }

    /** Rewrites by op key. */
    static Map<String, Rewrite> all() {
        return Map.ofEntries(
                Map.entry(DOMAIN + ":Gelu", ContribRewrites::gelu),
                Map.entry(DOMAIN + ":BiasGelu", ContribRewrites::biasGelu),
                Map.entry(DOMAIN + ":FastGelu", ContribRewrites::fastGelu),
                Map.entry(DOMAIN + ":QuickGelu", ContribRewrites::quickGelu),
                Map.entry(DOMAIN + ":BiasAdd", ContribRewrites::biasAdd),
                Map.entry(DOMAIN + ":SkipLayerNormalization", (g, i) -> skipLayerNorm(g, i, false)),
                Map.entry(DOMAIN + ":SkipSimplifiedLayerNormalization", (g, i) -> skipLayerNorm(g, i, true)),
                Map.entry(DOMAIN + ":LayerNormalization", (g, i) -> layerNorm(g, i, false)),
                Map.entry(DOMAIN + ":SimplifiedLayerNormalization", (g, i) -> layerNorm(g, i, true)),
                // ONNX Runtime registers this contrib op in the default domain.
                Map.entry("SimplifiedLayerNormalization", (g, i) -> layerNorm(g, i, true)),
                Map.entry(DOMAIN + ":FusedMatMul", ContribRewrites::fusedMatMul));
    }

    // ---- activations -------------------------------------------------------------------------------------

    private static Rewrite.Outcome gelu(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        ElementType t = floatType(g, n, 0);
        if (t == null) {
            return untyped(n);
        }
        Emitter e = g.emitter(i);
        erfGelu(e, n.getInput(0), t, n.getOutput(0));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("0.5·x·(1 + erf(x/√2)) as Div, Erf, Add, Mul, Mul (TensorRT fuses it into GELU)", ACTIVATION);
    }

    private static Rewrite.Outcome biasGelu(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        ElementType t = floatType(g, n, 0, 1);
        if (t == null) {
            return untyped(n);
        }
        Emitter e = g.emitter(i);
        erfGelu(e, e.add(n.getInput(0), n.getInput(1)), t, n.getOutput(0));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("Add then 0.5·x·(1 + erf(x/√2)) as standard ops", ACTIVATION);
    }

    private static void erfGelu(Emitter e, String x, ElementType t, String out) {
        String erf = e.unary("Erf", e.div(x, e.scalar(t, SQRT2)));
        String half = e.mul(x, e.scalar(t, 0.5));
        e.opTo(out, "Mul", List.of(half, e.add(erf, e.scalar(t, 1))));
    }

    private static Rewrite.Outcome fastGelu(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        ElementType t = floatType(g, n, 0, 1);
        if (t == null) {
            return untyped(n);
        }
        Emitter e = g.emitter(i);
        String x = input(n, 1).isEmpty() ? n.getInput(0) : e.add(n.getInput(0), n.getInput(1));
        // 0.5 * (1 + tanh(x * (C * x^2 + B))) * x, as ONNX Runtime's kernel groups it
        String inner = e.mul(x, e.add(e.mul(e.mul(x, x), e.scalar(t, TANH_GELU_C)), e.scalar(t, TANH_GELU_B)));
        String gate = e.mul(e.add(e.unary("Tanh", inner), e.scalar(t, 1)), e.scalar(t, 0.5));
        e.opTo(n.getOutput(0), "Mul", List.of(gate, x));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done((input(n, 1).isEmpty() ? "" : "Add bias, then ")
                + "tanh approximation 0.5·x·(1 + tanh(0.79788456·(x + 0.044715·x³))) as Mul, Add, Tanh", ACTIVATION);
    }

    private static Rewrite.Outcome quickGelu(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        ElementType t = floatType(g, n, 0);
        if (t == null) {
            return untyped(n);
        }
        float alpha = floatOf(n, "alpha", 1.702f);
        Emitter e = g.emitter(i);
        String x = n.getInput(0);
        String scaled = alpha == 1f ? x : e.mul(x, e.scalar(t, alpha));
        e.opTo(n.getOutput(0), "Mul", List.of(x, e.unary("Sigmoid", scaled)));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("x·sigmoid(" + alpha + "·x) as Mul, Sigmoid, Mul", ACTIVATION);
    }

    private static Rewrite.Outcome biasAdd(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        if (n.getInputCount() < 3) {
            return Rewrite.Outcome.declined("BiasAdd needs X, bias and skip; the node has " + n.getInputCount() + " inputs");
        }
        Emitter e = g.emitter(i);
        e.opTo(n.getOutput(0), "Add", List.of(e.add(n.getInput(0), n.getInput(1)), n.getInput(2)));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("(X + bias) + skip as two Adds, in ONNX Runtime's order", null);
    }

    // ---- normalizations ----------------------------------------------------------------------------------

    private static Rewrite.Outcome skipLayerNorm(GraphEdit g, int i, boolean rms) {
        NodeProto n = g.node(i);
        ElementType t = floatType(g, n, 0, 1, 2);
        if (t == null) {
            return untyped(n);
        }
        String mean = output(n, 1);
        if (rms && !mean.isEmpty()) {
            return Rewrite.Outcome.declined("SkipSimplifiedLayerNormalization has no mean output (ONNX Runtime does not "
                    + "compute it either), but output 1 '" + mean + "' is used");
        }
        float eps = floatOf(n, "epsilon", SKIP_LN_EPSILON);
        String gamma = n.getInput(2);
        String beta = rms ? "" : input(n, 3);
        String bias = rms ? input(n, 3) : input(n, 4);
        String sumOut = output(n, 3);
        Emitter e = g.emitter(i);
        String s;
        if (bias.isEmpty()) {
            s = sumOut.isEmpty() ? e.add(n.getInput(0), n.getInput(1)) : e.opTo(sumOut, "Add", List.of(n.getInput(0), n.getInput(1)));
        } else {
            String s0 = e.add(n.getInput(0), n.getInput(1));
            s = sumOut.isEmpty() ? e.add(s0, bias) : e.opTo(sumOut, "Add", List.of(s0, bias));
        }
        normalize(e, g, s, t, new long[] {-1}, eps, gamma, beta, rms, n.getOutput(0), mean, output(n, 2));
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("s = input + skip" + (bias.isEmpty() ? "" : " + bias") + (sumOut.isEmpty() ? "" : " (output 3)")
                + ", then " + (rms ? "RMS" : "layer") + " normalization over the last axis (epsilon " + eps + ")"
                + normalizationForm(g, rms, mean, output(n, 2)), rms ? RMS_NORMALIZATION : NORMALIZATION);
    }

    private static Rewrite.Outcome layerNorm(GraphEdit g, int i, boolean rms) {
        NodeProto n = g.node(i);
        ElementType t = floatType(g, n, 0, 1);
        if (t == null) {
            return untyped(n);
        }
        long axis = intOf(n, "axis", -1);
        float eps = floatOf(n, "epsilon", 1e-5f);
        long[] axes;
        if (axis < 0) {
            axes = new long[(int) -axis];
            for (int k = 0; k < axes.length; k++) {
                axes[k] = axis + k;
            }
        } else {
            Integer rank = g.rank(n.getInput(0));
            if (rank == null) {
                return Rewrite.Outcome.declined("axis " + axis + " needs the rank of '" + n.getInput(0)
                        + "', which is not declared; legalize with input shapes so shape discovery finds it");
            }
            axes = new long[(int) (rank - axis)];
            for (int k = 0; k < axes.length; k++) {
                axes[k] = axis + k;
            }
        }
        String scale = n.getInput(1);
        String bias = rms ? "" : input(n, 2);
        // SimplifiedLayerNormalization: outputs Y, inv_std_var; LayerNormalization: Y, Mean, InvStdDev.
        String mean = rms ? "" : output(n, 1);
        String invStd = rms ? output(n, 1) : output(n, 2);
        Emitter e = g.emitter(i);
        if (!rms && g.opset >= 17) {
            // The same operator, standardized in opset 17 with this signature.
            NodeProto.Builder b = n.toBuilder().setDomain("");
            g.replace(i, List.of(b.build()));
            return Rewrite.Outcome.done("the standard LayerNormalization (opset 17) with the same inputs and attributes", null);
        }
        normalize(e, g, n.getInput(0), t, axes, eps, scale, bias, rms, n.getOutput(0), mean, invStd);
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done((rms ? "RMS" : "layer") + " normalization over axes " + java.util.Arrays.toString(axes)
                + " (epsilon " + eps + ")" + normalizationForm(g, rms, mean, invStd), rms ? RMS_NORMALIZATION : NORMALIZATION);
    }

    private static String normalizationForm(GraphEdit g, boolean rms, String mean, String invStd) {
        if (rms) {
            return " as Mul, ReduceMean, Add, Sqrt, Div, Mul";
        }
        return g.opset >= 17 && mean.isEmpty() && invStd.isEmpty() ? " as the standard LayerNormalization"
                : " as ReduceMean, Sub, Mul, Add, Sqrt, Div";
    }

    /**
     * y = (x - mean) / sqrt(var + eps) · gamma (+ beta), or x / sqrt(mean(x²) + eps) · gamma for RMS; optional
     * mean and inverse standard deviation outputs (float).
     */
    private static void normalize(Emitter e, GraphEdit g, String x, ElementType t, long[] axes, float eps, String gamma,
                                  String beta, boolean rms, String out, String meanOut, String invStdOut) {
        boolean lastAxis = axes.length == 1 && axes[0] == -1;
        if (!rms && g.opset >= 17 && lastAxis && meanOut.isEmpty() && invStdOut.isEmpty()) {
            List<String> in = new ArrayList<>(List.of(x, gamma));
            if (!beta.isEmpty()) {
                in.add(beta);
            }
            e.opTo(out, "LayerNormalization", in, GraphEdit.intAttr("axis", -1), GraphEdit.floatAttr("epsilon", eps));
            return;
        }
        String centered = x;
        String mean = null;
        if (!rms) {
            mean = e.reduceMean(x, axes);
            centered = e.sub(x, mean);
        }
        String var = e.reduceMean(e.mul(centered, centered), axes);
        String std = e.unary("Sqrt", e.add(var, e.scalar(t, eps)));
        String normed = e.div(centered, std);
        if (beta.isEmpty()) {
            e.opTo(out, "Mul", List.of(normed, gamma));
        } else {
            e.opTo(out, "Add", List.of(e.mul(normed, gamma), beta));
        }
        if (!meanOut.isEmpty()) {
            floatOut(e, mean, t, meanOut);
        }
        if (!invStdOut.isEmpty()) {
            floatOut(e, e.unary("Reciprocal", std), t, invStdOut);
        }
    }

    private static void floatOut(Emitter e, String value, ElementType t, String out) {
        if (t == ElementType.FLOAT) {
            e.opTo(out, "Identity", List.of(value));
        } else {
            e.opTo(out, "Cast", List.of(value), GraphEdit.intAttr("to", ElementType.FLOAT.onnx()));
        }
    }

    // ---- FusedMatMul -------------------------------------------------------------------------------------

    private static Rewrite.Outcome fusedMatMul(GraphEdit g, int i) {
        NodeProto n = g.node(i);
        if (intOf(n, "transBatchA", 0) != 0 || intOf(n, "transBatchB", 0) != 0) {
            return Rewrite.Outcome.declined("FusedMatMul with transBatchA/transBatchB is not rewritten");
        }
        ElementType t = floatType(g, n, 0, 1);
        if (t == null) {
            return untyped(n);
        }
        Emitter e = g.emitter(i);
        String a = n.getInput(0);
        String b = n.getInput(1);
        for (String[] op : new String[][] {{"transA", a}, {"transB", b}}) {
            if (intOf(n, op[0], 0) == 0) {
                continue;
            }
            Integer rank = g.rank(op[1]);
            if (rank == null || rank < 2) {
                return Rewrite.Outcome.declined(op[0] + " needs the rank (>= 2) of '" + op[1] + "', which is "
                        + (rank == null ? "not declared; legalize with input shapes so shape discovery finds it" : rank));
            }
            long[] perm = new long[rank];
            for (int k = 0; k < rank; k++) {
                perm[k] = k;
            }
            perm[rank - 2] = rank - 1;
            perm[rank - 1] = rank - 2;
            String tr = e.op("Transpose", List.of(op[1]), GraphEdit.intsAttr("perm", perm));
            if (op[0].equals("transA")) {
                a = tr;
            } else {
                b = tr;
            }
        }
        float alpha = floatOf(n, "alpha", 1f);
        if (alpha == 1f) {
            e.opTo(n.getOutput(0), "MatMul", List.of(a, b));
        } else {
            e.opTo(n.getOutput(0), "Mul", List.of(e.op("MatMul", List.of(a, b)), e.scalar(t, alpha)));
        }
        g.replace(i, e.nodes());
        return Rewrite.Outcome.done("MatMul" + (intOf(n, "transA", 0) + intOf(n, "transB", 0) > 0 ? " of transposed operands" : "")
                + (alpha == 1f ? "" : " scaled by " + alpha), alpha == 1f ? null : MATMUL);
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static final Set<ElementType> FLOATS = Set.of(ElementType.FLOAT, ElementType.FLOAT16, ElementType.DOUBLE);

    /** The float type shared by the given inputs (the first one known), or {@code null}. */
    private static ElementType floatType(GraphEdit g, NodeProto n, int... inputs) {
        for (int k : inputs) {
            ElementType t = g.type(input(n, k));
            if (t != null) {
                return FLOATS.contains(t) ? t : null;
            }
        }
        return null;
    }

    private static Rewrite.Outcome untyped(NodeProto n) {
        return Rewrite.Outcome.declined("the element type of '" + n.getInput(0) + "' is unknown or not float16/float/double "
                + "(not declared and not inferable); legalize with input shapes so shape discovery finds it");
    }
}

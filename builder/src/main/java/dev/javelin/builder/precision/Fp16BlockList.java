package dev.javelin.builder.precision;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The operators {@link Fp16Converter} keeps in float32 by default, each with the reason. Float16 has 10
 * mantissa bits (about 3 significant decimal digits) and a largest finite value of 65504; the operators
 * here either produce values outside that range from inputs inside it, or add up many values so that the
 * sum outgrows it or loses the small terms. Matrix products and convolutions are not here: TensorRT and
 * ONNX Runtime accumulate their float16 dot products in float32.
 *
 * <p>Callers change the list per operator type with {@code Fp16Converter.Options.blockOps/allowOps} and
 * per node with {@code blockNodes/allowNodes}. Parts of decomposed normalizations (the epsilon Add, Sqrt
 * and Div after a reduction) are found by pattern in {@link Fp16NormalizationPattern}, not listed here,
 * because Add, Sqrt and Div are harmless elsewhere.
 */
public final class Fp16BlockList {
    private static final String SUMS = "sums many elements: the sum can exceed float16's 65504 and float16"
            + " accumulation drops the small terms";
    private static final String COORDINATES = "computes sampling coordinates: float16 cannot address pixels"
            + " exactly beyond 2048 and rounds fractional positions";

    private static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        // Reductions: the mean/variance of normalizations, pooling sums written as reductions.
        for (String op : new String[] {"ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL1", "ReduceL2",
                "ReduceLogSum", "ReduceLogSumExp", "ReduceProd"}) {
            m.put(op, SUMS);
        }
        m.put("CumSum", "running sums: " + SUMS);
        // Normalizations compute mean and variance over a whole axis internally.
        for (String op : new String[] {"LayerNormalization", "GroupNormalization", "InstanceNormalization",
                "MeanVarianceNormalization", "LpNormalization"}) {
            m.put(op, "normalizes with statistics over a whole axis (a variance of squared values overflows"
                    + " float16 and the epsilon, often 1e-12, underflows to 0)");
        }
        m.put("Softmax", "exponentiates and sums a row: exp overflows float16 for inputs above 11 and the"
                + " normalizing sum loses precision");
        m.put("LogSoftmax", "log of a sum of exponentials: same range and precision problems as Softmax");
        m.put("Exp", "exp(x) exceeds float16's 65504 for x > 11.09");
        m.put("Log", "log of small values: float16 flushes inputs below 6e-8 to 0 (log -> -inf) and loses"
                + " relative precision near 1");
        m.put("Pow", "powers leave float16's range quickly (x^2 overflows for |x| > 256), e.g. the variance of"
                + " a decomposed LayerNorm");
        m.put("Reciprocal", "1/x exceeds 65504 for |x| < 1.5e-5");
        m.put("Resize", COORDINATES);
        m.put("Upsample", COORDINATES);
        m.put("GridSample", COORDINATES);
        m.put("RoiAlign", COORDINATES);
        m.put("AffineGrid", COORDINATES);
        m.put("TopK", "selects by value: values equal in float16 but not in float32 reorder, and the indices"
                + " are the output");
        m.put("NonMaxSuppression", "box coordinates and IoU thresholds are float32 by the ONNX specification");
        m.put("Range", "generates index sequences: float16 steps stop being exact beyond 2048");
        m.put("DFT", "sums N products per output bin: " + SUMS);
        m.put("STFT", "sums N products per output bin: " + SUMS);
        m.put("SoftmaxCrossEntropyLoss", "log-softmax inside the loss: same problems as Softmax");
        m.put("NegativeLogLikelihoodLoss", "sums per-class losses: " + SUMS);
        DEFAULTS = Collections.unmodifiableMap(m);
    }

    private Fp16BlockList() {
    }

    /** The default block list: operator type (ai.onnx domain) to why it stays float32. */
    public static Map<String, String> defaults() {
        return DEFAULTS;
    }

    /** Why {@code op} is blocked by default, if it is. */
    public static Optional<String> reason(String op) {
        return Optional.ofNullable(DEFAULTS.get(op));
    }
}

package dev.javelin.builder.precision;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Error statistics of one output accumulated over samples: max and mean absolute error, max relative error,
 * the lowest per-sample cosine similarity, elements failing the {@link AccuracyTolerance}, and top-1
 * agreement when the output is a classifier's scores. Not thread-safe; one instance per output.
 */
public final class AccuracyStats {
    private final String name;
    private final AccuracyThresholds thresholds;
    private final AccuracyTolerance tolerance;
    private final boolean classifier;

    private Shape shape;
    private DType referenceType;
    private DType candidateType;
    private String problem;
    private int samples;
    private long elements;
    private double sumAbs;
    private double maxAbs;
    private double maxRel;
    private long failing;
    private double minCosine = Double.NaN;
    private long rows;
    private long rowMatches;

    /**
     * @param name       the output's name
     * @param thresholds what the output must meet (its tolerance is the element check)
     * @param classifier whether to measure top-1 agreement over the last axis; if false it is still measured
     *                   for outputs of rank 2 whose last dim is above 1 (class scores per row)
     */
    public AccuracyStats(String name, AccuracyThresholds thresholds, boolean classifier) {
        this.name = Objects.requireNonNull(name, "name");
        this.thresholds = Objects.requireNonNull(thresholds, "thresholds");
        this.tolerance = thresholds.tolerance();
        this.classifier = classifier;
    }

    /** Adds one sample's reference and candidate values of this output. */
    public void add(Tensor reference, Tensor candidate) {
        if (referenceType == null) {
            referenceType = reference.dtype();
            candidateType = candidate.dtype();
            shape = reference.shape();
        }
        if (!reference.shape().equals(candidate.shape())) {
            samples++;
            problem("shape " + candidate.shape() + " in the candidate, " + reference.shape() + " in the reference");
            return;
        }
        add(values(reference), values(candidate), reference.shape());
    }

    /** Records a problem that fails this output (first one wins), e.g. a missing output. */
    public void problem(String message) {
        if (problem == null) {
            problem = message;
        }
    }

    /** Adds one sample given as flat values of the given shape. */
    public void add(double[] reference, double[] candidate, Shape shape) {
        samples++;
        if (reference.length != candidate.length) {
            problem(candidate.length + " values in the candidate, " + reference.length + " in the reference");
            return;
        }
        if (this.shape == null) {
            this.shape = shape;
        }
        double dot = 0;
        double nr = 0;
        double nc = 0;
        for (int i = 0; i < reference.length; i++) {
            double r = reference[i];
            double c = candidate[i];
            double abs = AccuracyTolerance.absoluteError(r, c);
            double rel = AccuracyTolerance.relativeError(r, c);
            sumAbs += abs;
            if (!(abs <= maxAbs)) {
                maxAbs = Double.isNaN(maxAbs) ? maxAbs : abs; // NaN sticks once seen
            }
            if (!(rel <= maxRel)) {
                maxRel = Double.isNaN(maxRel) ? maxRel : rel;
            }
            if (tolerance.fails(r, c)) {
                failing++;
            }
            dot += r * c;
            nr += r * r;
            nc += c * c;
        }
        elements += reference.length;
        double cos = cosine(dot, nr, nc);
        if (Double.isNaN(minCosine) || !(cos >= minCosine)) {
            minCosine = cos;
        }
        if (isClassifier(shape)) {
            int classes = (int) shape.dim(shape.rank() - 1);
            for (int row = 0; row + classes <= reference.length; row += classes) {
                rows++;
                if (argmax(reference, row, classes) == argmax(candidate, row, classes)) {
                    rowMatches++;
                }
            }
        }
    }

    private boolean isClassifier(Shape s) {
        if (s.rank() == 0 || s.dim(s.rank() - 1) < 1) {
            return false;
        }
        return classifier || (s.rank() == 2 && s.dim(1) > 1);
    }

    /** Cosine similarity; two all-zero vectors are identical (1), one all-zero vector is orthogonal (0). */
    static double cosine(double dot, double normRefSq, double normCandSq) {
        if (normRefSq == 0 && normCandSq == 0) {
            return 1;
        }
        if (normRefSq == 0 || normCandSq == 0) {
            return 0;
        }
        return dot / (Math.sqrt(normRefSq) * Math.sqrt(normCandSq));
    }

    private static int argmax(double[] v, int from, int n) {
        int best = from;
        for (int i = from + 1; i < from + n; i++) {
            if (v[i] > v[best] || (Double.isNaN(v[i]) && !Double.isNaN(v[best]))) {
                best = i;
            }
        }
        return best - from;
    }

    /** A tensor's elements widened to double (float16 and integers exactly; bool as 0/1). */
    public static double[] values(Tensor t) {
        int n = Math.toIntExact(t.elementCount());
        double[] out = new double[n];
        switch (t.dtype()) {
            case FLOAT32, FLOAT16 -> {
                float[] f = t.toFloatArray();
                for (int i = 0; i < n; i++) {
                    out[i] = f[i];
                }
            }
            case INT32, INT64 -> {
                long[] l = t.toLongArray();
                for (int i = 0; i < n; i++) {
                    out[i] = l[i];
                }
            }
            case INT8, BOOL -> {
                ByteBuffer b = t.buffer();
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            case UINT8 -> {
                ByteBuffer b = t.buffer();
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) & 0xff;
                }
            }
        }
        return out;
    }

    /** The statistics so far, judged against the thresholds. */
    public AccuracyReport.OutputAccuracy result() {
        double top1 = rows == 0 ? Double.NaN : (double) rowMatches / rows;
        double mean = elements == 0 ? 0 : sumAbs / elements;
        String failure = problem;
        if (failure == null && samples == 0) {
            failure = "no samples compared";
        }
        if (failure == null && failing > 0) {
            failure = failing + " of " + elements + " elements exceed both atol " + thresholds.tolerance().atol()
                    + " and rtol " + thresholds.tolerance().rtol();
        }
        if (failure == null && !Double.isNaN(thresholds.minCosine()) && !(minCosine >= thresholds.minCosine())) {
            failure = "cosine similarity " + minCosine + " below " + thresholds.minCosine();
        }
        if (failure == null && !Double.isNaN(thresholds.minTop1()) && rows > 0 && !(top1 >= thresholds.minTop1())) {
            failure = "top-1 agreement " + top1 + " below " + thresholds.minTop1();
        }
        return new AccuracyReport.OutputAccuracy(name, shape, referenceType, candidateType, samples, elements,
                maxAbs, mean, maxRel, minCosine, top1, failing, failure == null, failure == null ? "" : failure);
    }
}

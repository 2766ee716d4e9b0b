package dev.javelin.builder.precision;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.javelin.builder.cli.Table;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far a candidate model's outputs are from a reference model's on the same inputs: per output the max
 * and mean absolute error, the max relative error, the lowest per-sample cosine similarity, elements out of
 * tolerance (Polygraphy's rule, {@link AccuracyTolerance}) and, for classifier-like outputs, top-1 agreement;
 * each output passes or fails against {@link AccuracyThresholds}.
 *
 * <pre>{@code
 * AccuracyReport r = AccuracyReport.run(CompareModel.of(fp32), CompareModel.of(fp16, "fp16"), samples,
 *         AccuracyReport.Options.of(AccuracyThresholds.of(1e-2, 1e-2)));
 * r.tableLines().forEach(System.out::println);
 * if (!r.passed()) ...
 * }</pre>
 *
 * <p>Both models run on ONNX Runtime CPU unless the options say otherwise. Float inputs are converted to the
 * precision each model declares (a candidate with float16 inputs gets the float32 samples rounded), so the
 * same samples serve a float32 model and its float16 conversion. The reference's outputs are the ones compared.
 *
 * @param reference  what the reference was ({@link CompareModel#label()} and backend)
 * @param candidate  what the candidate was
 * @param samples    number of input samples run
 * @param thresholds what was required
 * @param outputs    per reference output, in the reference's order
 */
public record AccuracyReport(String reference, String candidate, int samples, AccuracyThresholds thresholds,
                             List<OutputAccuracy> outputs) {
    private static final Logger LOG = LoggerFactory.getLogger(AccuracyReport.class);

    public AccuracyReport {
        outputs = List.copyOf(outputs);
    }

    /**
     * One output's errors over all samples.
     *
     * @param name          output name
     * @param shape         the reference's shape in the first sample (null if never produced)
     * @param referenceType element type in the reference
     * @param candidateType element type in the candidate
     * @param samples       samples compared
     * @param elements      elements compared over all samples
     * @param maxAbs        largest absolute error (NaN if a NaN appeared on one side only)
     * @param meanAbs       mean absolute error
     * @param maxRel        largest relative error (against the reference)
     * @param cosine        lowest cosine similarity of one sample's whole output (1 = same direction)
     * @param top1          fraction of rows whose argmax over the last axis agrees, NaN if not classifier-like
     * @param failing       elements failing the tolerance (both abs > atol and rel > rtol)
     * @param passed        whether every threshold was met
     * @param failure       why not, or empty
     */
    public record OutputAccuracy(String name, Shape shape, DType referenceType, DType candidateType, int samples,
                                 long elements, double maxAbs, double meanAbs, double maxRel, double cosine, double top1,
                                 long failing, boolean passed, String failure) {
    }

    /**
     * How to run a comparison.
     *
     * @param thresholds        what each output must meet
     * @param referenceOptions  session options (backend) of the reference
     * @param candidateOptions  session options of the candidate
     * @param classifierOutputs outputs to measure top-1 agreement on whatever their shape (rank-2 outputs with
     *                          more than one column are measured anyway)
     */
    public record Options(AccuracyThresholds thresholds, SessionOptions referenceOptions,
                          SessionOptions candidateOptions, Set<String> classifierOutputs) {
        public Options {
            Objects.requireNonNull(thresholds, "thresholds");
            Objects.requireNonNull(referenceOptions, "referenceOptions");
            Objects.requireNonNull(candidateOptions, "candidateOptions");
            classifierOutputs = classifierOutputs == null ? Set.of() : Set.copyOf(classifierOutputs);
        }

        /** Both models on ONNX Runtime CPU, judged by {@code thresholds}. */
        public static Options of(AccuracyThresholds thresholds) {
            SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).build();
            return new Options(thresholds, cpu, cpu, Set.of());
        }
    }

    /** Whether every output passed. */
    public boolean passed() {
        return outputs.stream().allMatch(OutputAccuracy::passed);
    }

    /** The output named {@code name}. */
    public OutputAccuracy output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no output '" + name + "' in the report; outputs: "
                        + outputs.stream().map(OutputAccuracy::name).toList()));
    }

    /**
     * Runs both models on every sample and compares their outputs. The samples are borrowed (not closed).
     *
     * @throws dev.javelin.runtime.ModelException              if a model cannot be loaded
     * @throws dev.javelin.runtime.InvalidInputException       naming the tensor, if a sample does not fit a model
     * @throws dev.javelin.runtime.BackendUnavailableException if a requested backend cannot run here
     */
    public static AccuracyReport run(CompareModel reference, CompareModel candidate, List<Map<String, Tensor>> samples,
                                     Options options) {
        Objects.requireNonNull(samples, "samples");
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples to compare on");
        }
        try (CompareModel.Opened ref = reference.open(options.referenceOptions());
             CompareModel.Opened cand = candidate.open(options.candidateOptions())) {
            Map<String, AccuracyStats> stats = new LinkedHashMap<>();
            for (String out : ref.session().signature().outputNames()) {
                stats.put(out, new AccuracyStats(out, options.thresholds(),
                        options.classifierOutputs().contains(out)));
            }
            for (int s = 0; s < samples.size(); s++) {
                try (Result r = runAdapted(ref.session(), samples.get(s));
                     Result c = runAdapted(cand.session(), samples.get(s))) {
                    compare(r.asMap(), c.asMap(), stats);
                }
                LOG.debug("compared sample {} of {}", s + 1, samples.size());
            }
            return new AccuracyReport(describe(reference, ref.session()), describe(candidate, cand.session()),
                    samples.size(), options.thresholds(), results(stats));
        }
    }

    /**
     * Compares outputs computed elsewhere, sample by sample (e.g. one model on two backends).
     *
     * @param referenceOutputs per sample, the reference's outputs by name
     * @param candidateOutputs per sample, the candidate's outputs by name
     */
    public static AccuracyReport of(String reference, String candidate, List<Map<String, Tensor>> referenceOutputs,
                                    List<Map<String, Tensor>> candidateOutputs, AccuracyThresholds thresholds,
                                    Set<String> classifierOutputs) {
        if (referenceOutputs.size() != candidateOutputs.size()) {
            throw new IllegalArgumentException(referenceOutputs.size() + " reference samples but "
                    + candidateOutputs.size() + " candidate samples");
        }
        Map<String, AccuracyStats> stats = new LinkedHashMap<>();
        for (int s = 0; s < referenceOutputs.size(); s++) {
            for (String out : referenceOutputs.get(s).keySet()) {
                stats.computeIfAbsent(out, k -> new AccuracyStats(k, thresholds, classifierOutputs.contains(k)));
            }
            compare(referenceOutputs.get(s), candidateOutputs.get(s), stats);
        }
        return new AccuracyReport(reference, candidate, referenceOutputs.size(), thresholds, results(stats));
    }

    private static String describe(CompareModel model, Session session) {
        return model.label() + " [" + session.backend() + "]";
    }

    private static void compare(Map<String, Tensor> ref, Map<String, Tensor> cand, Map<String, AccuracyStats> stats) {
        for (Map.Entry<String, AccuracyStats> e : stats.entrySet()) {
            Tensor r = ref.get(e.getKey());
            Tensor c = cand.get(e.getKey());
            if (r == null) {
                e.getValue().problem("missing from the reference's outputs");
            } else if (c == null) {
                e.getValue().problem("missing from the candidate's outputs (" + String.join(", ", cand.keySet()) + ")");
            } else {
                e.getValue().add(r, c);
            }
        }
    }

    private static List<OutputAccuracy> results(Map<String, AccuracyStats> stats) {
        return stats.values().stream().map(AccuracyStats::result).toList();
    }

    /**
     * Runs {@code session} on the sample's tensors for its inputs, each float input converted to the float
     * precision the model declares.
     */
    static Result runAdapted(Session session, Map<String, Tensor> sample) {
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        List<Tensor> converted = new ArrayList<>();
        try {
            for (TensorInfo in : session.signature().inputs()) {
                Tensor t = sample.get(in.name());
                if (t != null && t.dtype() != in.dtype() && isFloat(t.dtype()) && isFloat(in.dtype())) {
                    t = in.dtype() == DType.FLOAT16 ? Tensor.ofFloat16(t.toFloatArray(), t.shape())
                            : Tensor.of(t.toFloatArray(), t.shape());
                    converted.add(t);
                }
                if (t != null) {
                    feeds.put(in.name(), t);
                }
            }
            return session.run(feeds); // a missing input is reported here, by name
        } finally {
            converted.forEach(Tensor::close);
        }
    }

    private static boolean isFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT16;
    }

    // ---- rendering ------------------------------------------------------------------------------

    /** The report as aligned text: a header, one row per output, and the verdict. */
    public List<String> tableLines() {
        List<String> lines = new ArrayList<>();
        lines.add("reference  " + reference);
        lines.add("candidate  " + candidate);
        lines.add(String.format(Locale.ROOT, "tolerance  atol %s, rtol %s (an element fails only if it exceeds both)%s%s",
                num(thresholds.tolerance().atol()), num(thresholds.tolerance().rtol()),
                Double.isNaN(thresholds.minCosine()) ? "" : ", cosine >= " + num(thresholds.minCosine()),
                Double.isNaN(thresholds.minTop1()) ? "" : ", top-1 >= " + num(thresholds.minTop1())));
        lines.add("samples    " + samples);
        Table t = new Table(new String[] {"output", "shape", "max abs", "mean abs", "max rel", "cosine", "top-1",
                "failing", "result"}, false, false, true, true, true, true, true, true, false);
        for (OutputAccuracy o : outputs) {
            t.row(o.name(), o.shape() == null ? "?" : o.shape().toString(), num(o.maxAbs()), num(o.meanAbs()),
                    num(o.maxRel()), o.samples() == 0 ? "" : String.format(Locale.ROOT, "%.6f", o.cosine()),
                    Double.isNaN(o.top1()) ? "-" : String.format(Locale.ROOT, "%.4f", o.top1()),
                    Long.toString(o.failing()), o.passed() ? "ok" : "FAIL");
        }
        t.lines("  ").forEach(lines::add);
        for (OutputAccuracy o : outputs) {
            if (!o.passed()) {
                lines.add("FAIL " + o.name() + ": " + o.failure());
            }
        }
        lines.add(passed() ? "PASSED: every output within tolerance" : "FAILED: "
                + outputs.stream().filter(o -> !o.passed()).count() + " of " + outputs.size() + " outputs out of tolerance");
        return lines;
    }

    /**
     * The report as JSON: {@code reference}, {@code candidate}, {@code samples}, {@code atol}, {@code rtol},
     * {@code min_cosine}, {@code min_top1}, {@code passed}, and {@code outputs} (each {@code name}, {@code shape},
     * {@code dtype_reference}, {@code dtype_candidate}, {@code elements}, {@code max_abs}, {@code mean_abs},
     * {@code max_rel}, {@code cosine}, {@code top1}, {@code failing_elements}, {@code passed}, {@code failure}).
     * Values that do not apply or are NaN are null.
     */
    public String toJson() {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("reference", reference);
        root.put("candidate", candidate);
        root.put("samples", samples);
        put(root, "atol", thresholds.tolerance().atol());
        put(root, "rtol", thresholds.tolerance().rtol());
        put(root, "min_cosine", thresholds.minCosine());
        put(root, "min_top1", thresholds.minTop1());
        root.put("passed", passed());
        ArrayNode outs = root.putArray("outputs");
        for (OutputAccuracy o : outputs) {
            ObjectNode n = outs.addObject();
            n.put("name", o.name());
            if (o.shape() == null) {
                n.putNull("shape");
            } else {
                ArrayNode dims = n.putArray("shape");
                for (long d : o.shape().dims()) {
                    dims.add(d);
                }
            }
            n.put("dtype_reference", o.referenceType() == null ? null : o.referenceType().label());
            n.put("dtype_candidate", o.candidateType() == null ? null : o.candidateType().label());
            n.put("elements", o.elements());
            put(n, "max_abs", o.maxAbs());
            put(n, "mean_abs", o.meanAbs());
            put(n, "max_rel", o.maxRel());
            put(n, "cosine", o.samples() == 0 ? Double.NaN : o.cosine());
            put(n, "top1", o.top1());
            n.put("failing_elements", o.failing());
            n.put("passed", o.passed());
            n.put("failure", o.failure());
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot render the accuracy report as JSON", e);
        }
    }

    private static void put(ObjectNode n, String key, double v) {
        if (Double.isNaN(v)) {
            n.putNull(key);
        } else if (Double.isInfinite(v)) {
            n.put(key, v > 0 ? "Infinity" : "-Infinity"); // JSON has no infinity
        } else {
            n.put(key, v);
        }
    }

    private static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        if (v == 0) {
            return "0";
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? "%.4g" : "%.3e", v);
    }
}

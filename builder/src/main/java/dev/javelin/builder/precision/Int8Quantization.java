package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.LiftConstants;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.OpsetUpgrade;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INT8 post-training quantization, ONNX in and ONNX out: places Q/DQ pairs ({@link QdqPlacement}), finds the
 * activation scales by calibration on ONNX Runtime CPU ({@link ActivationCalibration}) or from a legacy
 * TensorRT calibration cache ({@link CalibrationCache}), and rewrites the model ({@link QdqInserter}). The
 * result is plain ONNX that TensorRT builds as a strongly typed int8 network and ONNX Runtime CPU runs with
 * its integer kernels.
 *
 * <pre>{@code
 * OnnxModel model = OnnxModel.load(Path.of("model.onnx"));
 * CalibrationData data = CalibrationData.fromDirectory(Path.of("calib"), model).limit(64);
 * Int8Quantization.Outcome out = Int8Quantization.calibrate(model, data,
 *         Int8Quantization.Options.of(Calibrator.ENTROPY));
 * out.model().write(Path.of("model.int8.onnx"));
 * out.report().lines().forEach(System.out::println);
 * }</pre>
 */
public final class Int8Quantization {
    private static final Logger LOG = LoggerFactory.getLogger(Int8Quantization.class);

    /**
     * What to do.
     *
     * @param calibration calibrator and its parameters
     * @param exclude     node names or op types to keep in float
     */
    public record Options(ActivationCalibration.Options calibration, List<String> exclude) {
        public Options {
            Objects.requireNonNull(calibration, "calibration");
            exclude = List.copyOf(exclude);
        }

        /** The calibrator with its defaults, nothing excluded. */
        public static Options of(Calibrator calibrator) {
            return new Options(ActivationCalibration.Options.of(calibrator), List.of());
        }

        /** The same with these exclusions. */
        public Options excluding(List<String> names) {
            return new Options(calibration, names);
        }
    }

    /**
     * What was done.
     *
     * @param preparation what was done to the model before quantizing (opset upgrade, constants lifted)
     * @param scales   where the activation scales came from
     * @param plan     the placement (quantized and skipped nodes)
     * @param inserted what the rewrite inserted
     * @param amax     clipping range per quantized activation
     */
    public record Report(List<String> preparation, String scales, QdqPlacement.Plan plan, QdqInserter.Report inserted,
                         Map<String, Double> amax) {
        public Report {
            preparation = List.copyOf(preparation);
        }

        /** A human-readable summary. */
        public List<String> lines() {
            List<String> l = new ArrayList<>();
            preparation.forEach(p -> l.add("prepared: " + p));
            l.add("activation scales: " + scales);
            l.add("quantized nodes: " + inserted.nodeCount() + " " + inserted.quantizedNodes() + "; "
                    + inserted.activationPairs() + " activation Q/DQ pairs, " + inserted.weights()
                    + " per-channel int8 weights (" + mib(inserted.weightBytesBefore()) + " -> "
                    + mib(inserted.weightBytesAfter()) + ")");
            Map<String, Map<String, Integer>> reasons = new TreeMap<>();
            for (QdqPlacement.Skipped s : plan.skipped()) {
                reasons.computeIfAbsent(s.opType(), k -> new TreeMap<>()).merge(s.reason(), 1, Integer::sum);
            }
            if (reasons.isEmpty()) {
                l.add("left in float: none");
            }
            reasons.forEach((op, byReason) -> byReason.forEach((reason, n) ->
                    l.add("left in float: " + n + " x " + op + ": " + reason)));
            return l;
        }

        private static String mib(long bytes) {
            return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                    : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
    }

    /** The quantized model and the report. */
    public record Outcome(OnnxModel model, Report report) {
    }

    private Int8Quantization() {
    }

    /**
     * Quantizes with scales calibrated on {@code data}.
     *
     * @throws IllegalArgumentException                  if an exclusion matches nothing
     * @throws dev.javelin.runtime.InvalidInputException if a calibration sample does not fit the model
     */
    public static Outcome calibrate(OnnxModel original, CalibrationData data, Options options) {
        List<String> notes = new ArrayList<>();
        OnnxModel model = prepare(original, notes);
        QdqPlacement.Plan plan = QdqPlacement.plan(model, options.exclude());
        LOG.info("{}: {} nodes to quantize, {} activations to calibrate with {} on {}", model.displayName(),
                plan.targets().size(), plan.activations().size(), options.calibration().describe(), data.describe());
        Map<String, Double> amax = plan.activations().isEmpty() ? Map.of()
                : ActivationCalibration.run(model, plan.activations(), data, options.calibration()).amax();
        QdqInserter.Outcome out = QdqInserter.apply(model, plan, amax);
        String source = options.calibration().describe() + " calibration over " + data.describe();
        return new Outcome(out.model(), new Report(notes, source, plan, out.report(), onlyPlanned(amax, plan)));
    }

    /**
     * Brings the model into the form the quantizer works on: {@code Constant} nodes become initializers (weights
     * some exporters store as nodes) and opsets 11-12 are raised to 13 (per-channel Q/DQ). Both keep the model's
     * meaning; the calibration runs on the prepared model, so tensor names and values are those it has.
     */
    static OnnxModel prepare(OnnxModel model, List<String> notes) {
        LiftConstants.Outcome lifted = LiftConstants.apply(model);
        if (lifted.lifted() > 0) {
            notes.add(lifted.lifted() + " Constant nodes made initializers");
        }
        OpsetUpgrade.Outcome up = OpsetUpgrade.to13(lifted.model());
        if (up.changed()) {
            notes.add("opset " + up.from() + " -> " + OpsetUpgrade.TARGET + " (" + up.rewritten().size()
                    + " nodes rewritten)");
            up.rewritten().forEach(r -> LOG.debug("opset upgrade: {}", r));
        }
        return up.model();
    }

    /**
     * Quantizes with the activation scales of a legacy TensorRT calibration cache instead of calibrating.
     * Nodes whose activation inputs the cache does not list stay in float (as Model Optimizer does); cache
     * entries for tensors that are not quantized here are ignored.
     */
    public static Outcome fromCache(OnnxModel original, CalibrationCache.Contents cache, String cacheName,
                                    List<String> exclude) {
        List<String> notes = new ArrayList<>();
        OnnxModel model = prepare(original, notes);
        Map<String, Double> amax = cache.amax();
        QdqPlacement.Plan plan = QdqPlacement.plan(model, exclude).keepOnly(amax::containsKey,
                "no scale in the calibration cache for");
        long used = plan.activations().stream().filter(amax::containsKey).count();
        LOG.info("{}: {} of {} cache entries used, {} nodes to quantize", model.displayName(), used, amax.size(),
                plan.targets().size());
        QdqInserter.Outcome out = QdqInserter.apply(model, plan, amax);
        String source = "calibration cache " + cacheName + " (" + cache.header() + ", " + used + " of "
                + amax.size() + " entries used)";
        return new Outcome(out.model(), new Report(notes, source, plan, out.report(), onlyPlanned(amax, plan)));
    }

    private static Map<String, Double> onlyPlanned(Map<String, Double> amax, QdqPlacement.Plan plan) {
        Map<String, Double> m = new LinkedHashMap<>();
        plan.activations().forEach(t -> m.put(t, amax.get(t)));
        return m;
    }
}

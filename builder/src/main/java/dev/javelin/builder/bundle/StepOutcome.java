package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.bundle.LegalizationDecision;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link GraphStep} produced.
 *
 * @param model     the model after the step
 * @param report    what the step did, one line each (shown on the terminal and kept in the manifest)
 * @param decisions per-node legalization decisions, for the manifest (empty for other steps)
 */
public record StepOutcome(OnnxModel model, List<String> report, List<LegalizationDecision> decisions) {
    public StepOutcome {
        Objects.requireNonNull(model, "model");
        report = List.copyOf(report);
        decisions = List.copyOf(decisions);
    }

    /** An outcome without legalization decisions. */
    public static StepOutcome of(OnnxModel model, List<String> report) {
        return new StepOutcome(model, report, List.of());
    }
}

package dev.javelin.builder.bundle;

import dev.javelin.runtime.bundle.Precision;
import java.util.ArrayList;
import java.util.List;

/**
 * The graph steps {@code javelin build} runs for some options, in order: checks, dimension names, legalization,
 * precision. This is where new steps plug in: the legalizer (rewrites of ops TensorRT lacks) before precision, the
 * FP16 converter and the INT8 quantizer for {@link Precision#FP16} and {@link Precision#INT8}.
 */
public final class GraphStepCatalogue {
    private GraphStepCatalogue() {
    }

    /**
     * The steps for {@code options}.
     *
     */
    public static List<GraphStep> forBuild(BuildOptions options) {
        List<GraphStep> steps = new ArrayList<>();
        steps.add(new CheckGraphStep());
        steps.add(new SeparateReusedDimNames());
        steps.add(new LegalizeStep(options.prefer()));
        switch (options.precision()) {
            case FP32 -> {
                // the model's own precision: nothing to convert
            }
            case FP16 -> steps.add(PrecisionSteps.fp16(options));
            case INT8 -> steps.add(PrecisionSteps.int8(options));
        }
        return List.copyOf(steps);
    }
}

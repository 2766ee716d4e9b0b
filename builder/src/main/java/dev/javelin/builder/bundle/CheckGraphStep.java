package dev.javelin.builder.bundle;

import dev.javelin.builder.onnx.ModelSummary;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.TensorRtOpSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Checks the graph (one producer per value, no dangling names, no cycles) and lists the ops TensorRT cannot
 * build with the reason and the planned remedy, so a build that will fail at the TensorRT step says why up
 * front. Leaves the model unchanged.
 */
public final class CheckGraphStep implements GraphStep {
    private final TensorRtOpSupport ops;

    /** Checks against the op table of the pinned TensorRT version. */
    public CheckGraphStep() {
        this(TensorRtOpSupport.pinned());
    }

    /** Checks against the given op table. */
    public CheckGraphStep(TensorRtOpSupport ops) {
        this.ops = ops;
    }

    @Override
    public String name() {
        return "check";
    }

    @Override
    public StepOutcome apply(OnnxModel model) {
        model.validate();
        ModelSummary s = ModelSummary.of(model, ops);
        List<String> report = new ArrayList<>();
        report.add(String.format(Locale.ROOT, "%d nodes, %d op types, opsets %s, %.1f MiB of weights", s.nodeCount(),
                s.ops().size(), s.opsets(), (s.initializerBytes() + s.constantBytes()) / 1048576.0));
        if (s.tensorRtUnsupported().isEmpty()) {
            report.add("every op is one TensorRT " + ops.tensorRtVersion() + " builds");
        }
        for (TensorRtOpSupport.Finding f : s.tensorRtUnsupported()) {
            report.add("TensorRT " + ops.tensorRtVersion() + " cannot build " + f.op() + " (" + f.count() + " node"
                    + (f.count() == 1 ? "" : "s") + (f.nodes().isEmpty() ? "" : ", e.g. " + f.nodes().get(0)) + "): " + f.reason() + "; plan: " + f.planLabel());
        }
        return StepOutcome.of(model, report);
    }
}

package dev.javelin.builder.bundle;

import dev.javelin.builder.legalize.Legalizer;
import dev.javelin.builder.legalize.NodeDecision;
import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.runtime.bundle.LegalizationDecision;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code legalize} step of {@code javelin build}: ops TensorRT cannot build are folded, rewritten into ops it
 * can build, or left for a Javelin kernel ({@link Legalizer}); every decision goes into the bundle manifest. A
 * model that keeps an op nothing handles still becomes a bundle (ONNX Runtime runs it); the report says which
 * ops stop the TensorRT build.
 */
final class LegalizeStep implements GraphStep {
    private final Prefer prefer;

    LegalizeStep(Prefer prefer) {
        this.prefer = prefer;
    }

    @Override
    public String name() {
        return "legalize";
    }

    @Override
    public StepOutcome apply(OnnxModel model) {
        Legalizer.Legalization l = Legalizer.with(Legalizer.Options.defaults().withPrefer(prefer)).apply(model);
        List<LegalizationDecision> decisions = new ArrayList<>();
        for (NodeDecision d : l.report().decisions()) {
            String detail = d.detail() + (d.tolerance() == null ? "" : " (tolerance " + d.tolerance() + ")");
            decisions.add(new LegalizationDecision(d.node(), d.op(), d.decision().label(), detail));
        }
        return new StepOutcome(l.model(), l.report().summary(), decisions);
    }
}

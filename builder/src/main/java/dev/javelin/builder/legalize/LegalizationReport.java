package dev.javelin.builder.legalize;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What legalization did, node by node, and what is left: a plain record (Jackson serializes and reads it as is)
 * meant for the engine bundle's manifest and for {@code javelin inspect}. JSON keys are the component names, plus
 * {@code fullyBuildable} (written, ignored when read back).
 *
 * @param tensorrtVersion   the TensorRT version whose op table was used
 * @param prefer            rewrite or kernels, for ops that have both
 * @param decisions         one entry per node TensorRT could not build, in graph order
 * @param remaining         op types of the legalized model TensorRT still cannot build (kernel ops included)
 * @param deadNodesRemoved  nodes removed because the rewrites left them without readers
 */
@JsonIgnoreProperties(value = "fullyBuildable", allowGetters = true)
public record LegalizationReport(String tensorrtVersion, Prefer prefer, List<NodeDecision> decisions,
                                 List<RemainingOp> remaining, int deadNodesRemoved) {
    public LegalizationReport {
        decisions = List.copyOf(decisions);
        remaining = List.copyOf(remaining);
    }

    /** Whether TensorRT can build every op of the legalized model (by the op table): nothing remains. */
    @JsonProperty("fullyBuildable")
    public boolean fullyBuildable() {
        return remaining.isEmpty();
    }

    /** Whether every remaining op is handled by a Javelin kernel (the model runs, split around them). */
    @JsonIgnore
    public boolean runnable() {
        return remaining.stream().allMatch(r -> r.handling().equals("kernel"));
    }

    /** Decisions of one kind. */
    public List<NodeDecision> decisions(Decision d) {
        return decisions.stream().filter(x -> x.decision() == d).toList();
    }

    /** Number of decisions of each kind. */
    @JsonIgnore
    public Map<Decision, Integer> counts() {
        Map<Decision, Integer> m = new EnumMap<>(Decision.class);
        for (NodeDecision d : decisions) {
            m.merge(d.decision(), 1, Integer::sum);
        }
        return m;
    }

    /** A few lines for a terminal or a log. */
    public List<String> summary() {
        List<String> l = new ArrayList<>();
        if (decisions.isEmpty()) {
            l.add("TensorRT " + tensorrtVersion + " builds every op: nothing to legalize");
            return l;
        }
        l.add(decisions.size() + " node(s) TensorRT " + tensorrtVersion + " cannot build: " + counts().entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().label()).collect(Collectors.joining(", "))
                + " (prefer " + prefer.label() + ")");
        if (fullyBuildable()) {
            l.add("after legalization TensorRT can build every op");
        } else {
            for (RemainingOp r : remaining) {
                l.add("remaining: " + r.op() + " x" + r.count() + " -> " + r.handling() + " (" + r.reason() + ")");
            }
        }
        return l;
    }
}

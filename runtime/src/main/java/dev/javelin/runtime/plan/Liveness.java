package dev.javelin.runtime.plan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which tensors of a plan live in its arena, and from which step to which: every tensor a step writes that is not a
 * model output (model outputs go to the caller's buffers), from the step that writes it to the last step that reads
 * it (the writing step itself when nothing reads it), and every kernel workspace during its own step.
 */
public final class Liveness {
    private Liveness() {
    }

    /** A tensor's lifetime in steps (inclusive). */
    public record Interval(String name, int firstStep, int lastStep) {
    }

    /** Arena residents in the order steps write them. */
    public static List<Interval> intervals(List<PlanStep> steps, List<String> modelOutputs) {
        Set<String> outputs = new HashSet<>(modelOutputs);
        Map<String, int[]> live = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            PlanStep s = steps.get(i);
            for (String in : s.inputs()) {
                int[] span = live.get(in);
                if (span != null) {
                    span[1] = i;
                }
            }
            if (s instanceof KernelNode k && k.workspaceBytes() != null) {
                live.put(k.workspaceName(), new int[] {i, i});
            }
            for (String out : s.outputs()) {
                if (!out.isEmpty() && !outputs.contains(out)) {
                    live.put(out, new int[] {i, i});
                }
            }
        }
        List<Interval> result = new ArrayList<>();
        live.forEach((name, span) -> result.add(new Interval(name, span[0], span[1])));
        return result;
    }

    /**
     * The arena for these steps with sizes from {@code maxBytes} (tensor name or workspace name to bytes).
     *
     * @throws IllegalArgumentException naming a resident without a size
     */
    public static ArenaPlan arena(List<PlanStep> steps, List<String> modelOutputs, Map<String, Long> maxBytes, long alignment,
                                  ArenaPlanner.Strategy strategy) {
        List<ArenaPlanner.Request> requests = new ArrayList<>();
        for (Interval iv : intervals(steps, modelOutputs)) {
            Long bytes = maxBytes.get(iv.name());
            if (bytes == null) {
                throw new IllegalArgumentException("no size bound for '" + iv.name() + "'");
            }
            requests.add(new ArenaPlanner.Request(iv.name(), bytes, iv.firstStep(), iv.lastStep()));
        }
        return ArenaPlanner.plan(requests, alignment, strategy);
    }
}

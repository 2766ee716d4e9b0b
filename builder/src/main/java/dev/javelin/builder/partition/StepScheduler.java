package dev.javelin.builder.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Orders the nodes of a graph into steps — engine segments and kernel nodes — with as few segments as possible.
 *
 * <p>Every node gets a segment number. A kernel node K passes on the highest number before it:
 * {@code last(K) = max(seg(P) for segment-node predecessors P, last(Q) for kernel predecessors Q, 0)}. A segment node
 * S takes the lowest number allowed: {@code seg(S) = max(1, seg(P) for segment predecessors, last(K) + 1 for kernel
 * predecessors)} — it shares a segment with its segment-node predecessors and comes after every kernel it depends on.
 * Steps are then: kernels with {@code last = 0}, segment 1, kernels with {@code last = 1}, segment 2, ... (kernels of
 * one group in topological order among themselves).
 *
 * <p>Why this is valid: a segment node's kernel predecessors run before its segment ({@code last(K) < seg(S)}); a
 * kernel's segment predecessors run in an earlier or its own preceding segment; two nodes of one segment are never
 * connected through a kernel (the number rises across one), so each segment is a closed sub-graph. Why it is
 * minimal: {@code seg(S)} is the largest number of segment-node runs separated by kernels on any path ending at S;
 * those runs must go into distinct, increasing segments in any valid order, so no plan has fewer segments than the
 * largest {@code seg}. Nodes that depend on no kernel all land in segment 1 (as early as possible), which keeps
 * segments few and large; their outputs may then live longer in the arena, which the liveness planner accounts for.
 */
final class StepScheduler {
    /** A step before it has names: a segment's node indices (topological order), or one kernel node. */
    record Step(boolean kernel, List<Integer> nodes) {
    }

    private StepScheduler() {
    }

    /**
     * @param order    node indices in topological order
     * @param kernel   whether node i is a kernel node
     * @param preds    predecessors of node i (nodes producing what it reads, its subgraphs' captures included)
     */
    static List<Step> schedule(List<Integer> order, boolean[] kernel, List<Set<Integer>> preds) {
        int n = kernel.length;
        int[] number = new int[n];
        int max = 0;
        for (int i : order) {
            int v = kernel[i] ? 0 : 1;
            for (int p : preds.get(i)) {
                int need = kernel[i] ? number[p] : (kernel[p] ? number[p] + 1 : number[p]);
                v = Math.max(v, need);
            }
            number[i] = v;
            max = Math.max(max, v);
        }
        List<Step> steps = new ArrayList<>();
        for (int j = 0; j <= max; j++) {
            if (j > 0) {
                List<Integer> segment = new ArrayList<>();
                for (int i : order) {
                    if (!kernel[i] && number[i] == j) {
                        segment.add(i);
                    }
                }
                if (!segment.isEmpty()) {
                    steps.add(new Step(false, segment));
                }
            }
            for (int i : order) {
                if (kernel[i] && number[i] == j) {
                    steps.add(new Step(true, List.of(i)));
                }
            }
        }
        return steps;
    }
}

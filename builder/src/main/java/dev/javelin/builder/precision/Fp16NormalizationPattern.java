package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.proto.NodeProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the float-sensitive tail of normalizations that exporters write out as elementary ops
 * (LayerNorm from PyTorch before opset 17, RMSNorm, L2 normalization):
 *
 * <pre>
 *   var = ReduceMean(d * d)      (the reduction is blocked by operator type)
 *   std = Sqrt(var + eps)        &lt;- the Add of eps and the Sqrt
 *   y   = d / std                &lt;- the Div (or d * Reciprocal(std))
 * </pre>
 *
 * In float16 the epsilon (1e-12 in BERT-family models, 1e-5 or 1e-6 elsewhere) rounds to 0 or to a coarse
 * subnormal, and a small variance then divides by (almost) zero; keeping the tail in float32 costs a few
 * elementwise ops per normalization. Add, Sqrt and Div elsewhere in a model are left alone.
 */
final class Fp16NormalizationPattern {
    static final String REASON = "tail of a decomposed normalization (reduction -> + eps -> Sqrt -> Div): the"
            + " epsilon underflows in float16 and the division amplifies the rounding of a small variance";

    private static final Set<String> REDUCTIONS = Set.of("ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2");

    private Fp16NormalizationPattern() {
    }

    /**
     * The indices of nodes in such tails, each with {@link #REASON}.
     *
     * @param nodes     the graph's nodes
     * @param producers tensor name to producing node index
     * @param consumers tensor name to consuming node indices
     * @param constants names of tensors that are constant (initializers, Constant outputs)
     */
    static Map<Integer, String> find(List<NodeProto> nodes, Map<String, Integer> producers,
                                     Map<String, List<Integer>> consumers, Set<String> constants) {
        Map<Integer, String> found = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (!isDefault(n) || n.getInputCount() < 1) {
                continue;
            }
            if (n.getOpType().equals("Sqrt")) {
                Integer p = producers.get(n.getInput(0));
                if (p == null) {
                    continue;
                }
                NodeProto pn = nodes.get(p);
                boolean matched = false;
                if (isReduction(pn)) {
                    matched = true;
                } else if (isDefault(pn) && pn.getOpType().equals("Add") && pn.getInputCount() == 2
                        && isEpsilonAdd(pn, nodes, producers, constants)) {
                    found.put(p, REASON);
                    matched = true;
                }
                if (matched) {
                    found.put(i, REASON);
                    markDivisions(n.getOutput(0), nodes, consumers, found);
                }
            } else if (n.getOpType().equals("Div") && n.getInputCount() == 2) {
                // x / ReduceL2(x) and the like: the divisor comes straight from a reduction.
                Integer p = producers.get(n.getInput(1));
                if (p != null && isReduction(nodes.get(p))) {
                    found.put(i, REASON);
                }
            }
        }
        return found;
    }

    private static boolean isEpsilonAdd(NodeProto add, List<NodeProto> nodes, Map<String, Integer> producers,
                                        Set<String> constants) {
        for (int k = 0; k < 2; k++) {
            Integer r = producers.get(add.getInput(k));
            if (r != null && isReduction(nodes.get(r)) && constants.contains(add.getInput(1 - k))) {
                return true;
            }
        }
        return false;
    }

    private static void markDivisions(String std, List<NodeProto> nodes, Map<String, List<Integer>> consumers,
                                      Map<Integer, String> found) {
        for (int c : consumers.getOrDefault(std, List.of())) {
            NodeProto cn = nodes.get(c);
            if (!isDefault(cn)) {
                continue;
            }
            if ((cn.getOpType().equals("Div") && cn.getInputCount() == 2 && cn.getInput(1).equals(std))
                    || cn.getOpType().equals("Reciprocal")) {
                found.put(c, REASON);
            }
        }
    }

    private static boolean isReduction(NodeProto n) {
        return isDefault(n) && REDUCTIONS.contains(n.getOpType());
    }

    private static boolean isDefault(NodeProto n) {
        return OpKey.isDefaultDomain(n.getDomain());
    }
}

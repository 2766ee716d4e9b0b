package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.runtime.ModelException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The attributes the ONNX specification marks <em>required</em> for common default-domain operators, and a check
 * that every node has them. A node without one is not a model any runtime can load (ONNX Runtime refuses it at
 * session creation, TensorRT's parser at import); finding it here names the node and what is missing before
 * any pass works on a model that was never valid.
 *
 * <p>Rows are per operator and opset range: some attributes became inputs in later opsets ({@code Unsqueeze.axes}
 * at 13, {@code Slice.starts/ends} at 10, {@code Pad.pads} at 11, {@code TopK.k} at 10), and then they are no
 * longer required as attributes. Operators with only optional attributes ({@code Transpose.perm},
 * {@code Gather.axis}, {@code Split.split}, {@code Softmax.axis}, ...) are not listed. {@code Constant} must have
 * exactly one of its value attributes.
 */
public final class RequiredAttributes {
    private RequiredAttributes() {
    }

    /**
     * One row.
     *
     * @param op        default-domain op type
     * @param attribute the attribute that must be present
     * @param since     first opset where the row applies
     * @param until     first opset where it no longer applies ({@link Long#MAX_VALUE} for all later ones)
     * @param meaning   what the attribute says, for the message
     */
    public record Requirement(String op, String attribute, long since, long until, String meaning) {
        boolean applies(String opType, long opset) {
            return op.equals(opType) && opset >= since && opset < until;
        }
    }

    private static final long ALL = Long.MAX_VALUE;

    private static final List<Requirement> TABLE = List.of(
            new Requirement("Cast", "to", 1, ALL, "the element type to cast to"),
            new Requirement("Concat", "axis", 4, ALL, "the axis to concatenate along"),
            new Requirement("ConcatFromSequence", "axis", 11, ALL, "the axis to concatenate along"),
            new Requirement("DepthToSpace", "blocksize", 1, ALL, "the block size"),
            new Requirement("SpaceToDepth", "blocksize", 1, ALL, "the block size"),
            new Requirement("MaxPool", "kernel_shape", 1, ALL, "the pooling window"),
            new Requirement("AveragePool", "kernel_shape", 1, ALL, "the pooling window"),
            new Requirement("LpPool", "kernel_shape", 1, ALL, "the pooling window"),
            new Requirement("MaxRoiPool", "pooled_shape", 1, ALL, "the output size of each region"),
            new Requirement("LRN", "size", 1, ALL, "the number of channels to sum over"),
            new Requirement("If", "then_branch", 1, ALL, "the graph run when the condition is true"),
            new Requirement("If", "else_branch", 1, ALL, "the graph run when the condition is false"),
            new Requirement("Loop", "body", 1, ALL, "the loop body graph"),
            new Requirement("Scan", "body", 8, ALL, "the scan body graph"),
            new Requirement("Scan", "num_scan_inputs", 8, ALL, "how many inputs are scanned"),
            new Requirement("SequenceMap", "body", 17, ALL, "the graph applied to each element"),
            new Requirement("Einsum", "equation", 12, ALL, "the Einstein summation equation"),
            new Requirement("BitShift", "direction", 11, ALL, "LEFT or RIGHT"),
            new Requirement("RandomNormal", "shape", 1, ALL, "the output shape"),
            new Requirement("RandomUniform", "shape", 1, ALL, "the output shape"),
            new Requirement("GroupNormalization", "num_groups", 18, ALL, "the number of channel groups"),
            new Requirement("Unsqueeze", "axes", 1, 13, "the axes to insert; an input from opset 13"),
            new Requirement("Slice", "starts", 1, 10, "the start indices; an input from opset 10"),
            new Requirement("Slice", "ends", 1, 10, "the end indices; an input from opset 10"),
            new Requirement("Pad", "pads", 2, 11, "the padding amounts; an input from opset 11"),
            new Requirement("TopK", "k", 1, 10, "how many elements to keep; an input from opset 10"),
            new Requirement("Upsample", "scales", 7, 9, "the scale per dimension; an input from opset 9"),
            new Requirement("TfIdfVectorizer", "mode", 9, ALL, "TF, IDF or TFIDF"),
            new Requirement("TfIdfVectorizer", "min_gram_length", 9, ALL, "the shortest n-gram"),
            new Requirement("TfIdfVectorizer", "max_gram_length", 9, ALL, "the longest n-gram"),
            new Requirement("TfIdfVectorizer", "max_skip_count", 9, ALL, "the largest skip"),
            new Requirement("TfIdfVectorizer", "ngram_counts", 9, ALL, "where each n-gram length starts in the pool"),
            new Requirement("TfIdfVectorizer", "ngram_indexes", 9, ALL, "the output index of each n-gram"));

    private static final Set<String> CONSTANT_VALUES = Set.of("value", "value_float", "value_floats", "value_int",
            "value_ints", "value_string", "value_strings", "sparse_value");

    /** Every row, in documentation order. */
    public static List<Requirement> table() {
        return TABLE;
    }

    /**
     * Checks every default-domain node of the main graph and its subgraphs against the table for the model's
     * default opset.
     *
     * @throws ModelException naming the graph, the node and the missing attribute (with what it means)
     */
    public static void check(OnnxModel model) {
        long opset = model.defaultOpset();
        Deque<OnnxGraph> todo = new ArrayDeque<>();
        todo.add(model.graph());
        while (!todo.isEmpty()) {
            OnnxGraph g = todo.poll();
            List<NodeProto> nodes = g.nodes();
            for (int i = 0; i < nodes.size(); i++) {
                checkNode(g, nodes.get(i), i, opset);
                todo.addAll(g.subgraphs(i));
            }
        }
    }

    private static void checkNode(OnnxGraph g, NodeProto n, int index, long opset) {
        if (!OpKey.isDefaultDomain(n.getDomain())) {
            return;
        }
        Set<String> present = new HashSet<>();
        for (AttributeProto a : n.getAttributeList()) {
            present.add(a.getName());
        }
        if (n.getOpType().equals("Constant")) {
            long values = present.stream().filter(CONSTANT_VALUES::contains).count();
            if (values != 1) {
                throw new ModelException("graph '" + g.path() + "': node " + OnnxGraph.describe(n, index) + " has "
                        + (values == 0 ? "no value attribute" : values + " value attributes "
                        + present.stream().filter(CONSTANT_VALUES::contains).sorted().toList())
                        + "; a Constant needs exactly one of " + CONSTANT_VALUES.stream().sorted().toList());
            }
            return;
        }
        for (Requirement r : TABLE) {
            if (r.applies(n.getOpType(), opset) && !present.contains(r.attribute())) {
                throw new ModelException("graph '" + g.path() + "': node " + OnnxGraph.describe(n, index)
                        + " has no attribute '" + r.attribute() + "' (" + r.meaning() + "), which the ONNX specification "
                        + "requires for " + r.op() + " at opset " + opset);
            }
        }
    }
}

package dev.javelin.builder.onnx;

import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.TensorShapeProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.runtime.ModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Specializes a model on constant inputs (ONNX in, ONNX out): each named graph input becomes an initializer
 * holding the given value, small constant subgraphs are evaluated far enough to decide {@code If} conditions,
 * every {@code If} whose condition became constant is replaced by the nodes of the branch it would take, and
 * nodes and initializers nothing reads any more are removed.
 *
 * <p>Fixed input shapes ({@code NAME=1x512}) go further: those inputs get static dims, and every top-level
 * {@code Shape}/{@code Size} node whose operand's shape is <em>shape-static</em> (below) becomes a constant, so
 * conditions such as {@code Equal(Gather(Shape(x), 0), 1)} fold and their {@code If}s inline too; folding and
 * inlining repeat until nothing changes. The shape values come from a discovery run on ONNX Runtime CPU with
 * the fixed shapes (zero-filled inputs; the candidate {@code Shape}/{@code Size} outputs exposed as graph
 * outputs), never from Javelin's own shape arithmetic. Discovery is honest only for tensors whose shape cannot
 * depend on input data, so the rule is conservative: a tensor is <em>value-static</em> if it is a (non-input)
 * initializer, the output of a deterministic standard op whose inputs are all value-static, or the output of a
 * {@code Shape}/{@code Size} of a shape-static tensor; it is <em>shape-static</em> if it is value-static, a graph
 * input with a fully static shape, or the output of a standard op from a fixed list whose output shape is a
 * function of its input shapes and attributes alone (elementwise, Conv, MatMul, LSTM, Transpose, Concat,
 * Gather, ...), all of whose inputs are shape-static and whose shape-giving inputs (Reshape/Expand/Tile shape,
 * Slice starts/ends/axes/steps, Pad pads, Squeeze/Unsqueeze/Reduce axes, ...) are value-static. Anything else —
 * data-dependent ops (NonZero, Unique, NonMaxSuppression, Compress, TopK with a non-constant k), ops with
 * subgraphs (If, Loop, Scan: an {@code If} only becomes ordinary graph once inlined), other domains, random
 * ops — stops the propagation.
 *
 * <p>Why: a model such as Silero VAD selects its 16 kHz or 8 kHz network with {@code If(sr == 16000)} on every
 * call. A stream whose sample rate never changes pays for that dispatch (a nested session state per run) and
 * hides the taken branch from ONNX Runtime's graph optimizations; inlined, the branch is ordinary graph.
 *
 * <p>Inlining: names the branch defines (its initializers and node outputs) get the prefix
 * {@code <If node name>/}, except that a node output which is a branch output takes the {@code If}'s output
 * name directly; a branch output that the branch does not produce with a node (an outer or initializer name)
 * is bound through an {@code Identity}. References to renamed names inside nested subgraphs are renamed too
 * (ONNX names are unique across scopes, so no shadowing can be hit). Folding only decides conditions; folded
 * nodes that still have readers stay for ONNX Runtime to fold itself.
 */
public final class SpecializeInputs {
    /** Initializers larger than this are not read for folding (conditions come from small tensors). */
    private static final long FOLD_MAX_ELEMENTS = 4096;

    private SpecializeInputs() {
    }

    /**
     * What the pass did.
     *
     * @param replaced     inputs turned into constants, as {@code name=value}
     * @param ifsInlined   {@code If} nodes replaced by their taken branch, as {@code name -> then|else}
     * @param nodesRemoved nodes removed as dead (not counting the inlined {@code If} nodes)
     * @param nodesBefore  top-level nodes before
     * @param nodesAfter   top-level nodes after
     * @param shapesFixed  inputs given static shapes, as {@code name=d0xd1...}
     * @param shapesFolded {@code Shape}/{@code Size} nodes replaced by constants, as {@code name=[values]}
     */
    public record Report(List<String> replaced, List<String> ifsInlined, int nodesRemoved, int nodesBefore,
                         int nodesAfter, List<String> shapesFixed, List<String> shapesFolded) {
        /** Human-readable lines. */
        public List<String> lines() {
            List<String> l = new ArrayList<>();
            l.add("constant inputs: " + String.join(", ", replaced));
            if (!shapesFixed.isEmpty()) {
                l.add("fixed input shapes: " + String.join(", ", shapesFixed));
                l.add("Shape/Size nodes folded: " + (shapesFolded.isEmpty() ? "none" : String.join(", ", shapesFolded)));
            }
            l.add("If nodes inlined: " + (ifsInlined.isEmpty() ? "none" : String.join(", ", ifsInlined)));
            l.add("dead nodes removed: " + nodesRemoved + "; top-level nodes " + nodesBefore + " -> " + nodesAfter);
            return l;
        }
    }

    /** The specialized model and the report. */
    public record Outcome(OnnxModel model, Report report) {
    }

    /**
     * Parses {@code NAME=VALUE[,VALUE...]} pairs, e.g. {@code sr=16000}.
     *
     * @throws IllegalArgumentException naming the pair if it has no '=' or no name
     */
    public static Map<String, String> parse(List<String> pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw new IllegalArgumentException("specialization '" + p + "': expected NAME=VALUE, e.g. sr=16000");
            }
            out.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
        }
        return out;
    }

    /**
     * Parses {@code NAME=D0xD1x...} pairs, e.g. {@code input=1x512} ({@code NAME=} alone is a scalar).
     *
     * @throws IllegalArgumentException naming the pair if it has no '=' or a dim is not a non-negative integer
     */
    public static Map<String, long[]> parseShapes(List<String> pairs) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("shape '" + p + "': expected NAME=D0xD1..., e.g. input=1x512");
            }
            String dims = p.substring(eq + 1).trim();
            long[] d;
            try {
                d = dims.isEmpty() ? new long[0] : Arrays.stream(dims.split("[x,]")).mapToLong(x -> Long.parseLong(x.trim())).toArray();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape '" + p + "': dims must be integers, e.g. input=1x512");
            }
            if (Arrays.stream(d).anyMatch(x -> x < 0)) {
                throw new IllegalArgumentException("shape '" + p + "': dims must be >= 0");
            }
            out.put(p.substring(0, eq).trim(), d);
        }
        return out;
    }

    /** Applies the pass on constant values only; see {@link #apply(OnnxModel, Map, Map)}. */
    public static Outcome apply(OnnxModel model, Map<String, String> values) {
        return apply(model, values, Map.of());
    }

    /**
     * Applies the pass.
     *
     * @param values input name -> value text (one number, or comma-separated numbers for a 1-D input or an
     *               input whose static shape holds that many elements)
     * @param shapes input name -> fixed shape; when non-empty, Shape/Size nodes are folded as described above
     *               (this opens an ONNX Runtime CPU session on the model once per folding round)
     * @throws ModelException naming the input if it is not a graph input, is not a numeric tensor, or the value
     *                        does not parse or does not fit its declared shape, or a fixed shape contradicts the
     *                        declared one
     */
    public static Outcome apply(OnnxModel model, Map<String, String> values, Map<String, long[]> shapes) {
        GraphProto g = model.proto().getGraph();
        int before = g.getNodeCount();
        GraphProto.Builder gb = g.toBuilder();
        List<String> replaced = new ArrayList<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            int idx = -1;
            for (int i = 0; i < gb.getInputCount(); i++) {
                if (gb.getInput(i).getName().equals(e.getKey())) {
                    idx = i;
                }
            }
            if (idx < 0) {
                throw new ModelException("cannot specialize '" + e.getKey() + "': not an input of " + model.displayName()
                        + " (inputs: " + gb.getInputList().stream().map(ValueInfoProto::getName).toList() + ")");
            }
            ValueInfoProto vi = gb.getInput(idx);
            TensorProto constant = constant(vi, e.getValue(), model.displayName());
            gb.removeInput(idx);
            // An input may also be listed as an initializer (a default value): the given value replaces it.
            for (int i = gb.getInitializerCount() - 1; i >= 0; i--) {
                if (gb.getInitializer(i).getName().equals(e.getKey())) {
                    gb.removeInitializer(i);
                }
            }
            gb.addInitializer(constant);
            replaced.add(e.getKey() + "=" + e.getValue());
        }
        List<String> fixed = new ArrayList<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            fixShape(gb, e.getKey(), e.getValue(), model.displayName());
            fixed.add(e.getKey() + "=" + Arrays.stream(e.getValue()).mapToObj(Long::toString).collect(Collectors.joining("x")));
        }
        List<String> inlined = new ArrayList<>();
        List<String> shapesFolded = new ArrayList<>();
        do {
            inlineConstantIfs(gb, model, inlined);
        } while (!shapes.isEmpty() && foldShapes(gb, model, shapesFolded));
        int afterInline = gb.getNodeCount();
        DeadNodeRemoval.pruneTopLevel(gb);
        int removed = afterInline - gb.getNodeCount();
        ModelProto out = model.proto().toBuilder().setGraph(gb.build()).build();
        OnnxGraph.of(out.getGraph()).validate();
        return new Outcome(model.withProto(out), new Report(replaced, inlined, removed, before, gb.getNodeCount(),
                fixed, shapesFolded));
    }

    private static void inlineConstantIfs(GraphProto.Builder gb, OnnxModel model, List<String> inlined) {
        while (true) {
            Map<String, Folded> constants = fold(gb, model);
            int target = -1;
            boolean thenBranch = false;
            for (int i = 0; i < gb.getNodeCount() && target < 0; i++) {
                NodeProto n = gb.getNode(i);
                if (n.getOpType().equals("If") && n.getDomain().isEmpty()) {
                    Folded c = constants.get(n.getInput(0));
                    if (c != null && c.values.length == 1) {
                        target = i;
                        thenBranch = c.values[0] != 0;
                    }
                }
            }
            if (target < 0) {
                break;
            }
            NodeProto ifNode = gb.getNode(target);
            String label = ifNode.getName().isEmpty() ? "if" + target : ifNode.getName();
            List<NodeProto> body = inline(gb, ifNode, thenBranch ? "then_branch" : "else_branch", label);
            gb.removeNode(target);
            for (int k = 0; k < body.size(); k++) {
                gb.addNode(target + k, body.get(k));
            }
            inlined.add(label + " -> " + (thenBranch ? "then" : "else"));
        }
    }

    private static TensorProto constant(ValueInfoProto vi, String text, String model) {
        if (!vi.getType().hasTensorType()) {
            throw new ModelException("cannot specialize '" + vi.getName() + "' of " + model + ": not a tensor input");
        }
        ElementType type = ElementType.fromOnnxOrNull(vi.getType().getTensorType().getElemType());
        String[] parts = text.split(",");
        long[] dims;
        List<Long> declared = new ArrayList<>();
        boolean staticShape = vi.getType().getTensorType().hasShape();
        if (staticShape) {
            for (TensorShapeProto.Dimension d : vi.getType().getTensorType().getShape().getDimList()) {
                if (d.hasDimValue()) {
                    declared.add(d.getDimValue());
                } else {
                    staticShape = false;
                }
            }
        }
        long declaredCount = declared.stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
        if (staticShape && declaredCount == parts.length) {
            dims = declared.stream().mapToLong(Long::longValue).toArray();
        } else if (staticShape) {
            throw new ModelException("cannot specialize '" + vi.getName() + "' of " + model + ": shape " + declared
                    + " needs " + declaredCount + " values, " + parts.length + " given");
        } else {
            dims = parts.length == 1 ? new long[0] : new long[] {parts.length};
        }
        if (type == null) {
            throw new ModelException("cannot specialize '" + vi.getName() + "': unknown element type");
        }
        ByteBuffer b = ByteBuffer.allocate((int) type.byteSize(parts.length)).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (String p : parts) {
                String s = p.trim();
                switch (type) {
                    case FLOAT -> b.putFloat(Float.parseFloat(s));
                    case DOUBLE -> b.putDouble(Double.parseDouble(s));
                    case INT64 -> b.putLong(Long.parseLong(s));
                    case INT32 -> b.putInt(Integer.parseInt(s));
                    case INT16 -> b.putShort(Short.parseShort(s));
                    case INT8, UINT8 -> b.put((byte) Integer.parseInt(s));
                    case BOOL -> b.put((byte) (Boolean.parseBoolean(s) || s.equals("1") ? 1 : 0));
                    default -> throw new ModelException("cannot specialize '" + vi.getName() + "' of " + model
                            + ": element type " + type + " is not supported (float32/64, int8/16/32/64, uint8, bool)");
                }
            }
        } catch (NumberFormatException e) {
            throw new ModelException("cannot specialize '" + vi.getName() + "' of " + model + ": '" + text
                    + "' is not a " + type + " value");
        }
        return Tensors.raw(vi.getName(), type, dims, b.array());
    }

    // ---- fixed shapes -------------------------------------------------------------------------------------

    private static void fixShape(GraphProto.Builder gb, String name, long[] dims, String model) {
        for (int i = 0; i < gb.getInputCount(); i++) {
            ValueInfoProto vi = gb.getInput(i);
            if (!vi.getName().equals(name)) {
                continue;
            }
            if (!vi.getType().hasTensorType()) {
                throw new ModelException("cannot fix the shape of '" + name + "' of " + model + ": not a tensor input");
            }
            TensorShapeProto declared = vi.getType().getTensorType().getShape();
            if (vi.getType().getTensorType().hasShape()) {
                if (declared.getDimCount() != dims.length) {
                    throw new ModelException("cannot fix the shape of '" + name + "' of " + model + " to "
                            + Arrays.toString(dims) + ": it has rank " + declared.getDimCount());
                }
                for (int k = 0; k < dims.length; k++) {
                    if (declared.getDim(k).hasDimValue() && declared.getDim(k).getDimValue() != dims[k]) {
                        throw new ModelException("cannot fix the shape of '" + name + "' of " + model + " to "
                                + Arrays.toString(dims) + ": dim " + k + " is declared " + declared.getDim(k).getDimValue());
                    }
                }
            }
            TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
            for (long d : dims) {
                sb.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            }
            ValueInfoProto.Builder vb = vi.toBuilder();
            vb.getTypeBuilder().getTensorTypeBuilder().setShape(sb);
            gb.setInput(i, vb);
            return;
        }
        throw new ModelException("cannot fix the shape of '" + name + "': not an input of " + model + " (inputs: "
                + gb.getInputList().stream().map(ValueInfoProto::getName).toList() + ")");
    }

    /** Ops whose output shapes follow from their input shapes and attributes (given the inputs below constant). */
    private static final Set<String> SHAPE_FROM_SHAPES = Set.of(
            "Identity", "Cast", "CastLike", "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Relu", "LeakyRelu",
            "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Erf", "Gelu",
            "Sin", "Cos", "Floor", "Ceil", "Round", "Sign", "Not", "IsNaN", "Clip", "Softmax", "LogSoftmax",
            "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "PRelu", "Where",
            "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor",
            "MatMul", "Gemm", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
            "GlobalMaxPool", "LpNormalization", "BatchNormalization", "InstanceNormalization", "LayerNormalization",
            "LSTM", "GRU", "RNN", "Transpose", "Concat", "Gather", "GatherElements", "Flatten", "DepthToSpace",
            "SpaceToDepth", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
            "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ArgMax", "ArgMin", "Squeeze", "Unsqueeze",
            "Reshape", "Expand", "Tile", "Slice", "Pad", "Split", "ConstantOfShape", "Range", "CumSum", "Trilu");

    /** For the ops above whose output shape reads input values: inputs from this index on must be value-static. */
    private static final Map<String, Integer> SHAPE_GIVING_INPUTS_FROM = Map.ofEntries(
            Map.entry("Reshape", 1), Map.entry("Expand", 1), Map.entry("Tile", 1), Map.entry("Slice", 1),
            Map.entry("Pad", 1), Map.entry("Split", 1), Map.entry("Squeeze", 1), Map.entry("Unsqueeze", 1),
            Map.entry("ConstantOfShape", 0), Map.entry("Range", 0), Map.entry("ReduceMean", 1),
            Map.entry("ReduceSum", 1), Map.entry("ReduceMax", 1), Map.entry("ReduceMin", 1), Map.entry("ReduceProd", 1),
            Map.entry("ReduceL1", 1), Map.entry("ReduceL2", 1), Map.entry("ReduceSumSquare", 1),
            Map.entry("ReduceLogSumExp", 1));

    /**
     * One folding round: finds the top-level Shape/Size nodes over shape-static operands (rule in the class
     * comment), learns their values from one ONNX Runtime run and replaces them by constants.
     *
     * @return whether anything was folded
     */
    private static boolean foldShapes(GraphProto.Builder gb, OnnxModel model, List<String> folded) {
        Set<String> inputs = new HashSet<>();
        Set<String> valueStatic = new HashSet<>();
        Set<String> shapeStatic = new HashSet<>();
        Map<String, long[]> inputShapes = new LinkedHashMap<>();
        for (ValueInfoProto in : gb.getInputList()) {
            inputs.add(in.getName());
            long[] dims = staticDims(in);
            if (dims != null) {
                shapeStatic.add(in.getName());
                inputShapes.put(in.getName(), dims);
            }
        }
        for (TensorProto t : gb.getInitializerList()) {
            if (!inputs.contains(t.getName())) {
                valueStatic.add(t.getName());
            }
        }
        shapeStatic.addAll(valueStatic);
        valueStatic.add(""); // an omitted optional input
        shapeStatic.add("");
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < gb.getNodeCount(); i++) {
            NodeProto n = gb.getNode(i);
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx") || hasSubgraph(n)) {
                continue;
            }
            String op = n.getOpType();
            boolean allValues = !ConstantFolding.NONDETERMINISTIC.contains(op) && valueStatic.containsAll(n.getInputList());
            boolean shapeOf = (op.equals("Shape") || op.equals("Size")) && n.getInputCount() == 1
                    && shapeStatic.contains(n.getInput(0));
            if (shapeOf) {
                candidates.add(i); // also a Shape of a constant: the fold of conditions does not evaluate Shape
            }
            if (allValues || shapeOf) {
                valueStatic.addAll(n.getOutputList());
                shapeStatic.addAll(n.getOutputList());
            } else if (SHAPE_FROM_SHAPES.contains(op) && shapeStatic.containsAll(n.getInputList())) {
                int from = SHAPE_GIVING_INPUTS_FROM.getOrDefault(op, Integer.MAX_VALUE);
                boolean givingStatic = true;
                for (int k = from; k < n.getInputCount(); k++) {
                    givingStatic &= valueStatic.contains(n.getInput(k));
                }
                if (givingStatic) {
                    shapeStatic.addAll(n.getOutputList());
                }
            }
        }
        if (candidates.isEmpty() || inputShapes.size() != gb.getInputCount()) {
            return false; // nothing to fold, or some input has no fixed shape to run the discovery with
        }
        Map<String, long[]> values = discover(gb, model, candidates, inputShapes);
        if (values == null) {
            return false;
        }
        Set<String> graphOutputs = gb.getOutputList().stream().map(ValueInfoProto::getName).collect(Collectors.toSet());
        for (int k = candidates.size() - 1; k >= 0; k--) {
            int i = candidates.get(k);
            NodeProto n = gb.getNode(i);
            String out = n.getOutput(0);
            long[] v = values.get(out);
            long[] dims = n.getOpType().equals("Size") ? new long[0] : new long[] {v.length};
            TensorProto t = Tensors.int64s(out, dims, v);
            if (graphOutputs.contains(out)) {
                // A graph output stays a node output (an initializer is not a graph output everywhere).
                gb.setNode(i, NodeProto.newBuilder().setOpType("Constant").setName(n.getName()).addOutput(out)
                        .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                                .setT(t)));
            } else {
                gb.removeNode(i);
                gb.addInitializer(t);
            }
            folded.add(0, (n.getName().isEmpty() ? out : n.getName()) + "=" + Arrays.toString(v));
        }
        return true;
    }

    private static boolean hasSubgraph(NodeProto n) {
        return n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    }

    private static long[] staticDims(ValueInfoProto vi) {
        if (!vi.getType().hasTensorType() || !vi.getType().getTensorType().hasShape()) {
            return null;
        }
        List<TensorShapeProto.Dimension> d = vi.getType().getTensorType().getShape().getDimList();
        if (d.stream().anyMatch(x -> !x.hasDimValue())) {
            return null;
        }
        return d.stream().mapToLong(TensorShapeProto.Dimension::getDimValue).toArray();
    }

    /** Runs the model once on ONNX Runtime CPU with zero inputs of the fixed shapes; the candidates' values. */
    private static Map<String, long[]> discover(GraphProto.Builder gb, OnnxModel model, List<Integer> candidates,
                                                Map<String, long[]> inputShapes) {
        // The probe computes only the candidates (all in the shape-static cone), so the zero inputs cannot trip a
        // data-dependent op elsewhere in the model.
        GraphProto.Builder probe = gb.build().toBuilder().clearOutput();
        List<String> names = new ArrayList<>();
        for (int i : candidates) {
            String out = gb.getNode(i).getOutput(0);
            names.add(out);
            ValueInfoProto.Builder vb = ValueInfoProto.newBuilder().setName(out);
            vb.getTypeBuilder().getTensorTypeBuilder().setElemType(ElementType.INT64.onnx());
            probe.addOutput(vb);
        }
        DeadNodeRemoval.pruneTopLevel(probe);
        Map<String, TensorProto> feeds = new LinkedHashMap<>();
        for (ValueInfoProto in : gb.getInputList()) {
            ElementType t = ElementType.fromOnnxOrNull(in.getType().getTensorType().getElemType());
            if (t == null || !t.isFixedWidth()) {
                return null; // an input type that cannot be fed as dense bytes: no discovery, no folding
            }
            feeds.put(in.getName(), OrtCpu.zeros(in.getName(), t, inputShapes.get(in.getName())));
        }
        // No graph rewrites (OrtCpu runs unoptimized): ONNX Runtime would fold the exposed Shape outputs into
        // initializers itself; the probe only has to run the graph as written.
        Map<String, TensorProto> out = OrtCpu.evaluate(model.withProto(model.proto().toBuilder().setGraph(probe).build()), feeds);
        Map<String, long[]> values = new HashMap<>();
        for (String name : names) {
            values.put(name, Tensors.toLongs(Tensors.rawBytes(out.get(name), null)));
        }
        return values;
    }

    // ---- folding --------------------------------------------------------------------------------------

    /** A small constant: values widened to double (exact for the integers and booleans conditions use). */
    private record Folded(ElementType type, long[] dims, double[] values) {
    }

    private static Map<String, Folded> fold(GraphProto.Builder g, OnnxModel model) {
        Map<String, Folded> c = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            Folded f = read(t, model);
            if (f != null) {
                c.put(t.getName(), f);
            }
        }
        // Graph inputs shadow initializers of the same name (defaults a caller may override): not constant.
        for (ValueInfoProto in : g.getInputList()) {
            c.remove(in.getName());
        }
        for (NodeProto n : g.getNodeList()) {
            if (!n.getDomain().isEmpty() || n.getOutputCount() != 1) {
                continue;
            }
            Folded r = evaluate(n, c, model);
            if (r != null) {
                c.put(n.getOutput(0), r);
            }
        }
        return c;
    }

    private static Folded read(TensorProto t, OnnxModel model) {
        ElementType type = ElementType.fromOnnxOrNull(t.getDataType());
        if (type == null || Tensors.elementCount(t) > FOLD_MAX_ELEMENTS) {
            return null;
        }
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Tensors.rawBytes(t, model.directory().orElse(null))).order(ByteOrder.LITTLE_ENDIAN);
        } catch (ModelException e) {
            return null;
        }
        int n = (int) Tensors.elementCount(t);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            switch (type) {
                case FLOAT -> v[i] = b.getFloat();
                case DOUBLE -> v[i] = b.getDouble();
                case INT64 -> v[i] = b.getLong();
                case INT32 -> v[i] = b.getInt();
                case INT16 -> v[i] = b.getShort();
                case INT8 -> v[i] = b.get();
                case UINT8, BOOL -> v[i] = b.get() & 0xff;
                default -> {
                    return null;
                }
            }
        }
        return new Folded(type, t.getDimsList().stream().mapToLong(Long::longValue).toArray(), v);
    }

    private static Folded evaluate(NodeProto n, Map<String, Folded> c, OnnxModel model) {
        List<Folded> in = new ArrayList<>();
        for (String name : n.getInputList()) {
            Folded f = c.get(name);
            if (f == null) {
                return null;
            }
            in.add(f);
        }
        switch (n.getOpType()) {
            case "Constant" -> {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        return read(a.getT(), model);
                    }
                }
                return null;
            }
            case "Identity" -> {
                return in.get(0);
            }
            case "Gather" -> {
                // Conditions gather one dim out of a folded shape: 1-D data, axis 0.
                Folded data = in.get(0);
                Folded idx = in.get(1);
                if (data.dims.length != 1 || intAttr(n, "axis", 0) != 0) {
                    return null;
                }
                double[] v = new double[idx.values.length];
                for (int i = 0; i < v.length; i++) {
                    long k = (long) idx.values[i];
                    k = k < 0 ? k + data.values.length : k;
                    if (k < 0 || k >= data.values.length) {
                        return null; // ONNX Runtime reports the bad index
                    }
                    v[i] = data.values[(int) k];
                }
                return new Folded(data.type, idx.dims, v);
            }
            case "Squeeze", "Unsqueeze" -> {
                Folded x = in.get(0);
                long[] axes = in.size() > 1 ? Arrays.stream(in.get(1).values).mapToLong(d -> (long) d).toArray()
                        : longsAttr(n, "axes");
                List<Long> dims = new ArrayList<>();
                Arrays.stream(x.dims).forEach(dims::add);
                if (n.getOpType().equals("Squeeze")) {
                    if (axes == null) {
                        dims.removeIf(d -> d == 1);
                    } else {
                        long[] norm = Arrays.stream(axes).map(a -> a < 0 ? a + x.dims.length : a).sorted().toArray();
                        for (int k = norm.length - 1; k >= 0; k--) {
                            if (norm[k] < 0 || norm[k] >= dims.size() || dims.get((int) norm[k]) != 1) {
                                return null;
                            }
                            dims.remove((int) norm[k]);
                        }
                    }
                } else {
                    if (axes == null) {
                        return null;
                    }
                    int rank = x.dims.length + axes.length;
                    long[] norm = Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
                    for (long a : norm) {
                        if (a < 0 || a > dims.size()) {
                            return null;
                        }
                        dims.add((int) a, 1L);
                    }
                }
                return new Folded(x.type, dims.stream().mapToLong(Long::longValue).toArray(), x.values);
            }
            case "Not" -> {
                return map(in.get(0), ElementType.BOOL, x -> x == 0 ? 1 : 0);
            }
            case "Cast" -> {
                ElementType to = null;
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("to")) {
                        to = ElementType.fromOnnxOrNull((int) a.getI());
                    }
                }
                if (to == ElementType.BOOL) {
                    return map(in.get(0), to, x -> x != 0 ? 1 : 0);
                }
                if (to == ElementType.INT64 || to == ElementType.INT32) {
                    return map(in.get(0), to, x -> (double) (long) x);
                }
                return to == ElementType.FLOAT || to == ElementType.DOUBLE ? map(in.get(0), to, x -> x) : null;
            }
            case "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor",
                 "Add", "Sub", "Mul" -> {
                if (in.size() != 2) {
                    return null;
                }
                Folded a = in.get(0);
                Folded b = in.get(1);
                boolean logical = !Set.of("Add", "Sub", "Mul").contains(n.getOpType());
                if (!logical && (a.type != ElementType.INT64 && a.type != ElementType.INT32)) {
                    return null; // float arithmetic is left to ONNX Runtime (rounding must match it exactly)
                }
                long[] dims;
                int count;
                if (a.values.length == 1 && a.dims.length <= b.dims.length) {
                    dims = b.dims;
                    count = b.values.length;
                } else if (b.values.length == 1 && b.dims.length <= a.dims.length) {
                    dims = a.dims;
                    count = a.values.length;
                } else if (Arrays.equals(a.dims, b.dims)) {
                    dims = a.dims;
                    count = a.values.length;
                } else {
                    return null; // general broadcasting is not needed for conditions
                }
                double[] v = new double[count];
                for (int i = 0; i < count; i++) {
                    double x = a.values[a.values.length == 1 ? 0 : i];
                    double y = b.values[b.values.length == 1 ? 0 : i];
                    v[i] = switch (n.getOpType()) {
                        case "Equal" -> x == y ? 1 : 0;
                        case "Greater" -> x > y ? 1 : 0;
                        case "Less" -> x < y ? 1 : 0;
                        case "GreaterOrEqual" -> x >= y ? 1 : 0;
                        case "LessOrEqual" -> x <= y ? 1 : 0;
                        case "And" -> x != 0 && y != 0 ? 1 : 0;
                        case "Or" -> x != 0 || y != 0 ? 1 : 0;
                        case "Xor" -> (x != 0) != (y != 0) ? 1 : 0;
                        case "Add" -> (double) ((long) x + (long) y);
                        case "Sub" -> (double) ((long) x - (long) y);
                        default -> (double) ((long) x * (long) y);
                    };
                }
                return new Folded(logical ? ElementType.BOOL : a.type, dims, v);
            }
            default -> {
                return null;
            }
        }
    }

    private static long intAttr(NodeProto n, String name, long dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return dflt;
    }

    private static long[] longsAttr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return null;
    }

    private static Folded map(Folded f, ElementType type, java.util.function.DoubleUnaryOperator op) {
        double[] v = new double[f.values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = op.applyAsDouble(f.values[i]);
        }
        return new Folded(type, f.dims, v);
    }

    // ---- inlining -------------------------------------------------------------------------------------

    /** The taken branch's nodes, renamed into the parent; its initializers and value infos are added to {@code g}. */
    private static List<NodeProto> inline(GraphProto.Builder g, NodeProto ifNode, String attr, String label) {
        GraphProto branch = null;
        for (AttributeProto a : ifNode.getAttributeList()) {
            if (a.getName().equals(attr) && a.hasG()) {
                branch = a.getG();
            }
        }
        if (branch == null) {
            throw new ModelException("If node '" + label + "' has no " + attr);
        }
        if (branch.getOutputCount() != ifNode.getOutputCount()) {
            throw new ModelException("If node '" + label + "': " + attr + " has " + branch.getOutputCount()
                    + " outputs, the node " + ifNode.getOutputCount());
        }
        Set<String> producedByNodes = new HashSet<>();
        for (NodeProto n : branch.getNodeList()) {
            producedByNodes.addAll(n.getOutputList());
        }
        Map<String, String> rename = new HashMap<>();
        for (TensorProto t : branch.getInitializerList()) {
            rename.put(t.getName(), label + "/" + t.getName());
        }
        for (NodeProto n : branch.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    rename.put(o, label + "/" + o);
                }
            }
        }
        List<NodeProto> identities = new ArrayList<>();
        Set<String> bound = new HashSet<>();
        for (int k = 0; k < branch.getOutputCount(); k++) {
            String inner = branch.getOutput(k).getName();
            String outer = ifNode.getOutput(k);
            if (outer.isEmpty()) {
                continue; // an optional If output nobody reads
            }
            if (producedByNodes.contains(inner) && bound.add(inner)) {
                rename.put(inner, outer);
            } else {
                identities.add(NodeProto.newBuilder().setOpType("Identity").setName(label + "/out" + k)
                        .addInput(inner).addOutput(outer).build());
            }
        }
        for (TensorProto t : branch.getInitializerList()) {
            g.addInitializer(t.toBuilder().setName(rename.get(t.getName())));
        }
        for (ValueInfoProto v : branch.getValueInfoList()) {
            if (rename.containsKey(v.getName())) {
                g.addValueInfo(v.toBuilder().setName(rename.get(v.getName())));
            }
        }
        List<NodeProto> out = new ArrayList<>();
        for (NodeProto n : branch.getNodeList()) {
            NodeProto.Builder nb = renameNode(n, rename).toBuilder();
            nb.setName(label + "/" + (n.getName().isEmpty() ? n.getOpType() + out.size() : n.getName()));
            out.add(nb.build());
        }
        for (NodeProto id : identities) {
            out.add(renameNode(id, rename).toBuilder().setOutput(0, id.getOutput(0)).build());
        }
        return out;
    }

    private static NodeProto renameNode(NodeProto n, Map<String, String> rename) {
        NodeProto.Builder b = n.toBuilder();
        for (int i = 0; i < b.getInputCount(); i++) {
            b.setInput(i, rename.getOrDefault(b.getInput(i), b.getInput(i)));
        }
        for (int i = 0; i < b.getOutputCount(); i++) {
            b.setOutput(i, rename.getOrDefault(b.getOutput(i), b.getOutput(i)));
        }
        for (int i = 0; i < b.getAttributeCount(); i++) {
            AttributeProto a = b.getAttribute(i);
            if (a.hasG() || a.getGraphsCount() > 0) {
                AttributeProto.Builder ab = a.toBuilder();
                if (a.hasG()) {
                    ab.setG(renameRefs(a.getG(), rename));
                }
                for (int k = 0; k < a.getGraphsCount(); k++) {
                    ab.setGraphs(k, renameRefs(a.getGraphs(k), rename));
                }
                b.setAttribute(i, ab);
            }
        }
        return b.build();
    }

    /** A nested subgraph with its references to renamed outer names renamed (its own names are unique). */
    private static GraphProto renameRefs(GraphProto g, Map<String, String> rename) {
        GraphProto.Builder b = g.toBuilder();
        for (int i = 0; i < b.getNodeCount(); i++) {
            b.setNode(i, renameNode(b.getNode(i), rename));
        }
        for (int i = 0; i < b.getOutputCount(); i++) {
            String name = b.getOutput(i).getName();
            if (rename.containsKey(name)) {
                b.setOutput(i, b.getOutput(i).toBuilder().setName(rename.get(name)));
            }
        }
        return b.build();
    }
}

package dev.javelin.builder.precision;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.builder.onnx.OpKey;
import dev.javelin.builder.onnx.Tensors;
import dev.javelin.builder.onnx.proto.AttributeProto;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.builder.onnx.proto.ValueInfoProto;
import dev.javelin.builder.precision.Fp16Decisions.Keep;
import dev.javelin.builder.precision.Fp16Decisions.Role;
import dev.javelin.runtime.Float16;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the mixed-precision graph for a set of {@link Fp16Decisions}: decides the precision each float value is
 * produced in and which precisions its readers need, names each variant, converts weights, rewrites Cast and
 * ConstantOfShape targets, and inserts a Cast wherever a value is produced in one precision and read in the other.
 *
 * <p>Naming: a value keeps its name in the precision it is pinned to — a graph output's declared type, float32
 * for values If/Loop bodies capture — or else in the precision it is produced in; the other precision, when
 * needed, is {@code name_fp16} / {@code name_fp32} (numbered if taken). So model outputs and captured values keep
 * their names, and a producer whose precision differs writes the suffixed name followed by a Cast.
 */
final class Fp16Rewriter {
    private final Fp16Graph g;
    private final Fp16Decisions d;
    private final boolean keepIoTypes;
    private final Map<String, EnumSet<Fp16Precision>> needs = new HashMap<>();
    private final Map<String, Fp16Precision> home = new HashMap<>();
    private final Map<String, Fp16Precision> pinned = new HashMap<>();
    private final Map<String, EnumMap<Fp16Precision, String>> names = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> casts = new ArrayList<>();
    private int weightsConverted;
    private int weightCopies;
    private long clamped;

    Fp16Rewriter(Fp16Graph g, Fp16Decisions d, boolean keepIoTypes) {
        this.g = g;
        this.d = d;
        this.keepIoTypes = keepIoTypes;
        collectNeeds();
        assignHomes();
        assignNames();
    }

    // ---- placement -------------------------------------------------------------------------------

    private void need(String tensor, Fp16Precision p) {
        needs.computeIfAbsent(tensor, k -> EnumSet.noneOf(Fp16Precision.class)).add(p);
    }

    private EnumSet<Fp16Precision> needsOf(String t) {
        return needs.getOrDefault(t, EnumSet.noneOf(Fp16Precision.class));
    }

    /** The precision input {@code k} of COMPUTE node {@code n} reads. */
    private Fp16Precision readPrecision(int i, NodeProto n, int k) {
        return Fp16OpRules.fixedInput(n.getOpType(), g.opset, k) ? Fp16Precision.F32 : d.precision(i);
    }

    /** The precision every reader of every float value needs. */
    private void collectNeeds() {
        for (int i : g.order) {
            NodeProto n = g.nodes.get(i);
            if (d.role(i) == Role.COMPUTE) {
                for (int k : g.floatDataInputs(n)) {
                    need(n.getInput(k), readPrecision(i, n, k));
                }
            }
        }
        for (String t : g.implicitReads) {
            if (g.isFloat(t)) {
                need(t, Fp16Precision.F32);
                pinned.put(t, Fp16Precision.F32);
            }
        }
        for (String out : g.outputs) {
            if (!g.isFloat(out)) {
                continue;
            }
            Fp16Precision p = keepIoTypes ? Fp16Precision.F32 : Fp16Precision.F16;
            if (p == Fp16Precision.F16 && g.implicitReads.contains(out)) {
                notes.add("output '" + out + "' stays float32: a subgraph reads it under that name");
                p = Fp16Precision.F32;
            }
            need(out, p);
            pinned.put(out, p);
        }
    }

    /** The precision each float value is produced in. */
    private void assignHomes() {
        for (String in : g.inputs) {
            if (!g.isFloat(in)) {
                continue;
            }
            Fp16Precision p = Fp16Precision.F32;
            if (!keepIoTypes) {
                if (g.implicitReads.contains(in)) {
                    notes.add("input '" + in + "' stays float32: a subgraph reads it under that name");
                } else {
                    p = Fp16Precision.F16;
                }
            }
            home.put(in, p);
            pinned.put(in, p);
        }
        for (String t : g.initializers.keySet()) {
            if (g.isFloat(t)) {
                home.put(t, constantHome(t));
            }
        }
        for (int i : g.order) {
            NodeProto n = g.nodes.get(i);
            for (int k : g.floatOutputs(n)) {
                String t = n.getOutput(k);
                Fp16Precision p = switch (d.role(i)) {
                    case NEUTRAL -> Fp16Precision.F32;
                    case CONSTANT -> constantHome(t);
                    case FREE -> needsOf(t).equals(EnumSet.of(Fp16Precision.F16)) ? Fp16Precision.F16 : Fp16Precision.F32;
                    case COMPUTE -> d.precision(i) == Fp16Precision.F16
                            && !Fp16OpRules.fixedOutput(n.getOpType(), g.opset, k) ? Fp16Precision.F16 : Fp16Precision.F32;
                };
                home.put(t, p);
            }
        }
    }

    /** A weight is stored in the precision it is pinned to, else float16 if only float16 readers need it. */
    private Fp16Precision constantHome(String t) {
        if (pinned.containsKey(t)) {
            return pinned.get(t);
        }
        return needsOf(t).equals(EnumSet.of(Fp16Precision.F16)) ? Fp16Precision.F16 : Fp16Precision.F32;
    }

    private void assignNames() {
        for (Map.Entry<String, Fp16Precision> e : home.entrySet()) {
            String t = e.getKey();
            Fp16Precision h = e.getValue();
            EnumMap<Fp16Precision, String> m = new EnumMap<>(Fp16Precision.class);
            Fp16Precision p = pinned.get(t);
            if (p != null && p != h) {
                m.put(p, t);
                m.put(h, g.fresh(t, h.suffix));
            } else {
                m.put(h, t);
                if (needsOf(t).contains(h.other())) {
                    m.put(h.other(), g.fresh(t, h.other().suffix));
                }
            }
            names.put(t, m);
        }
    }

    private String nameOf(String t, Fp16Precision p) {
        return names.get(t).get(p);
    }

    // ---- rewriting -------------------------------------------------------------------------------

    /** The rewritten main graph. */
    GraphProto rewrite() {
        GraphProto graph = g.graph;
        GraphProto.Builder out = graph.toBuilder().clearNode().clearInitializer().clearValueInfo().clearInput()
                .clearOutput();
        for (ValueInfoProto in : graph.getInputList()) {
            out.addInput(g.isFloat(in.getName()) ? withType(in, in.getName(), home.get(in.getName())) : in);
        }
        for (TensorProto t : graph.getInitializerList()) {
            String name = t.getName();
            if (g.inputs.contains(name) && g.isFloat(name)) {
                // The default of an input a caller may override: it has the input's (possibly float16) type.
                out.addInitializer(home.get(name) == Fp16Precision.F16 ? toFloat16(t, name) : t);
                continue;
            }
            if (!g.initializers.containsKey(name) || !g.isFloat(name)) {
                out.addInitializer(t);
                continue;
            }
            Fp16Precision h = home.get(name);
            out.addInitializer(h == Fp16Precision.F16 ? toFloat16(t, name) : t);
            if (h == Fp16Precision.F16) {
                weightsConverted++;
            }
            Fp16Precision other = h.other();
            if (names.get(name).containsKey(other)) {
                out.addInitializer(other == Fp16Precision.F16 ? toFloat16(t, nameOf(name, other))
                        : t.toBuilder().setName(nameOf(name, other)).build());
                weightCopies++;
            }
        }
        for (String in : g.inputs) {
            if (g.isFloat(in)) {
                addCast(out, in);
            }
        }
        for (int i : g.order) {
            NodeProto n = g.nodes.get(i);
            out.addNode(rewriteNode(i, n));
            if (d.role(i) == Role.CONSTANT) {
                String t = n.getOutput(0);
                Fp16Precision other = home.get(t).other();
                if (names.get(t).containsKey(other)) {
                    out.addNode(constant(n, nameOf(t, other), other, g.fresh(n.getName().isEmpty() ? t : n.getName(),
                            other.suffix)));
                    weightCopies++;
                }
                continue;
            }
            for (int k : g.floatOutputs(n)) {
                addCast(out, n.getOutput(k));
            }
        }
        for (ValueInfoProto o : graph.getOutputList()) {
            String name = o.getName();
            out.addOutput(g.isFloat(name) ? withType(o, name, pinned.get(name)) : o);
        }
        for (ValueInfoProto v : graph.getValueInfoList()) {
            String name = v.getName();
            if (g.isFloat(name) && names.containsKey(name)) {
                names.get(name).forEach((p, n) -> out.addValueInfo(withType(v, n, p)));
            } else {
                out.addValueInfo(v);
            }
        }
        return out.build();
    }

    /** A Cast from where {@code t} is produced to the other precision, if a reader or its output needs it. */
    private void addCast(GraphProto.Builder out, String t) {
        Fp16Precision h = home.get(t);
        EnumMap<Fp16Precision, String> m = names.get(t);
        Fp16Precision to = h.other();
        if (m.containsKey(to)) {
            out.addNode(NodeProto.newBuilder().setOpType("Cast").setName(g.fresh("Fp16Cast/" + t, to.suffix))
                    .addInput(m.get(h)).addOutput(m.get(to))
                    .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                            .setI(to.type.onnx()))
                    .build());
            casts.add(t + " -> " + to.label);
        }
    }

    private NodeProto rewriteNode(int i, NodeProto n) {
        NodeProto.Builder b = n.toBuilder();
        for (int k = 0; k < n.getInputCount(); k++) {
            String in = n.getInput(k);
            if (!g.isFloat(in)) {
                continue;
            }
            // Readers with a precision of their own take that variant; any-type inputs (Cast, Shape) and nodes
            // without float data take the value as produced.
            boolean anyType = Fp16Graph.isDefault(n) && Fp16OpRules.anyTypeInput(n.getOpType(), k);
            Fp16Precision p = d.role(i) == Role.COMPUTE && !anyType ? readPrecision(i, n, k) : home.get(in);
            b.setInput(k, nameOf(in, p));
        }
        for (int k = 0; k < n.getOutputCount(); k++) {
            String out = n.getOutput(k);
            if (g.isFloat(out)) {
                b.setOutput(k, nameOf(out, home.get(out)));
            }
        }
        if (d.role(i) == Role.CONSTANT && home.get(n.getOutput(0)) == Fp16Precision.F16) {
            weightsConverted++;
            return constant(n, b.getOutput(0), Fp16Precision.F16, n.getName());
        }
        if (d.role(i) == Role.FREE && home.get(n.getOutput(0)) == Fp16Precision.F16) {
            if (n.getOpType().equals("Cast")) {
                setAttribute(b, AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                        .setI(ElementType.FLOAT16.onnx()).build());
            } else { // ConstantOfShape: its value attribute (default float 0) becomes float16
                TensorProto value = Fp16TypeInference.attr(n, "value").map(AttributeProto::getT)
                        .orElse(Tensors.floats("value", new long[] {1}, 0f));
                setAttribute(b, AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(toFloat16(value, value.getName())).build());
            }
        }
        return b.build();
    }

    private static void setAttribute(NodeProto.Builder b, AttributeProto a) {
        for (int k = 0; k < b.getAttributeCount(); k++) {
            if (b.getAttribute(k).getName().equals(a.getName())) {
                b.setAttribute(k, a);
                return;
            }
        }
        b.addAttribute(a);
    }

    /** A Constant node named {@code nodeName} producing {@code output}: the value of {@code n} in precision {@code p}. */
    private NodeProto constant(NodeProto n, String output, Fp16Precision p, String nodeName) {
        AttributeProto a = n.getAttribute(0);
        TensorProto value = a.getName().equals("value") ? a.getT()
                : Tensors.floats("value", a.getName().equals("value_float") ? new long[0]
                        : new long[] {a.getFloatsCount()}, g.constantValues(n));
        TensorProto converted = p == Fp16Precision.F16 ? toFloat16(value, value.getName()) : value;
        return NodeProto.newBuilder().setOpType("Constant").setName(nodeName).addOutput(output)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(converted))
                .build();
    }

    /** A float32 tensor as float16 raw data, values beyond +-65504 clamped (counted in the report). */
    private TensorProto toFloat16(TensorProto t, String name) {
        float[] v = Tensors.toFloats(g.model.tensorBytes(t));
        byte[] raw = new byte[v.length * 2];
        for (int k = 0; k < v.length; k++) {
            float x = v[k];
            if (Float.isFinite(x) && Math.abs(x) > Fp16AutoPolicy.FLOAT16_MAX) {
                x = Math.copySign((float) Fp16AutoPolicy.FLOAT16_MAX, x);
                clamped++;
            }
            short h = Float16.fromFloat(x);
            raw[2 * k] = (byte) h;
            raw[2 * k + 1] = (byte) (h >>> 8);
        }
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        return Tensors.raw(name, ElementType.FLOAT16, dims, raw).toBuilder().setDocString(t.getDocString()).build();
    }

    private static ValueInfoProto withType(ValueInfoProto v, String name, Fp16Precision p) {
        ValueInfoProto.Builder b = v.toBuilder().setName(name);
        b.getTypeBuilder().getTensorTypeBuilder().setElemType(p.type.onnx());
        return b.build();
    }

    // ---- report ----------------------------------------------------------------------------------

    /** What was done; call after {@link #rewrite()}. */
    Fp16Report report() {
        List<Fp16Report.NodeDecision> decisions = new ArrayList<>();
        for (int i = 0; i < g.nodes.size(); i++) {
            NodeProto n = g.nodes.get(i);
            if (d.role(i) == Role.COMPUTE) {
                Keep k = d.keep(i);
                decisions.add(new Fp16Report.NodeDecision(g.reportName(i), OpKey.of(n), k == null,
                        k == null ? "" : k.reason(), k == null ? "" : k.detail()));
            } else if (d.role(i) == Role.FREE) {
                boolean f16 = home.get(n.getOutput(0)) == Fp16Precision.F16;
                decisions.add(new Fp16Report.NodeDecision(g.reportName(i), OpKey.of(n), f16,
                        f16 ? "" : "produces float32 because a float32 node or output reads it", ""));
            }
        }
        long before = 0;
        long after = 0;
        for (String w : g.weights) {
            long n = g.weightElements(w);
            before += 4 * n;
            for (Fp16Precision p : names.get(w).keySet()) {
                after += (p == Fp16Precision.F16 ? 2 : 4) * n;
            }
        }
        List<String> allNotes = new ArrayList<>(notes);
        long subgraphNodes = g.nodes.stream().filter(Fp16Graph::hasSubgraph).count();
        if (subgraphNodes > 0) {
            allNotes.add(subgraphNodes + " node(s) with subgraphs (If/Loop/Scan): their bodies stay float32");
        }
        return new Fp16Report(decisions, casts, weightsConverted, weightCopies, clamped, before, after, allNotes);
    }
}

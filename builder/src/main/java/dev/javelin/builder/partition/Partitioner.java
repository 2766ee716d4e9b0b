package dev.javelin.builder.partition;

import dev.javelin.builder.legalize.Prefer;
import dev.javelin.builder.onnx.OnnxGraph;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.GraphProto;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.builder.onnx.proto.NodeProto;
import dev.javelin.builder.onnx.proto.TensorProto;
import dev.javelin.kernels.KernelOp;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.plan.ArenaPlan;
import dev.javelin.runtime.plan.EngineSegment;
import dev.javelin.runtime.plan.KernelNode;
import dev.javelin.runtime.plan.KernelStepRunner;
import dev.javelin.runtime.plan.Liveness;
import dev.javelin.runtime.plan.PartitionPlan;
import dev.javelin.runtime.plan.PlanConstant;
import dev.javelin.runtime.plan.PlanDim;
import dev.javelin.runtime.plan.PlanStep;
import dev.javelin.runtime.plan.PlanTensor;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits a model into maximal TensorRT-buildable engine segments and Javelin kernel nodes, as a {@link Partition}: the
 * plan, the segments' ONNX sub-models and the constants kernels read.
 *
 * <ol>
 *   <li>Each top-level node goes into a segment (TensorRT builds it, per {@code TensorRtOpSupport}; or the legalizer
 *       rewrites it, per {@link PartitionOptions#rewritable()} and {@link Prefer}) or becomes a kernel step (an op of
 *       {@code KernelCatalogue}); control flow is never split ({@link NodeClassifier}). Nodes that fit neither fail the
 *       partition, all of them named in one error.</li>
 *   <li>Steps are ordered so that segments are as few and large as possible ({@link StepScheduler}).</li>
 *   <li>Each segment becomes a sub-model ({@link SegmentExtractor}); tensors crossing steps are typed by ONNX
 *       Runtime's inference ({@link TensorTypes}).</li>
 *   <li>With bounds for the model inputs' symbolic dimensions, every crossing tensor gets an upper bound
 *       ({@link ShapeBounds}) and the intermediates a liveness-planned arena ({@link Liveness}).</li>
 * </ol>
 */
public final class Partitioner {
    private static final Logger LOG = LoggerFactory.getLogger(Partitioner.class);
    /** The constants file in a plan folder. */
    public static final String CONSTANTS_FILE = "constants.bin";
    private static final int CONSTANT_ALIGNMENT = 64;

    private Partitioner() {
    }

    /**
     * Partitions {@code model}.
     *
     * @throws ModelException naming every node that neither TensorRT nor a Javelin kernel can run (with why), every
     *                        control-flow node whose body would have to be split, and every kernel node whose input
     *                        type its kernel does not take
     */
    public static Partition partition(OnnxModel model, PartitionOptions options) {
        long start = System.nanoTime();
        model.validate();
        OnnxGraph graph = model.graph();
        GraphProto g = model.proto().getGraph();
        String source = model.file().map(p -> p.getFileName().toString()).orElse(graph.path());

        List<String> problems = new ArrayList<>();
        List<NodeClassifier.Decision> decisions = new NodeClassifier(options).classify(graph, problems);
        fail(model, problems);

        List<Integer> order = graph.topologicalOrder();
        Map<String, Integer> producers = graph.producers();
        int n = graph.nodes().size();
        boolean[] isKernel = new boolean[n];
        List<Set<Integer>> preds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            isKernel[i] = decisions.get(i).kind() == NodeClassifier.Kind.KERNEL;
            Set<Integer> p = new LinkedHashSet<>();
            for (String r : graph.reads(i)) {
                Integer q = producers.get(r);
                if (q != null) {
                    p.add(q);
                }
            }
            preds.add(p);
        }
        List<StepScheduler.Step> scheduled = StepScheduler.schedule(order, isKernel, preds);

        Map<String, TensorProto> initializers = new LinkedHashMap<>();
        g.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        List<String> inputs = new ArrayList<>();
        g.getInputList().forEach(v -> {
            if (!initializers.containsKey(v.getName())) {
                inputs.add(v.getName());
            }
        });
        List<String> outputs = g.getOutputList().stream().map(v -> v.getName()).toList();
        long opset = model.defaultOpset();

        // What each step reads and writes.
        List<Set<String>> reads = new ArrayList<>();
        List<Set<String>> writes = new ArrayList<>();
        for (StepScheduler.Step s : scheduled) {
            Set<String> r = new LinkedHashSet<>();
            Set<String> w = new LinkedHashSet<>();
            for (int i : s.nodes()) {
                r.addAll(graph.reads(i));
                for (String o : graph.nodes().get(i).getOutputList()) {
                    if (!o.isEmpty()) {
                        w.add(o);
                    }
                }
            }
            r.removeAll(w);
            reads.add(r);
            writes.add(w);
        }
        Set<String> readElsewhere = new HashSet<>(outputs);
        for (Set<String> r : reads) {
            readElsewhere.addAll(r);
        }

        // Steps with names; kernel workspaces are filled in once bounds are known.
        List<PlanStep> steps = new ArrayList<>();
        Map<String, StepScheduler.Step> segmentNodes = new HashMap<>();
        Set<String> constantNames = new LinkedHashSet<>();
        int segments = 0;
        int kernels = 0;
        for (int k = 0; k < scheduled.size(); k++) {
            StepScheduler.Step s = scheduled.get(k);
            if (s.kernel()) {
                int i = s.nodes().get(0);
                NodeProto node = graph.nodes().get(i);
                KernelNode kn = KernelNodes.of("kernel-" + kernels++, decisions.get(i).kernel(), node, nodeName(graph, i), opset, model,
                        initializers, null);
                for (String in : kn.inputs()) {
                    if (initializers.containsKey(in)) {
                        constantNames.add(in);
                    }
                }
                steps.add(kn);
            } else {
                List<String> in = new ArrayList<>();
                for (String r : reads.get(k)) {
                    if (!initializers.containsKey(r)) {
                        in.add(r);
                    }
                }
                List<String> out = new ArrayList<>();
                for (String w : writes.get(k)) {
                    if (readElsewhere.contains(w)) {
                        out.add(w);
                    }
                }
                List<String> names = s.nodes().stream().map(i -> nodeName(graph, i)).toList();
                if (out.isEmpty()) {
                    // Nothing outside reads what these nodes compute: dead code, which an engine with no outputs
                    // could not even be built for.
                    LOG.info("{}: dropping nodes {}: nothing reads their outputs", source, names);
                    continue;
                }
                segmentNodes.put("segment-" + segments, s);
                List<String> rewrites = s.nodes().stream().filter(i -> decisions.get(i).forRewrite()).map(i -> nodeName(graph, i))
                        .toList();
                steps.add(new EngineSegment("segment-" + segments, "segment-" + segments + ".onnx", in, out, names, rewrites));
                segments++;
            }
        }
        for (String o : outputs) {
            if (initializers.containsKey(o)) {
                constantNames.add(o);
            }
        }

        // Types of everything the plan names.
        Set<String> named = new LinkedHashSet<>(inputs);
        named.addAll(outputs);
        named.addAll(constantNames);
        for (PlanStep s : steps) {
            s.inputs().stream().filter(x -> !x.isEmpty()).forEach(named::add);
            s.outputs().stream().filter(x -> !x.isEmpty()).forEach(named::add);
        }
        Map<String, TensorInfo> types = TensorTypes.discover(model, named);
        for (PlanStep s : steps) {
            if (s instanceof KernelNode k) {
                KernelOp op = KernelOp.byId(k.kernel()).orElseThrow();
                TensorInfo x = types.get(k.inputs().get(0));
                op.whyNot(KernelStepRunner.scalarType(x.dtype(), x.name())).ifPresent(why -> problems.add("node '" + k.node()
                        + "' (" + k.op() + "): " + why + " (TensorRT cannot build it either)"));
            }
        }
        fail(model, problems);
        types = withKernelSymbols(types, steps);

        // Segment sub-models.
        Map<String, ModelProto> segmentModels = new LinkedHashMap<>();
        Map<String, TensorInfo> finalTypes = types;
        ShapeBounds.SegmentModels build = (s, dims) -> SegmentExtractor.extract(model.proto(), graph, s.id(),
                segmentNodes.get(s.id()).nodes(), s.inputs(), s.outputs(), finalTypes, dims);
        for (EngineSegment s : stepsOf(steps)) {
            segmentModels.put(s.model(), build.build(s, null));
        }

        // Bounds, workspaces and the arena.
        Map<String, long[]> known = new HashMap<>();
        List<String> unboundedInputs = new ArrayList<>();
        for (String in : inputs) {
            long[] b = inputBound(types.get(in), options);
            if (b != null) {
                known.put(in, b);
            } else {
                unboundedInputs.add(in + " " + types.get(in).shapeString());
            }
        }
        for (String c : constantNames) {
            known.put(c, types.get(c).dims().stream().mapToLong(TensorInfo.Dim::size).toArray());
        }
        ShapeBounds.Bounds bounds = ShapeBounds.compute(model, steps, known, build);
        List<PlanStep> withWorkspaces = new ArrayList<>();
        for (PlanStep s : steps) {
            if (s instanceof KernelNode k && bounds.workspaces().containsKey(k.id())) {
                withWorkspaces.add(new KernelNode(k.id(), k.op(), k.kernel(), k.node(), k.opset(), k.attributes(), k.listAttributes(),
                        k.inputs(), k.outputs(), bounds.workspaces().get(k.id())));
            } else {
                withWorkspaces.add(s);
            }
        }
        steps = withWorkspaces;
        Map<String, Long> maxBytes = new HashMap<>();
        bounds.shapes().forEach((name, dims) -> {
            TensorInfo t = finalTypes.get(name);
            if (t != null) {
                maxBytes.put(name, Math.multiplyExact(ShapeBounds.elements(dims), (long) t.dtype().byteSize()));
            }
        });
        Map<String, Long> arenaSizes = new HashMap<>(maxBytes);
        for (PlanStep s : steps) {
            if (s instanceof KernelNode k && k.workspaceBytes() != null) {
                arenaSizes.put(k.workspaceName(), k.workspaceBytes());
            }
        }
        ArenaPlan arena = null;
        String arenaNote = null;
        List<String> unbounded = new ArrayList<>();
        for (Liveness.Interval iv : Liveness.intervals(steps, outputs)) {
            if (!arenaSizes.containsKey(iv.name())) {
                unbounded.add(iv.name());
            }
        }
        if (unbounded.isEmpty()) {
            arena = Liveness.arena(steps, outputs, arenaSizes, options.alignment(), options.strategy());
        } else {
            arenaNote = "no upper bound for " + unbounded.subList(0, Math.min(5, unbounded.size())) + (unbounded.size() > 5 ? " and "
                    + (unbounded.size() - 5) + " more" : "") + (unboundedInputs.isEmpty() ? ""
                    : "; give the largest shapes of inputs " + unboundedInputs + " (PartitionOptions inputShapes/dimBounds)");
        }

        // Constants kernels read.
        ByteArrayOutputStream constantBytes = new ByteArrayOutputStream();
        List<PlanConstant> constants = new ArrayList<>();
        for (String c : constantNames) {
            byte[] b = model.tensorBytes(initializers.get(c));
            while (constantBytes.size() % CONSTANT_ALIGNMENT != 0) {
                constantBytes.write(0);
            }
            constants.add(new PlanConstant(c, constantBytes.size(), b.length));
            constantBytes.writeBytes(b);
        }

        List<PlanTensor> tensors = new ArrayList<>();
        for (String name : named) {
            TensorInfo t = finalTypes.get(name);
            tensors.add(new PlanTensor(name, t.dtype().label(), t.dims().stream().map(PlanDim::of).toList(), maxBytes.get(name)));
        }
        PartitionPlan plan = new PartitionPlan(PartitionPlan.SCHEMA, source, options.prefer().label(), inputs, outputs, tensors,
                constants.isEmpty() ? null : CONSTANTS_FILE, constants, steps, arena, arenaNote);
        plan.validate();
        LOG.info("partitioned {} in {} ms: {} segment(s), {} kernel node(s); {}", source, (System.nanoTime() - start) / 1_000_000,
                segments, kernels, arena != null ? arena.summary() : "no arena: " + arenaNote);
        return new Partition(plan, model, segmentModels, constantBytes.toByteArray());
    }

    private static List<EngineSegment> stepsOf(List<PlanStep> steps) {
        return steps.stream().filter(EngineSegment.class::isInstance).map(EngineSegment.class::cast).toList();
    }

    /** Unique's data-dependent output length gets a readable symbol where inference left it unnamed. */
    private static Map<String, TensorInfo> withKernelSymbols(Map<String, TensorInfo> types, List<PlanStep> steps) {
        Map<String, TensorInfo> out = new LinkedHashMap<>(types);
        for (PlanStep s : steps) {
            if (s instanceof KernelNode k && k.kernel().equals(KernelOp.UNIQUE.id())) {
                TensorInfo x = out.get(k.input(0));
                for (int i = 0; i < 4; i++) {
                    String name = k.output(i);
                    TensorInfo t = name == null ? null : out.get(name);
                    if (t == null || t.rank() != 1 || t.dims().get(0).isFixed() || t.dims().get(0).symbol() != null) {
                        continue;
                    }
                    // inverse_indices has one entry per input element; the others one per unique value.
                    TensorInfo.Dim d = i != 2 ? TensorInfo.Dim.symbolic("unique(" + k.node() + ")")
                            : x != null && x.rank() == 1 ? x.dims().get(0) : t.dims().get(0);
                    out.put(name, new TensorInfo(name, t.dtype(), List.of(d)));
                }
            }
        }
        return out;
    }

    /** The largest shape of a model input: given, or from bounds of its symbolic dimensions; null if neither. */
    private static long[] inputBound(TensorInfo t, PartitionOptions options) {
        long[] given = options.inputShapes().get(t.name());
        if (given != null) {
            if (given.length != t.rank()) {
                throw new IllegalArgumentException("bound of input '" + t.name() + "' has rank " + given.length + ", the input "
                        + t.shapeString() + " has rank " + t.rank());
            }
            for (int i = 0; i < given.length; i++) {
                TensorInfo.Dim d = t.dims().get(i);
                if (d.isFixed() && d.size() != given[i]) {
                    throw new IllegalArgumentException("bound of input '" + t.name() + "' " + java.util.Arrays.toString(given)
                            + " contradicts its fixed dimension " + i + " = " + d.size());
                }
            }
            return given.clone();
        }
        long[] dims = new long[t.rank()];
        for (int i = 0; i < dims.length; i++) {
            TensorInfo.Dim d = t.dims().get(i);
            if (d.isFixed()) {
                dims[i] = d.size();
            } else if (d.symbol() != null && options.dimBounds().containsKey(d.symbol())) {
                dims[i] = options.dimBounds().get(d.symbol());
            } else {
                return null;
            }
        }
        return dims;
    }

    private static String nodeName(OnnxGraph graph, int i) {
        NodeProto n = graph.nodes().get(i);
        return n.getName().isEmpty() ? "#" + i + " (" + n.getOpType() + ")" : n.getName();
    }

    private static void fail(OnnxModel model, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new ModelException("cannot partition " + model.displayName() + ": " + problems.size() + " node(s) cannot be "
                    + "planned:\n  " + String.join("\n  ", problems));
        }
    }
}

package dev.javelin.runtime.plan;

import dev.javelin.bindings.core.HostBuffer;
import dev.javelin.bindings.core.NativeMemory;
import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.HostKernels;
import dev.javelin.kernels.KernelUnavailableException;
import dev.javelin.kernels.LaunchPlan;
import dev.javelin.kernels.ScalarType;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.spi.CompiledModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition plan emulated on the CPU, step for step as the GPU would run it: engine segments on ONNX Runtime CPU
 * sessions (one per segment model), kernel nodes on the host build of the same CUDA sources ({@link HostKernels})
 * through the same launchers, geometry and parameter blocks ({@link KernelStepRunner}), and every intermediate
 * tensor at its planned offset in one host arena — so a wrong arena plan corrupts results here just as it would on
 * the GPU. Without an arena (unbounded tensors) intermediates get their own buffers per run.
 *
 * <p>Thread-safe: each run takes an arena from a pool; segment sessions are thread-safe; the host build serialises
 * kernel launches. Close order: arenas and constants, then the segment sessions.
 */
public final class EmulatedPlanModel implements CompiledModel {
    private static final Logger LOG = LoggerFactory.getLogger(EmulatedPlanModel.class);

    private final PartitionPlan plan;
    private final Path planFile;
    private final Map<String, Session> segments;
    private final HostKernels kernels;
    private final HostBuffer constants;
    private final Map<String, PlanTensor> tensors;
    private final ArenaSlots slots;
    private final Set<String> modelOutputs;
    private final ModelSignature signature;
    private final String description;
    private final ConcurrentLinkedDeque<HostBuffer> arenas = new ConcurrentLinkedDeque<>();
    private final List<HostBuffer> allArenas = new ArrayList<>();

    private EmulatedPlanModel(PartitionPlan plan, Path planFile, Map<String, Session> segments, HostKernels kernels,
                              HostBuffer constants) {
        this.plan = plan;
        this.planFile = planFile;
        this.segments = segments;
        this.kernels = kernels;
        this.constants = constants;
        this.tensors = plan.tensorMap();
        this.slots = new ArenaSlots(planFile, plan.arena());
        this.modelOutputs = new HashSet<>(plan.outputs());
        this.signature = new ModelSignature(plan.inputs().stream().map(n -> tensors.get(n).info()).toList(),
                plan.outputs().stream().map(n -> tensors.get(n).info()).toList());
        this.description = "partition plan emulated on the CPU: " + plan.segments().size() + " segment(s) on ONNX Runtime CPU, "
                + plan.kernels().size() + " kernel node(s) on " + (kernels == null ? "no kernels" : kernels.origin())
                + ", " + (plan.arena() != null ? plan.arena().summary() : "no arena (" + plan.arenaNote() + ")");
    }

    /**
     * Opens the plan: one ONNX Runtime CPU session per segment model, the host build of the kernels if any step needs it,
     * and the constants.
     *
     * @throws ModelException              if a segment model or the constants cannot be read
     * @throws BackendUnavailableException if the plan has kernel nodes and the host build of the kernels is unavailable
     */
    public static EmulatedPlanModel open(Path planFile, PartitionPlan plan, SessionOptions options) {
        plan.validate();
        Path dir = planFile.toAbsolutePath().getParent();
        HostKernels kernels = null;
        if (!plan.kernels().isEmpty()) {
            try {
                kernels = HostKernels.get();
            } catch (KernelUnavailableException e) {
                throw new BackendUnavailableException(BackendKind.CPU.label(), "the plan's kernel nodes "
                        + plan.kernels().stream().map(k -> k.op() + " '" + k.node() + "'").toList() + " cannot be emulated: "
                        + e.getMessage(), e);
            }
        }
        SessionOptions cpu = options.toBuilder().backend(BackendKind.CPU).build();
        Map<String, Session> sessions = new LinkedHashMap<>();
        HostBuffer constants = null;
        try {
            for (EngineSegment s : plan.segments()) {
                sessions.put(s.id(), Session.open(dir.resolve(s.model()), cpu));
            }
            constants = readConstants(dir, plan);
            LOG.info("{}: {} step(s) emulated on the CPU", planFile, plan.steps().size());
            return new EmulatedPlanModel(plan, planFile, sessions, kernels, constants);
        } catch (RuntimeException e) {
            sessions.values().forEach(Session::close);
            if (constants != null) {
                constants.close();
            }
            throw e;
        }
    }

    private static HostBuffer readConstants(Path dir, PartitionPlan plan) {
        if (plan.constants().isEmpty()) {
            return null;
        }
        byte[] bytes = plan.readConstants(dir);
        HostBuffer b = HostBuffer.allocate(bytes.length);
        b.buffer().duplicate().put(bytes);
        return b;
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public String description() {
        return description;
    }

    /** The plan being emulated. */
    public PartitionPlan plan() {
        return plan;
    }

    /** A tensor's bytes with its type and shape during one run. */
    private record Value(String name, ByteBuffer data, DType dtype, long[] shape) {
        long address() {
            return NativeMemory.address(data);
        }

        DeviceTensor device() {
            return new DeviceTensor(name, data.capacity() == 0 ? 0 : address(), data.capacity(),
                    KernelStepRunner.scalarType(dtype, name), shape);
        }
    }

    @Override
    public Result run(Map<String, Tensor> inputs) {
        try (Run r = new Run()) {
            return r.execute(inputs);
        }
    }

    /** The state of one run: its arena, its values, the outputs it hands over and the buffers it frees. */
    private final class Run implements AutoCloseable {
        private final HostBuffer arena;
        private final Map<String, Value> values = new HashMap<>();
        private final Map<String, Tensor> results = new LinkedHashMap<>();
        private final List<AutoCloseable> temporaries = new ArrayList<>();
        private boolean handedOver;

        Run() {
            arena = plan.arena() == null ? null : takeArena();
        }

        Result execute(Map<String, Tensor> inputs) {
            for (String name : plan.inputs()) {
                Tensor t = tensors.get(name).requireInput(inputs.get(name));
                values.put(name, new Value(name, t.unsafeBuffer().duplicate().order(ByteOrder.nativeOrder()), t.dtype(),
                        t.shape().dims()));
            }
            for (PlanConstant c : plan.constants()) {
                PlanTensor info = tensors.get(c.name());
                values.put(c.name(), new Value(c.name(), slice(constants.buffer(), c.offset(), c.bytes()), info.type(),
                        fixedShape(info)));
            }
            for (PlanStep step : plan.steps()) {
                if (step instanceof EngineSegment s) {
                    runSegment(s);
                } else {
                    runKernel((KernelNode) step);
                }
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String name : plan.outputs()) {
                Tensor t = results.get(name);
                if (t == null) {
                    // A model output that is a model input or a constant: copied, the caller owns outputs.
                    Value v = values.get(name);
                    t = Tensor.allocate(v.dtype(), Shape.of(v.shape()));
                    t.unsafeBuffer().duplicate().put(v.data().duplicate());
                    results.put(name, t);
                }
                out.put(name, t);
            }
            handedOver = true;
            return new Result(out);
        }

        private void runSegment(EngineSegment s) {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            for (String in : s.inputs()) {
                Value v = values.get(in);
                feeds.put(in, Tensor.wrap(v.data().duplicate().order(ByteOrder.nativeOrder()), v.dtype(), Shape.of(v.shape())));
            }
            try (Result r = segments.get(s.id()).run(feeds)) {
                for (String out : s.outputs()) {
                    Tensor t = r.get(out);
                    if (modelOutputs.contains(out)) {
                        Tensor mine = r.take(out);
                        results.put(out, mine);
                        values.put(out, new Value(out, mine.unsafeBuffer().duplicate().order(ByteOrder.nativeOrder()), mine.dtype(),
                                mine.shape().dims()));
                    } else {
                        ByteBuffer slot = intermediate(out, t.dtype(), t.shape().dims(), s);
                        slot.duplicate().put(t.unsafeBuffer().duplicate());
                        values.put(out, new Value(out, slot, t.dtype(), t.shape().dims()));
                    }
                }
            }
        }

        private void runKernel(KernelNode k) {
            KernelStepRunner.run(k, name -> values.get(name).device(), new KernelStepRunner.Memory() {
                @Override
                public DeviceTensor output(String name, ScalarType type, long[] shape) {
                    DType dtype = KernelStepRunner.dtype(type, name);
                    ByteBuffer data;
                    if (modelOutputs.contains(name)) {
                        Tensor t = Tensor.allocate(dtype, Shape.of(shape));
                        results.put(name, t);
                        data = t.unsafeBuffer().duplicate().order(ByteOrder.nativeOrder());
                    } else {
                        data = intermediate(name, dtype, shape, k);
                    }
                    Value v = new Value(name, data, dtype, shape);
                    values.put(name, v);
                    return v.device();
                }

                @Override
                public DeviceTensor workspace(String name, long bytes) {
                    ByteBuffer data = region(name, bytes, k);
                    return new DeviceTensor(name, data.capacity() == 0 ? 0 : NativeMemory.address(data), data.capacity(),
                            ScalarType.UINT8, new long[] {data.capacity()});
                }
            }, new KernelStepRunner.Device() {
                @Override
                public void launch(LaunchPlan launches) {
                    kernels.run(launches);
                }

                @Override
                public byte[] read(long address, int bytes) {
                    byte[] out = new byte[bytes];
                    NativeMemory.wrap(address, bytes).get(out);
                    return out;
                }
            });
        }

        /** The bytes of intermediate {@code name} (exactly its size), in its arena slot. */
        private ByteBuffer intermediate(String name, DType dtype, long[] shape, PlanStep step) {
            long bytes = Math.multiplyExact(Shape.of(shape).elementCount(), (long) dtype.byteSize());
            return slice(region(name, bytes, step), 0, bytes);
        }

        /** Room for {@code bytes} bytes of {@code name}: its arena slot (checked against the bound) or a buffer of its own. */
        private ByteBuffer region(String name, long bytes, PlanStep step) {
            if (arena == null) {
                HostBuffer b = HostBuffer.allocate(bytes);
                temporaries.add(b);
                return b.buffer().duplicate().order(ByteOrder.nativeOrder());
            }
            ArenaSlot slot = slots.require(name, bytes, step);
            return slice(arena.buffer(), slot.offset(), slot.bytes());
        }

        @Override
        public void close() {
            for (AutoCloseable t : temporaries) {
                try {
                    t.close();
                } catch (Exception e) {
                    LOG.warn("freeing a buffer of the plan emulation failed: {}", e.toString());
                }
            }
            if (!handedOver) {
                results.values().forEach(Tensor::close);
            }
            if (arena != null) {
                arenas.push(arena);
            }
        }
    }

    private HostBuffer takeArena() {
        HostBuffer a = arenas.poll();
        if (a == null) {
            a = HostBuffer.allocate(Math.max(1, plan.arena().sizeBytes()));
            synchronized (allArenas) {
                allArenas.add(a);
            }
        }
        return a;
    }

    private static ByteBuffer slice(ByteBuffer whole, long offset, long bytes) {
        return whole.duplicate().position(Math.toIntExact(offset)).limit(Math.toIntExact(offset + bytes)).slice()
                .order(ByteOrder.nativeOrder());
    }

    private static long[] fixedShape(PlanTensor t) {
        long[] s = new long[t.shape().size()];
        for (int i = 0; i < s.length; i++) {
            PlanDim d = t.shape().get(i);
            if (!d.isFixed()) {
                throw new ModelException("constant '" + t.name() + "' has a shape that is not fixed: " + t);
            }
            s[i] = d.size();
        }
        return s;
    }

    @Override
    public Lane newLane(Map<String, Shape> inputShapes) {
        return new RunLane(this, signature, inputShapes);
    }

    /** Frees the arenas and constants, then closes the segment sessions. */
    @Override
    public void close() {
        synchronized (allArenas) {
            allArenas.forEach(HostBuffer::close);
            allArenas.clear();
        }
        arenas.clear();
        if (constants != null) {
            constants.close();
        }
        List<Session> all = new ArrayList<>(segments.values());
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (RuntimeException e) {
                LOG.warn("closing segment session {} failed: {}", all.get(i), e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return description + " [" + planFile + "]";
    }
}

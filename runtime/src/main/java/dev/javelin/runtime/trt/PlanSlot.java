package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeMemory;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaStream;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.bindings.trt.TrtExecutionContext;
import dev.javelin.kernels.DeviceTensor;
import dev.javelin.kernels.LaunchPlan;
import dev.javelin.kernels.ScalarType;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.plan.ArenaSlot;
import dev.javelin.runtime.plan.ArenaSlots;
import dev.javelin.runtime.plan.EngineSegment;
import dev.javelin.runtime.plan.KernelNode;
import dev.javelin.runtime.plan.KernelStepRunner;
import dev.javelin.runtime.plan.PartitionPlan;
import dev.javelin.runtime.plan.PlanConstant;
import dev.javelin.runtime.plan.PlanDim;
import dev.javelin.runtime.plan.PlanStep;
import dev.javelin.runtime.plan.PlanTensor;
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

/**
 * What one run of a partition plan on the GPU needs, reused by later runs: one stream, an execution context per engine
 * segment (each with its own scratch), the device arena holding every intermediate at its planned offset, and staging
 * buffers for the model's inputs and outputs. A run queues, on the one stream: input copies, then each step in order
 * (segment: {@code enqueueV3}; kernel: its launches), then output copies; and waits once. The host waits earlier only
 * where a shape needs a device value (Unique's count, a non-constant DFT length or AffineGrid size).
 *
 * <p>Without an arena (a plan with unbounded tensors) each intermediate gets a device buffer of its own, grown as
 * needed and kept for later runs.
 */
final class PlanSlot implements AutoCloseable {
    /** A tensor on the device during a run. */
    private record DeviceValue(String name, DeviceBuffer buffer, long offset, long capacity, DType dtype, long[] shape) {
        long address() {
            return buffer.address() + offset;
        }

        long bytes() {
            return Shape.of(shape).elementCount() * dtype.byteSize();
        }

        DeviceTensor device() {
            return new DeviceTensor(name, address(), capacity, KernelStepRunner.scalarType(dtype, name), shape);
        }
    }

    private final TensorRtPlanModel model;
    private final PartitionPlan plan;
    private final CudaContext context;
    private final CudaStream stream;
    private final Map<String, TrtExecutionContext> contexts = new LinkedHashMap<>();
    private final DeviceBuffer arena;
    private final ArenaSlots slots;
    private final Map<String, DeviceStaging> staging = new HashMap<>();
    private final Set<String> modelOutputs;
    private final Map<String, PlanTensor> tensors;

    PlanSlot(TensorRtPlanModel model) {
        this.model = model;
        this.plan = model.plan();
        this.context = model.context();
        this.tensors = plan.tensorMap();
        this.modelOutputs = new HashSet<>(plan.outputs());
        context.makeCurrent();
        this.stream = CudaStream.create(context);
        DeviceBuffer a = null;
        try {
            for (EngineSegment s : plan.segments()) {
                contexts.put(s.id(), model.segment(s.id()).engine().createExecutionContext());
            }
            if (plan.arena() != null) {
                a = DeviceBuffer.allocate(context, Math.max(1, plan.arena().sizeBytes()));
            }
        } catch (RuntimeException e) {
            contexts.values().forEach(TrtExecutionContext::close);
            stream.close();
            throw e;
        }
        this.arena = a;
        this.slots = new ArenaSlots(model.planFile(), plan.arena());
    }

    Result run(Map<String, Tensor> inputs) {
        context.makeCurrent();
        Map<String, DeviceValue> values = new HashMap<>();
        for (String name : plan.inputs()) {
            Tensor t = tensors.get(name).requireInput(inputs.get(name));
            DeviceStaging s = stage(name, t.byteSize());
            if (t.byteSize() > 0) {
                s.host().buffer().put(t.unsafeBuffer().duplicate());
                s.device().copyFromHost(s.host().address(), 0, t.byteSize(), stream);
            }
            values.put(name, new DeviceValue(name, s.device(), 0, s.device().bytes(), t.dtype(), t.shape().dims()));
        }
        for (PlanConstant c : plan.constants()) {
            PlanTensor info = tensors.get(c.name());
            long[] shape = info.shape().stream().mapToLong(PlanDim::size).toArray();
            values.put(c.name(), new DeviceValue(c.name(), model.constants(), c.offset(), c.bytes(), info.type(), shape));
        }
        for (PlanStep step : plan.steps()) {
            if (step instanceof EngineSegment s) {
                enqueueSegment(s, values);
            } else {
                runKernel((KernelNode) step, values);
            }
        }
        for (String name : plan.outputs()) {
            DeviceValue v = values.get(name);
            DeviceStaging s = stage(name, v.bytes());
            if (v.bytes() > 0) {
                if (v.buffer() != s.device()) {
                    // A model output that is a model input or a constant.
                    copyDeviceToDevice(v, s.device());
                }
                s.device().copyToHost(s.host().address(), 0, v.bytes(), stream);
            }
        }
        stream.synchronize();
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            for (String name : plan.outputs()) {
                DeviceValue v = values.get(name);
                Tensor t = Tensor.allocate(v.dtype(), Shape.of(v.shape()));
                out.put(name, t);
                if (v.bytes() > 0) {
                    t.buffer().put(staging.get(name).host().buffer().limit((int) v.bytes()));
                }
            }
            return new Result(out);
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
    }

    private void copyDeviceToDevice(DeviceValue from, DeviceBuffer to) {
        if (from.offset() == 0) {
            to.copyFrom(from.buffer(), from.bytes(), stream);
            return;
        }
        // DeviceBuffer.copyFrom copies from the start of the source; a constant at an offset goes through the host.
        ByteBuffer tmp = ByteBuffer.allocateDirect((int) from.bytes());
        from.buffer().copyToHost(NativeMemory.address(tmp), from.offset(), from.bytes(), stream);
        stream.synchronize();
        to.copyFromHost(NativeMemory.address(tmp), 0, from.bytes(), stream);
        stream.synchronize();
    }

    private void enqueueSegment(EngineSegment s, Map<String, DeviceValue> values) {
        TrtExecutionContext trt = contexts.get(s.id());
        for (String in : s.inputs()) {
            DeviceValue v = values.get(in);
            trt.setInputShape(in, v.shape());
            trt.setTensorAddress(in, v.address());
        }
        for (String out : s.outputs()) {
            long[] dims = trt.tensorShape(out);
            for (long d : dims) {
                if (d < 0) {
                    throw new NativeFailureException("output '" + out + "' of engine segment " + s.model() + " has a data-dependent "
                            + "shape " + Arrays.toString(dims) + "; plans put data-dependent ops (Unique) in kernel steps, and "
                            + "segments must have output shapes that follow from their input shapes");
                }
            }
            DType dtype = tensors.get(out).type();
            DeviceValue v = place(out, dtype, dims, s);
            trt.setTensorAddress(out, v.address());
            values.put(out, v);
        }
        trt.enqueueV3(stream);
    }

    private void runKernel(KernelNode k, Map<String, DeviceValue> values) {
        KernelStepRunner.run(k, name -> values.get(name).device(), new KernelStepRunner.Memory() {
            @Override
            public DeviceTensor output(String name, ScalarType type, long[] shape) {
                DeviceValue v = place(name, KernelStepRunner.dtype(type, name), shape, k);
                values.put(name, v);
                return v.device();
            }

            @Override
            public DeviceTensor workspace(String name, long bytes) {
                DeviceValue v = region(name, bytes, k);
                return new DeviceTensor(name, v.address(), v.capacity(), ScalarType.UINT8, new long[] {v.capacity()});
            }
        }, new KernelStepRunner.Device() {
            @Override
            public void launch(LaunchPlan launches) {
                launches.execute(model.modules(), stream);
            }

            @Override
            public byte[] read(long address, int bytes) {
                // A shape needs this value: the one kind of host round trip a plan makes mid-run.
                ByteBuffer host = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
                DeviceBuffer owner = owner(address, bytes, values);
                owner.copyToHost(NativeMemory.address(host), address - owner.address(), bytes, stream);
                stream.synchronize();
                byte[] out = new byte[bytes];
                host.get(out);
                return out;
            }
        });
    }

    private DeviceBuffer owner(long address, int bytes, Map<String, DeviceValue> values) {
        List<DeviceBuffer> candidates = new ArrayList<>();
        if (arena != null) {
            candidates.add(arena);
        }
        if (model.constants() != null) {
            candidates.add(model.constants());
        }
        staging.values().forEach(s -> candidates.add(s.device()));
        values.values().forEach(v -> candidates.add(v.buffer()));
        for (DeviceBuffer b : candidates) {
            if (address >= b.address() && address + bytes <= b.address() + b.bytes()) {
                return b;
            }
        }
        throw new IllegalStateException("device address 0x" + Long.toHexString(address) + " is in no buffer of this plan run");
    }

    /** Memory for a tensor a step writes: the caller-bound output staging, or its arena slot. */
    private DeviceValue place(String name, DType dtype, long[] shape, PlanStep step) {
        long bytes = Math.multiplyExact(Shape.of(shape).elementCount(), (long) dtype.byteSize());
        if (modelOutputs.contains(name)) {
            DeviceStaging s = stage(name, bytes);
            return new DeviceValue(name, s.device(), 0, s.device().bytes(), dtype, shape);
        }
        DeviceValue r = region(name, bytes, step);
        return new DeviceValue(name, r.buffer(), r.offset(), r.capacity(), dtype, shape);
    }

    private DeviceValue region(String name, long bytes, PlanStep step) {
        if (arena == null) {
            DeviceStaging s = stage(name, bytes);
            return new DeviceValue(name, s.device(), 0, s.device().bytes(), DType.UINT8, new long[] {s.device().bytes()});
        }
        ArenaSlot slot = slots.require(name, bytes, step);
        return new DeviceValue(name, arena, slot.offset(), slot.bytes(), DType.UINT8, new long[] {slot.bytes()});
    }

    private DeviceStaging stage(String name, long bytes) {
        DeviceStaging s = staging.computeIfAbsent(name, n -> new DeviceStaging(context));
        s.ensure(bytes);
        return s;
    }

    /** Frees staging buffers, the arena, the execution contexts, then the stream; the caller has synchronised. */
    @Override
    public void close() {
        staging.values().forEach(DeviceStaging::close);
        staging.clear();
        if (arena != null) {
            arena.close();
        }
        contexts.values().forEach(TrtExecutionContext::close);
        contexts.clear();
        stream.close();
    }
}

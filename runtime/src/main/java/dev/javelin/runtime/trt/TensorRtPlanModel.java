package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeMemory;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.kernels.KernelModules;
import dev.javelin.kernels.KernelOp;
import dev.javelin.kernels.KernelUnavailableException;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.plan.EngineSegment;
import dev.javelin.runtime.plan.KernelNode;
import dev.javelin.runtime.plan.PartitionPlan;
import dev.javelin.runtime.plan.PlanTensor;
import dev.javelin.runtime.spi.CompiledModel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition plan on the GPU: every engine segment built (or loaded from the engine cache) as a TensorRT engine,
 * every kernel node a Javelin CUDA kernel, all queued on one stream per run: engine segment, kernel, engine segment,
 * ... Intermediate tensors live at their planned offsets in one device arena per run slot ({@link PlanSlot}); the host
 * is involved only for the model's inputs and outputs and where a shape needs a device value (Unique's count).
 *
 * <p>Close order: run slots (contexts, streams, buffers), the kernel modules, the constants, the segment engines,
 * the context reference.
 */
final class TensorRtPlanModel implements CompiledModel {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtPlanModel.class);

    private final PartitionPlan plan;
    private final Path planFile;
    private final CudaContext context;
    private final Map<String, TensorRtModel> segments;
    private final KernelModules modules;
    private final DeviceBuffer constants;
    private final ModelSignature signature;
    private final String description;
    private final SlotPool<PlanSlot> slots;

    private TensorRtPlanModel(PartitionPlan plan, Path planFile, CudaContext context, Map<String, TensorRtModel> segments,
                              KernelModules modules, DeviceBuffer constants, String description, int contexts) {
        this.plan = plan;
        this.planFile = planFile;
        this.context = context;
        this.segments = segments;
        this.modules = modules;
        this.constants = constants;
        Map<String, PlanTensor> tensors = plan.tensorMap();
        this.signature = new ModelSignature(plan.inputs().stream().map(n -> tensors.get(n).info()).toList(),
                plan.outputs().stream().map(n -> tensors.get(n).info()).toList());
        this.description = description;
        this.slots = new SlotPool<>(contexts, () -> new PlanSlot(this), "plan run slot");
    }

    /**
     * Builds or loads every segment's engine, loads the kernels the plan uses and uploads its constants.
     *
     * @throws BackendUnavailableException if a kernel the plan needs cannot be loaded on this GPU
     * @throws ModelException              if a segment model or the constants cannot be read
     */
    static TensorRtPlanModel compile(Path planFile, PartitionPlan plan, int deviceId, CudaDeviceInfo device, TensorRtOptions options,
                                     EngineCache cache) {
        plan.validate();
        Path dir = planFile.toAbsolutePath().getParent();
        Map<String, TensorRtModel> segments = new LinkedHashMap<>();
        CudaContext ctx = null;
        KernelModules modules = null;
        DeviceBuffer constants = null;
        try {
            for (EngineSegment s : plan.segments()) {
                LOG.info("{}: engine for {} ({} of {})", planFile.getFileName(), s.model(), segments.size() + 1, plan.segments().size());
                segments.put(s.id(), TensorRtModel.compile(dir.resolve(s.model()), deviceId, device, options, cache));
            }
            ctx = CudaContext.primary(deviceId);
            ctx.makeCurrent();
            modules = KernelModules.create(ctx);
            Set<String> loaded = new TreeSet<>();
            for (KernelNode k : plan.kernels()) {
                KernelOp op = KernelOp.byId(k.kernel()).orElseThrow(() -> new ModelException("plan step '" + k.id()
                        + "' names kernel '" + k.kernel() + "', which this Javelin does not have"));
                // Load now, so a machine that cannot run a kernel fails at open, not on the first request.
                modules.module(op.source());
                loaded.add(op.id() + " (" + modules.origin(op.source()) + ")");
            }
            constants = uploadConstants(dir, plan, ctx);
            String description = "partition plan on TensorRT, cuda:" + deviceId + " " + device.name() + ": "
                    + plan.segments().size() + " engine segment(s), kernels " + loaded + ", "
                    + (plan.arena() != null ? plan.arena().summary() : "no arena (" + plan.arenaNote() + ")");
            return new TensorRtPlanModel(plan, planFile, ctx, segments, modules, constants, description, options.contexts());
        } catch (KernelUnavailableException e) {
            closeAll(constants, modules, segments, ctx);
            throw new BackendUnavailableException("tensorrt", "the plan's kernels cannot run on cuda:" + deviceId + ": "
                    + e.getMessage(), e);
        } catch (NativeCallException e) {
            closeAll(constants, modules, segments, ctx);
            throw new NativeFailureException(e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(constants, modules, segments, ctx);
            throw e;
        }
    }

    private static DeviceBuffer uploadConstants(Path dir, PartitionPlan plan, CudaContext ctx) {
        if (plan.constants().isEmpty()) {
            return null;
        }
        byte[] bytes = plan.readConstants(dir);
        DeviceBuffer d = DeviceBuffer.allocate(ctx, Math.max(1, bytes.length));
        ByteBuffer host = ByteBuffer.allocateDirect(bytes.length);
        host.put(bytes).flip();
        try (dev.javelin.bindings.cuda.CudaStream s = dev.javelin.bindings.cuda.CudaStream.create(ctx)) {
            if (bytes.length > 0) {
                d.copyFromHost(NativeMemory.address(host), 0, bytes.length, s);
            }
            s.synchronize();
        }
        return d;
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public String description() {
        return description;
    }

    PartitionPlan plan() {
        return plan;
    }

    CudaContext context() {
        return context;
    }

    KernelModules modules() {
        return modules;
    }

    DeviceBuffer constants() {
        return constants;
    }

    TensorRtModel segment(String id) {
        return segments.get(id);
    }

    Path planFile() {
        return planFile;
    }

    @Override
    public Result run(Map<String, Tensor> inputs) {
        return slots.run(slot -> slot.run(inputs));
    }

    @Override
    public Lane newLane(Map<String, Shape> inputShapes) {
        return new dev.javelin.runtime.plan.RunLane(this, signature, inputShapes);
    }

    @Override
    public void close() {
        try {
            context.makeCurrent();
        } catch (RuntimeException e) {
            LOG.warn("cannot make the CUDA context current to close {}: {}", planFile, e.toString());
        }
        slots.close(LOG);
        closeAll(constants, modules, segments, context);
    }

    private static void closeAll(DeviceBuffer constants, KernelModules modules, Map<String, TensorRtModel> segments, CudaContext ctx) {
        List<AutoCloseable> all = new ArrayList<>();
        all.add(constants);
        all.add(modules);
        List<TensorRtModel> segs = new ArrayList<>(segments.values());
        for (int i = segs.size() - 1; i >= 0; i--) {
            all.add(segs.get(i));
        }
        all.add(ctx);
        Closing.quietly(LOG, all);
    }

    @Override
    public String toString() {
        return description + " [" + planFile + "]";
    }
}

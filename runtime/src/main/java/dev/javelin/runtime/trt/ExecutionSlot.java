package dev.javelin.runtime.trt;

import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaStream;
import dev.javelin.bindings.trt.TrtEngine;
import dev.javelin.bindings.trt.TrtExecutionContext;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one {@code run(Map)} in flight needs: an execution context (its scratch leased from the model's
 * {@link ScratchArena}), a stream, and per tensor a device
 * buffer with a pinned staging buffer, all reused by later runs. A run copies inputs into pinned memory,
 * queues host-to-device copies, {@code enqueueV3} and device-to-host copies on the stream, waits once,
 * and copies the outputs into tensors the caller owns.
 */
final class ExecutionSlot implements AutoCloseable {
    private final CudaContext context;
    private final TrtExecutionContext trt;
    private final CudaStream stream;
    private final ScratchArena arena;
    private final ScratchArena.Lease scratch;
    private final Map<String, DeviceStaging> staging = new HashMap<>();

    /** Its shapes change from run to run, so the slot's context gets the engine's worst-case scratch from {@code arena}. */
    ExecutionSlot(CudaContext context, TrtEngine engine, ScratchArena arena) {
        this.context = context;
        this.arena = arena;
        context.makeCurrent();
        this.stream = CudaStream.create(context);
        TrtExecutionContext created = null;
        ScratchArena.Lease leased = null;
        try {
            created = engine.createExecutionContextWithoutScratch();
            leased = arena.lease(engine.deviceMemorySize());
            created.setDeviceMemory(leased.address(), leased.bytes());
        } catch (RuntimeException e) {
            if (leased != null) {
                arena.release(leased);
            }
            if (created != null) {
                created.close();
            }
            stream.close();
            throw e;
        }
        this.trt = created;
        this.scratch = leased;
    }

    Result run(List<TensorInfo> inputs, List<TensorInfo> outputs, OptimizationProfile profile, Map<String, Tensor> values) {
        context.makeCurrent();
        for (TensorInfo in : inputs) {
            Tensor t = values.get(in.name());
            String violation = profile.violation(in.name(), t.shape());
            if (violation != null) {
                throw new InvalidInputException(in.name(), violation);
            }
            trt.setInputShape(in.name(), t.shape().dims());
            long bytes = t.byteSize();
            DeviceStaging s = stage(in.name(), bytes);
            if (bytes > 0) {
                s.host().buffer().put(t.unsafeBuffer().duplicate());
                s.device().copyFromHost(s.host().address(), 0, bytes, stream);
            }
            trt.setTensorAddress(in.name(), s.device().address());
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (TensorInfo out : outputs) {
            long[] dims = trt.tensorShape(out.name());
            for (long d : dims) {
                if (d < 0) {
                    throw new NativeFailureException("output '" + out.name() + "' has a data-dependent shape "
                            + java.util.Arrays.toString(dims) + "; the TensorRT backend does not run such models yet");
                }
            }
            shapes.put(out.name(), dims);
            trt.setTensorAddress(out.name(), stage(out.name(), TrtTypes.byteSize(out.dtype(), dims)).device().address());
        }
        trt.enqueueV3(stream);
        for (TensorInfo out : outputs) {
            long bytes = TrtTypes.byteSize(out.dtype(), shapes.get(out.name()));
            if (bytes > 0) {
                DeviceStaging s = staging.get(out.name());
                s.device().copyToHost(s.host().address(), 0, bytes, stream);
            }
        }
        stream.synchronize();
        Map<String, Tensor> results = new LinkedHashMap<>();
        try {
            for (TensorInfo out : outputs) {
                Tensor r = Tensor.allocate(out.dtype(), Shape.of(shapes.get(out.name())));
                results.put(out.name(), r);
                long bytes = r.byteSize();
                if (bytes > 0) {
                    ByteBuffer src = staging.get(out.name()).host().buffer().limit((int) bytes);
                    r.buffer().put(src);
                }
            }
            return new Result(results);
        } catch (RuntimeException e) {
            results.values().forEach(Tensor::close);
            throw e;
        }
    }

    private DeviceStaging stage(String name, long bytes) {
        DeviceStaging s = staging.computeIfAbsent(name, n -> new DeviceStaging(context));
        s.ensure(bytes);
        return s;
    }

    /** Frees buffers, the execution context, then the stream; the caller has synchronised. */
    @Override
    public void close() {
        staging.values().forEach(DeviceStaging::close);
        staging.clear();
        trt.close();
        arena.release(scratch);
        stream.close();
    }
}

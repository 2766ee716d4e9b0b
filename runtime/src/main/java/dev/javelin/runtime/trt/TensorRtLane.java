package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaEvent;
import dev.javelin.bindings.cuda.CudaGraph;
import dev.javelin.bindings.cuda.CudaStream;
import dev.javelin.bindings.cuda.DeviceBuffer;
import dev.javelin.bindings.cuda.PinnedHostBuffer;
import dev.javelin.bindings.trt.TrtEngine;
import dev.javelin.bindings.trt.TrtExecutionContext;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A TensorRT lane: its own execution context (scratch leased from the model's {@link ScratchArena}, sized for the
 * lane's shapes) and stream, input shapes set once, and per tensor a device
 * buffer plus a pinned host buffer that the lane's {@link Tensor}s are views of. {@link #run()} queues the
 * input copies, {@code enqueueV3} and the output copies and waits: no allocation, no Java-heap copy.
 * Because a lane's shapes and buffers never change, that work is captured into a CUDA graph after the first run
 * and replayed from then on ({@link GraphReplay}: one launch instead of one per TensorRT kernel, with an eager
 * fallback for engines that cannot be captured). Four timing events around the copies and the inference, captured
 * with the rest, give the host-to-device, compute and device-to-host times of every run
 * ({@link #lastStageNanos}). On an integrated GPU (Jetson) the pinned buffers are mapped into the device's address
 * space and bound directly: no copies at all.
 */
final class TensorRtLane implements Lane {
    /** {@code bytes} is what a run copies (0 when the device reads the pinned memory itself). */
    private record Bound(String name, Tensor tensor, DeviceBuffer device, PinnedHostBuffer host, long bytes) {
    }

    private final CudaContext context;
    private final CudaStream stream;
    private final TrtExecutionContext trt;
    private final Map<String, Bound> inputs = new LinkedHashMap<>();
    private final Map<String, Bound> outputs = new LinkedHashMap<>();
    private final List<AutoCloseable> owned = new ArrayList<>();
    /** Recorded before the input copies, after them, after inference and after the output copies. */
    private final CudaEvent[] marks = new CudaEvent[4];
    private final long[] stageNanos = {-1, -1, -1};
    /** Whether {@link #stageNanos} still holds an earlier run's times: read from the events only when asked. */
    private boolean stageTimesStale;
    private final GraphReplay<CudaGraph> replay;
    private boolean closed;

    private final boolean zeroCopy;

    /**
     * @param zeroCopy the GPU shares host memory and can map it (Jetson): the lane's pinned buffers are mapped
     *                 into the device address space and bound directly, so a run copies nothing
     */
    TensorRtLane(CudaContext context, TrtEngine engine, ScratchArena arena, boolean zeroCopy, List<TensorInfo> in,
                 List<TensorInfo> out, OptimizationProfile profile, Map<String, Shape> shapes) {
        this.context = context;
        this.zeroCopy = zeroCopy;
        context.makeCurrent();
        this.stream = CudaStream.create(context);
        owned.add(stream);
        try {
            this.trt = engine.createExecutionContextWithoutScratch();
            owned.add(trt);
            for (TensorInfo t : in) {
                Shape s = shapes.get(t.name());
                String violation = profile.violation(t.name(), s);
                if (violation != null) {
                    throw new InvalidInputException(t.name(), violation);
                }
                trt.setInputShape(t.name(), s.dims());
                inputs.put(t.name(), bind(t, s));
            }
            // The shapes are final now: lease only the scratch they need (often far below the engine's worst case).
            ScratchArena.Lease scratch = arena.lease(trt.scratchBytesForShapes());
            owned.add(() -> arena.release(scratch));
            trt.setDeviceMemory(scratch.address(), scratch.bytes());
            for (TensorInfo t : out) {
                long[] dims = trt.tensorShape(t.name());
                for (long d : dims) {
                    if (d < 0) {
                        throw new NativeFailureException("output '" + t.name() + "' has a data-dependent shape; "
                                + "TensorRT lanes need every output shape known from the input shapes");
                    }
                }
                outputs.put(t.name(), bind(t, Shape.of(dims)));
            }
            for (int i = 0; i < marks.length; i++) {
                marks[i] = CudaEvent.create(context, true);
                owned.add(marks[i]);
            }
            this.replay = new GraphReplay<>("TensorRT lane on stream " + stream.id(), new GraphReplay.Work<>() {
                @Override
                public void runEagerly() {
                    enqueue(stream);
                    stream.synchronize();
                }

                @Override
                public CudaGraph capture() {
                    return CudaGraph.capture(stream, TensorRtLane.this::enqueue);
                }

                @Override
                public void replay(CudaGraph graph) {
                    graph.launch(stream);
                    stream.synchronize();
                }
            }, GraphReplay.enabledByDefault());
        } catch (NativeCallException e) {
            closeOwned();
            throw new NativeFailureException(e.getMessage(), e);
        } catch (RuntimeException e) {
            closeOwned();
            throw e;
        }
    }

    private Bound bind(TensorInfo t, Shape shape) {
        long bytes = TrtTypes.byteSize(t.dtype(), shape.dims());
        long capacity = TrtTypes.grownCapacity(0, bytes);
        if (zeroCopy) {
            PinnedHostBuffer mapped = PinnedHostBuffer.allocate(context, capacity, true);
            owned.add(mapped);
            Tensor tensor = Tensor.wrap(mapped.buffer().limit((int) bytes), t.dtype(), shape);
            trt.setTensorAddress(t.name(), mapped.devicePointer());
            return new Bound(t.name(), tensor, null, mapped, 0);
        }
        DeviceBuffer device = DeviceBuffer.allocate(context, capacity);
        owned.add(device);
        PinnedHostBuffer host = PinnedHostBuffer.allocate(context, capacity, false);
        owned.add(host);
        ByteBuffer view = host.buffer().limit((int) bytes);
        Tensor tensor = Tensor.wrap(view, t.dtype(), shape); // borrows the pinned memory the lane owns
        trt.setTensorAddress(t.name(), device.address());
        return new Bound(t.name(), tensor, device, host, bytes);
    }

    @Override
    public Tensor input(String name) {
        return find(inputs, name, "input").tensor();
    }

    @Override
    public Tensor output(String name) {
        return find(outputs, name, "output").tensor();
    }

    private Bound find(Map<String, Bound> map, String name, String kind) {
        if (closed) {
            throw new IllegalStateException("TensorRT lane is closed");
        }
        Bound b = map.get(name);
        if (b == null) {
            throw new NoSuchElementException("no " + kind + " '" + name + "'; this lane has " + map.keySet());
        }
        return b;
    }

    @Override
    public void run() {
        if (closed) {
            throw new IllegalStateException("TensorRT lane is closed");
        }
        try {
            context.makeCurrent();
            replay.run();
            stageTimesStale = true;
        } catch (NativeCallException e) {
            throw new NativeFailureException(e.getMessage(), e);
        }
    }

    /** The run's work, as queued eagerly or captured: input copies, inference, output copies, between time marks. */
    private void enqueue(CudaStream on) {
        marks[0].record(on);
        for (Bound b : inputs.values()) {
            if (b.bytes() > 0) {
                b.device().copyFromHost(b.host().address(), 0, b.bytes(), on);
            }
        }
        marks[1].record(on);
        trt.enqueueV3(on);
        marks[2].record(on);
        for (Bound b : outputs.values()) {
            if (b.bytes() > 0) {
                b.device().copyToHost(b.host().address(), 0, b.bytes(), on);
            }
        }
        marks[3].record(on);
    }

    @Override
    public long lastStageNanos(Stage stage) {
        if (stageTimesStale) {
            // Three driver calls (through JNA, each allocating its argument array) that a run does not need: only
            // callers that read the times pay for them.
            try {
                for (int i = 0; i < stageNanos.length; i++) {
                    stageNanos[i] = Math.round(CudaEvent.elapsedMillis(marks[i], marks[i + 1]) * 1e6);
                }
            } catch (NativeCallException e) {
                throw new NativeFailureException(e.getMessage(), e);
            }
            stageTimesStale = false;
        }
        return stageNanos[stage.ordinal()];
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stageTimesStale = false; // the events go with the lane; the last times read (or -1) remain
        try {
            stream.synchronize();
        } catch (RuntimeException e) {
            // a failed stream still gets its resources freed below
        }
        replay.close();
        closeOwned();
    }

    /** Closes in reverse order of creation: buffers, then the execution context, then the stream. */
    private void closeOwned() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(TensorRtLane.class).warn("closing {} failed: {}", owned.get(i), e.toString());
            }
        }
        owned.clear();
    }
}

package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.cuda.CudaContext;
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
 * A TensorRT lane: its own execution context and stream, input shapes set once, and per tensor a device
 * buffer plus a pinned host buffer that the lane's {@link Tensor}s are views of. {@link #run()} queues the
 * input copies, {@code enqueueV3} and the output copies and waits: no allocation, no Java-heap copy.
 * (On an integrated GPU mapped pinned memory could replace the copies; the executor issue does that.)
 */
final class TensorRtLane implements Lane {
    private record Bound(String name, Tensor tensor, DeviceBuffer device, PinnedHostBuffer host, long bytes) {
    }

    private final CudaContext context;
    private final CudaStream stream;
    private final TrtExecutionContext trt;
    private final Map<String, Bound> inputs = new LinkedHashMap<>();
    private final Map<String, Bound> outputs = new LinkedHashMap<>();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private boolean closed;

    TensorRtLane(CudaContext context, TrtEngine engine, List<TensorInfo> in, List<TensorInfo> out,
                 OptimizationProfile profile, Map<String, Shape> shapes) {
        this.context = context;
        context.makeCurrent();
        this.stream = CudaStream.create(context);
        owned.add(stream);
        try {
            this.trt = engine.createExecutionContext();
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
            for (Bound b : inputs.values()) {
                if (b.bytes() > 0) {
                    b.device().copyFromHost(b.host().address(), 0, b.bytes(), stream);
                }
            }
            trt.enqueueV3(stream);
            for (Bound b : outputs.values()) {
                if (b.bytes() > 0) {
                    b.device().copyToHost(b.host().address(), 0, b.bytes(), stream);
                }
            }
            stream.synchronize();
        } catch (NativeCallException e) {
            throw new NativeFailureException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stream.synchronize();
        } catch (RuntimeException e) {
            // a failed stream still gets its resources freed below
        }
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

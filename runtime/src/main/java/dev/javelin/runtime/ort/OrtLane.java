package dev.javelin.runtime.ort;

import dev.javelin.bindings.core.HostBuffer;
import dev.javelin.bindings.ort.IoBinding;
import dev.javelin.bindings.ort.OrtException;
import dev.javelin.bindings.ort.RunConfig;
import dev.javelin.bindings.ort.TensorValue;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.NativeFailureException;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lane on ONNX Runtime: an {@link IoBinding} whose inputs are bound once to host buffers the lane
 * owns, and whose outputs are preallocated, so {@link #run()} is one native call.
 *
 * <p>Outputs whose shape the signature fixes are allocated up front. The others are bound to host
 * memory ONNX Runtime allocates on the first run; the lane then keeps that value, which stays bound,
 * so later runs write into the same memory. If a later run fails because such an output's shape
 * changed (data-dependent shapes, e.g. NonZero), the lane rebinds it, reruns once, and from then on
 * lets ONNX Runtime allocate that output on every run, replacing the output tensor (the previous one
 * is closed).
 *
 * <p>Tensors handed out by {@link #input} and {@link #output} are views over memory the lane owns:
 * closing them does not free that memory; closing the lane does, and marks them closed.
 */
final class OrtLane implements Lane {
    private enum Mode {
        /** Preallocated by the lane from the signature's fixed shape. */
        FIXED,
        /** Bound to host; ONNX Runtime allocates on the next run and the lane keeps that value. */
        LEARN,
        /** The value ONNX Runtime allocated is kept and stays bound. */
        LEARNED,
        /** Rebound before every run; the output tensor is replaced after each run. */
        DYNAMIC
    }

    private static final class Output {
        final String name;
        final DType dtype;
        Mode mode;
        HostBuffer memory;
        TensorValue value;
        Tensor tensor;

        Output(String name, DType dtype) {
            this.name = name;
            this.dtype = dtype;
        }
    }

    private final OrtCompiledModel model;
    private final IoBinding binding;
    /** Which of the model's instances this lane's binding belongs to (lanes are spread over them). */
    final int instance;
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private final List<TensorValue> inputValues = new ArrayList<>();
    private final List<HostBuffer> inputMemory = new ArrayList<>();
    private final Map<String, Output> outputs = new LinkedHashMap<>();
    private boolean needsFetch;
    private boolean hasLearned;
    private boolean dynamic;
    private boolean closed;
    // True until the lane's first run, if that run should shrink the CPU arena (RunConfig.shrinkingCpuArena()).
    private boolean trimAfterNextRun;
    private final AtomicBoolean running = new AtomicBoolean();

    /** @param instance the model instance to run on, already reserved for this lane (released on close) */
    OrtLane(OrtCompiledModel model, Map<String, Shape> shapes, int instance) {
        this.model = model;
        this.instance = instance;
        IoBinding b;
        try {
            b = model.instances().session(instance).newIoBinding();
        } catch (RuntimeException e) {
            model.instances().laneClosed(instance);
            throw e;
        }
        this.binding = b;
        this.trimAfterNextRun = model.instances().session(instance).trimsArenaAfterFirstRun();
        try {
            for (TensorInfo info : model.signature().inputs()) {
                Shape shape = shapes.get(info.name());
                if (shape == null) {
                    throw new InvalidInputException(info.name(), "no shape given for input '" + info.name() + "' "
                            + info.shapeString());
                }
                HostBuffer mem = HostBuffer.allocate(Math.multiplyExact(shape.elementCount(), (long) info.dtype().byteSize()));
                inputMemory.add(mem);
                TensorValue v = TensorValue.wrap(mem.buffer(), info.dtype().onnxType(), shape.dims());
                inputValues.add(v);
                binding.bindInput(info.name(), v);
                inputs.put(info.name(), Tensor.wrap(mem.buffer(), info.dtype(), shape));
            }
            for (TensorInfo info : model.signature().outputs()) {
                Output o = new Output(info.name(), info.dtype());
                if (info.isStatic()) {
                    Shape shape = Shape.of(info.dims().stream().mapToLong(TensorInfo.Dim::size).toArray());
                    o.memory = HostBuffer.allocate(Math.multiplyExact(shape.elementCount(), (long) info.dtype().byteSize()));
                    o.value = TensorValue.wrap(o.memory.buffer(), info.dtype().onnxType(), shape.dims());
                    binding.bindOutput(info.name(), o.value);
                    o.tensor = Tensor.wrap(o.memory.buffer(), info.dtype(), shape);
                    o.mode = Mode.FIXED;
                } else {
                    binding.bindOutputToHost(info.name());
                    o.mode = Mode.LEARN;
                    needsFetch = true;
                }
                outputs.put(info.name(), o);
            }
        } catch (OrtException e) {
            close();
            throw new NativeFailureException("cannot bind a lane of " + model.model().getFileName() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public Tensor input(String name) {
        checkOpen();
        Tensor t = inputs.get(name);
        if (t == null) {
            throw new InvalidInputException(name, "unknown input '" + name + "'; the lane's inputs are " + inputs.keySet());
        }
        return t;
    }

    @Override
    public Tensor output(String name) {
        checkOpen();
        Output o = outputs.get(name);
        if (o == null) {
            throw new NoSuchElementException("no output '" + name + "'; outputs are " + outputs.keySet());
        }
        if (o.tensor == null) {
            throw new IllegalStateException("output '" + name + "' has a shape the model does not fix; it exists after the first run()");
        }
        return o.tensor;
    }

    /**
     * Binds caller memory (hook for streaming sessions' state ping-pong): the value wrapping it is kept by the
     * lane and closed with it; the memory stays the caller's.
     */
    @Override
    public void bind(String name, Tensor tensor) {
        checkOpen();
        Tensor view = Tensor.wrap(tensor.unsafeBuffer(), tensor.dtype(), tensor.shape());
        TensorValue v = TensorValue.wrap(tensor.unsafeBuffer(), tensor.dtype().onnxType(), tensor.shape().dims());
        if (inputs.containsKey(name)) {
            binding.bindInput(name, v);
            inputValues.add(v);
            inputs.put(name, view);
            return;
        }
        Output o = outputs.get(name);
        if (o == null) {
            v.close();
            throw new NoSuchElementException("no input or output '" + name + "'; inputs are " + inputs.keySet()
                    + ", outputs " + outputs.keySet());
        }
        binding.bindOutput(name, v);
        if (o.value != null) {
            o.value.close();
        }
        if (o.memory != null) {
            o.memory.close();
            o.memory = null;
        }
        o.value = v;
        o.tensor = view;
        o.mode = Mode.FIXED;
        needsFetch = outputs.values().stream().anyMatch(x -> x.mode == Mode.LEARN || x.mode == Mode.DYNAMIC);
    }

    @Override
    public void run() {
        checkOpen();
        // An IoBinding run by two threads at once is a data race inside ONNX Runtime: refuse it instead.
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("lane of " + model.model().getFileName()
                    + " is already running on another thread; open one lane per thread");
        }
        try {
            runBound();
        } finally {
            running.set(false);
        }
    }

    private void runBound() {
        if (dynamic) {
            for (Output o : outputs.values()) {
                if (o.mode == Mode.DYNAMIC) {
                    binding.bindOutputToHost(o.name);
                }
            }
        }
        RunConfig first = trimAfterNextRun ? RunConfig.shrinkingCpuArena() : null;
        trimAfterNextRun = false;
        try {
            if (hasLearned) {
                binding.runQuietly(first); // a failure here may be an expected shape change, handled below
            } else {
                binding.run(first);
            }
        } catch (OrtException e) {
            if (!retryWithFreshOutputs()) {
                throw failure(e);
            }
            try {
                binding.run(null);
            } catch (OrtException again) {
                throw failure(again);
            }
        }
        if (needsFetch) {
            fetchOutputs();
        }
    }

    /**
     * After a failed run: if some outputs reuse memory whose shape was learned, let ONNX Runtime allocate
     * them again from now on. Returns whether a retry makes sense.
     */
    private boolean retryWithFreshOutputs() {
        boolean any = false;
        for (Output o : outputs.values()) {
            if (o.mode == Mode.LEARNED) {
                o.mode = Mode.DYNAMIC;
                binding.bindOutputToHost(o.name);
                any = true;
            }
        }
        if (any) {
            dynamic = true;
            needsFetch = true;
            hasLearned = false;
        }
        return any;
    }

    private NativeFailureException failure(OrtException e) {
        return new NativeFailureException("ONNX Runtime failed to run a lane of " + model.model().getFileName() + ": "
                + e.getMessage(), e);
    }

    /** Takes the values ONNX Runtime allocated for LEARN/DYNAMIC outputs; closes references to the others. */
    private void fetchOutputs() {
        for (Map.Entry<String, TensorValue> e : binding.outputs()) {
            Output o = outputs.get(e.getKey());
            TensorValue v = e.getValue();
            if (o == null || (o.mode != Mode.LEARN && o.mode != Mode.DYNAMIC)) {
                v.close();
                continue;
            }
            if (o.tensor != null) {
                o.tensor.close();
            }
            if (o.value != null) {
                o.value.close();
            }
            o.value = v;
            if (v.elementType() != o.dtype.onnxType()) {
                throw new NativeFailureException("output '" + o.name + "' came back with ONNX element type "
                        + v.elementType() + " but the model declares " + o.dtype);
            }
            // A view: the lane keeps owning the value; closing the tensor frees nothing.
            o.tensor = Tensor.wrap(v.data(), o.dtype, Shape.of(v.shape()));
            if (o.mode == Mode.LEARN) {
                o.mode = Mode.LEARNED;
                hasLearned = true;
            }
        }
        needsFetch = dynamic;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("lane of " + model.model().getFileName() + " is closed");
        }
    }

    /** Releases the binding first (it references the values), then values, then memory. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        binding.close();
        for (Tensor t : inputs.values()) {
            t.close();
        }
        inputValues.forEach(TensorValue::close);
        inputMemory.forEach(HostBuffer::close);
        for (Output o : outputs.values()) {
            if (o.tensor != null) {
                o.tensor.close();
            }
            if (o.value != null) {
                o.value.close();
            }
            if (o.memory != null) {
                o.memory.close();
            }
        }
        model.laneClosed(this);
    }
}

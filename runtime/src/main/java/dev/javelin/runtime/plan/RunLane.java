package dev.javelin.runtime.plan;

import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.spi.CompiledModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A lane of a partition plan (on TensorRT or emulated): input tensors allocated once for the lane's shapes;
 * {@link #run()} runs the plan on them and keeps the result, whose tensors {@link #output} returns until the next run
 * (plan outputs can have data-dependent shapes, so they cannot be preallocated). Not a zero-copy path: each run
 * allocates its outputs.
 */
public final class RunLane implements Lane {
    private final CompiledModel model;
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private Result last;
    private boolean closed;

    /**
     * Allocates the inputs of {@code signature} at {@code shapes} (complete and validated by the session).
     *
     * @param model the plan; borrowed, it must outlive the lane
     */
    public RunLane(CompiledModel model, ModelSignature signature, Map<String, Shape> shapes) {
        this.model = model;
        try {
            for (TensorInfo t : signature.inputs()) {
                inputs.put(t.name(), Tensor.allocate(t.dtype(), shapes.get(t.name())));
            }
        } catch (RuntimeException e) {
            inputs.values().forEach(Tensor::close);
            throw e;
        }
    }

    @Override
    public Tensor input(String name) {
        check();
        Tensor t = inputs.get(name);
        if (t == null) {
            throw new NoSuchElementException("no input '" + name + "'; inputs are " + inputs.keySet());
        }
        return t;
    }

    @Override
    public Tensor output(String name) {
        check();
        if (last == null) {
            throw new IllegalStateException("output '" + name + "' does not exist before the lane's first run (plan outputs "
                    + "are allocated by each run)");
        }
        return last.get(name);
    }

    @Override
    public void run() {
        check();
        Result r = model.run(inputs);
        if (last != null) {
            last.close();
        }
        last = r;
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("plan lane is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (last != null) {
            last.close();
        }
        inputs.values().forEach(Tensor::close);
    }
}

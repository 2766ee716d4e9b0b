package dev.javelin.runtime.spi;

import dev.javelin.runtime.Lane;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import java.util.Map;

/**
 * A model prepared by one backend. {@link #run} is safe to call from many threads at once; inputs
 * reaching it have already been validated against {@link #signature()} by the session.
 */
public interface CompiledModel extends AutoCloseable {
    /** Inputs and outputs with symbolic dimensions. */
    ModelSignature signature();

    /** Human-readable description of what runs the model, e.g. {@code "ONNX Runtime 1.24.1 CPU"}. */
    String description();

    /** Runs once on validated inputs; the caller owns the result. */
    Result run(Map<String, Tensor> inputs);

    /** Opens a lane with inputs of the given (validated, complete) shapes; the caller owns it. */
    Lane newLane(Map<String, Shape> inputShapes);

    /**
     * Opens a lane that its caller runs in turns with {@code sibling} (a lane of this model), never at the
     * same time, e.g. the two lanes of a state ping-pong. Backends that spread lanes over resources put it
     * beside {@code sibling}; the default is {@link #newLane}.
     */
    default Lane newLaneBeside(Lane sibling, Map<String, Shape> inputShapes) {
        return newLane(inputShapes);
    }

    /** Frees the backend's native state; no run is in flight when the session calls it. */
    @Override
    void close();
}

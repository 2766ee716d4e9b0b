package dev.javelin.runtime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The outputs of one run, in model order. The caller owns it: {@link #close()} frees every output
 * tensor (tensors taken out with {@link #take} are then the caller's to close).
 */
public final class Result implements AutoCloseable {
    private final Map<String, Tensor> outputs;

    /** @param outputs output tensors in model order; ownership passes to the result */
    public Result(Map<String, Tensor> outputs) {
        this.outputs = new LinkedHashMap<>(outputs);
    }

    /**
     * The output named {@code name}; owned by this result.
     *
     * @throws NoSuchElementException naming the outputs that exist
     */
    public Tensor get(String name) {
        Tensor t = outputs.get(name);
        if (t == null) {
            throw new NoSuchElementException("no output '" + name + "'; outputs are " + outputs.keySet());
        }
        return t;
    }

    /** Removes an output from this result; the caller now owns it. */
    public Tensor take(String name) {
        Tensor t = get(name);
        outputs.remove(name);
        return t;
    }

    /** All outputs by name, in model order (read-only view). */
    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(outputs);
    }

    /** Closes every output still held. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (Tensor t : outputs.values()) {
            try {
                t.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        outputs.clear();
        if (first != null) {
            throw first;
        }
    }
}

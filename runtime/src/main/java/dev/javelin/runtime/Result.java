package dev.javelin.runtime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The outputs of one run, in model order. The caller owns it: {@link #close()} frees every output
 * tensor (tensors taken out with {@link #take} are then the caller's to close).
 *
 * <p>Held as two parallel arrays rather than a map: a model has a handful of outputs, so a scan compares
 * fewer strings than hashing does, and {@code run(Map)} on a tiny model then allocates one small array per
 * call for its result instead of two hash maps (the general path's per-call garbage roughly halves).
 */
public final class Result implements AutoCloseable {
    private final String[] names;
    private final Tensor[] tensors;

    /** @param outputs output tensors in model order; ownership passes to the result */
    public Result(Map<String, Tensor> outputs) {
        this.names = outputs.keySet().toArray(new String[0]);
        this.tensors = outputs.values().toArray(new Tensor[0]);
    }

    private Result(String[] names, Tensor[] tensors) {
        this.names = names;
        this.tensors = tensors;
    }

    /**
     * A result over {@code tensors}, named by {@code names} (same order, same length). The result reads
     * {@code names} and never changes it, so a backend may pass the same array for every run; it takes
     * ownership of {@code tensors}, the array and the tensors in it.
     */
    public static Result of(String[] names, Tensor[] tensors) {
        if (names.length != tensors.length) {
            throw new IllegalArgumentException(names.length + " names for " + tensors.length + " tensors");
        }
        return new Result(names, tensors);
    }

    private int indexOf(String name) {
        for (int i = 0; i < names.length; i++) {
            if (tensors[i] != null && (names[i] == name || names[i].equals(name))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The output named {@code name}; owned by this result.
     *
     * @throws NoSuchElementException naming the outputs that exist
     */
    public Tensor get(String name) {
        return tensors[require(name)];
    }

    /** Removes an output from this result; the caller now owns it. */
    public Tensor take(String name) {
        int i = require(name);
        Tensor t = tensors[i];
        tensors[i] = null;
        return t;
    }

    private int require(String name) {
        int i = indexOf(name);
        if (i < 0) {
            throw new NoSuchElementException("no output '" + name + "'; outputs are " + asMap().keySet());
        }
        return i;
    }

    /** All outputs still held, by name, in model order (a read-only snapshot). */
    public Map<String, Tensor> asMap() {
        Map<String, Tensor> m = new LinkedHashMap<>(names.length * 2);
        for (int i = 0; i < names.length; i++) {
            if (tensors[i] != null) {
                m.put(names[i], tensors[i]);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** How many outputs this result still holds. */
    public int size() {
        int n = 0;
        for (Tensor t : tensors) {
            if (t != null) {
                n++;
            }
        }
        return n;
    }

    /** Closes every output still held. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = 0; i < tensors.length; i++) {
            Tensor t = tensors[i];
            tensors[i] = null;
            if (t == null) {
                continue;
            }
            try {
                t.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}

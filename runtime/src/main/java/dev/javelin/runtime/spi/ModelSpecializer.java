package dev.javelin.runtime.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rewrites a model for one fixed use: inputs that never change become constants and inputs whose shapes never
 * change get static shapes, so the graph work they decide (an {@code If} on a sample rate, {@code Shape} ops)
 * folds away. The runtime cannot rewrite graphs itself (graph passes live in the builder module, which depends on
 * the runtime); the builder provides an implementation, found with {@link java.util.ServiceLoader} when it is on
 * the class path. {@link dev.javelin.runtime.exec.StreamingSession} uses it for its constants and fixed shapes.
 */
public interface ModelSpecializer {
    /**
     * The specialized copy of {@code model}, or empty when the rewrite changes nothing worth a second session.
     *
     * @param values input name -> value text (comma-separated numbers), inputs to turn into constants
     * @param shapes input name -> fixed shape, for the inputs that keep being fed
     * @throws RuntimeException if the model cannot be specialized (the caller falls back to the original)
     */
    Optional<Specialized> specialize(Path model, Map<String, String> values, Map<String, long[]> shapes);

    /**
     * @param model  the specialized model file (cached: the same request finds it again)
     * @param report what the rewrite did, one line per step
     */
    record Specialized(Path model, List<String> report) {
    }
}

package dev.javelin.runtime;

import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.spi.Backend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds backends with {@link ServiceLoader}, ranks them (TensorRT, ONNX Runtime CUDA, ONNX Runtime CPU)
 * and picks one. The system property {@code javelin.backend} overrides {@link SessionOptions#backend()}.
 */
public final class BackendSelector {
    private static final Logger LOG = LoggerFactory.getLogger(BackendSelector.class);

    private BackendSelector() {
    }

    /** A backend with its availability for some options. */
    public record Candidate(Backend backend, Availability availability) {
    }

    /** Every installed backend in rank order, each with its availability for {@code options}. */
    public static List<Candidate> survey(SessionOptions options) {
        List<Backend> found = installed();
        List<Candidate> out = new ArrayList<>();
        for (BackendKind kind : List.of(BackendKind.TENSORRT, BackendKind.CUDA, BackendKind.CPU)) {
            Backend b = found.stream().filter(x -> x.kind() == kind).findFirst().orElse(null);
            if (b != null) {
                out.add(new Candidate(b, b.availability(options)));
            }
        }
        return out;
    }

    private static List<Backend> installed() {
        List<Backend> found = new ArrayList<>();
        ServiceLoader.load(Backend.class, BackendSelector.class.getClassLoader()).forEach(found::add);
        found.sort(Comparator.comparingInt(b -> b.kind().ordinal()));
        return found;
    }

    /** The kind requested by the {@code javelin.backend} property, else by the options. */
    static BackendKind requested(SessionOptions options) {
        String forced = System.getProperty("javelin.backend");
        return forced == null || forced.isBlank() ? options.backend() : BackendKind.parse(forced.trim());
    }

    /**
     * The backend to use: the requested one if usable, or for {@code auto} the best usable one.
     *
     * @throws BackendUnavailableException if the requested backend (or, for auto, every backend) is unusable
     */
    public static Backend select(SessionOptions options) {
        BackendKind want = requested(options);
        if (want != BackendKind.AUTO) {
            // Only the requested backend is probed: probing the others would load their native stacks
            // (JNA and the CUDA driver probe for TensorRT) for nothing, costing start-up time and memory.
            for (Backend b : installed()) {
                if (b.kind() == want) {
                    Availability a = b.availability(options);
                    if (!a.usable()) {
                        throw new BackendUnavailableException(want.label(), a.detail());
                    }
                    LOG.info("backend {}: {}", want, a.detail());
                    return b;
                }
            }
            throw new BackendUnavailableException(want.label(), "no implementation on the class path");
        }
        List<Candidate> all = survey(options);
        StringBuilder reasons = new StringBuilder();
        for (Candidate c : all) {
            if (c.availability().usable()) {
                LOG.info("backend {} selected: {}", c.backend().kind(), c.availability().detail());
                return c.backend();
            }
            LOG.info("backend {} skipped: {}", c.backend().kind(), c.availability().detail());
            reasons.append(reasons.length() == 0 ? "" : "; ").append(c.backend().kind()).append(": ")
                    .append(c.availability().detail());
        }
        throw new BackendUnavailableException("auto", all.isEmpty() ? "no backend on the class path" : reasons.toString());
    }
}

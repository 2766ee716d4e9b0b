package dev.javelin.runtime.ort;

import dev.javelin.bindings.ort.InferenceSession;
import dev.javelin.bindings.ort.PrepackedWeights;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.bindings.ort.SessionRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONNX Runtime sessions ("instances") holding one model, up to a limit chosen by {@link InstancePolicy}.
 * The first is created up front; each further one only when every existing instance already serves a
 * runner (a concurrent {@code run(Map)} caller) or a lane, so a session used by one caller at a time holds
 * one instance. Runners and lanes are each spread to the instance with the fewest of their kind.
 * Instances share one {@link PrepackedWeights} container.
 *
 * <p>Not on the hot path: runners are created only when the pool has no idle one and lanes are long-lived,
 * so plain {@code synchronized} suffices.
 *
 * <p>{@link #close()} order: sessions (newest first), then the shared container, then the session options.
 */
final class ModelInstances {
    private static final Logger LOG = LoggerFactory.getLogger(ModelInstances.class);

    private final Path model;
    private final SessionConfig config;
    private final PrepackedWeights shared;
    private final List<InferenceSession> sessions = new ArrayList<>();
    private final Map<SessionRunner, Integer> runnerInstance = new IdentityHashMap<>();
    private final int[] runners;
    private final int[] lanes;
    private int max;

    /**
     * @param first  the first instance (owned from here on), created with {@code config} and {@code shared}
     * @param config options for further instances, owned from here on; {@code null} when {@code max == 1}
     * @param shared pre-packed weights container {@code first} was created with, owned from here on;
     *               {@code null} when {@code max == 1}
     */
    ModelInstances(Path model, InferenceSession first, SessionConfig config, PrepackedWeights shared, int max) {
        if (max > 1 && (config == null || shared == null)) {
            throw new IllegalArgumentException("more than one instance needs the session options and a shared container");
        }
        this.model = model;
        this.config = config;
        this.shared = shared;
        this.max = max;
        this.runners = new int[max];
        this.lanes = new int[max];
        sessions.add(first);
    }

    /** The first instance (model metadata is read from it). */
    synchronized InferenceSession first() {
        return sessions.get(0);
    }

    /** How many instances exist now. */
    synchronized int count() {
        return sessions.size();
    }

    /** A new runner on the instance with the fewest runners, creating an instance if all have one. */
    synchronized SessionRunner newRunner() {
        int i = pick(runners);
        SessionRunner r = sessions.get(i).newRunner();
        runners[i]++;
        runnerInstance.put(r, i);
        return r;
    }

    /** The most instances this model may get (fixed at creation; failures may only lower what is reached). */
    int maxCount() {
        return runners.length;
    }

    /** The instance {@code r} runs on (a runner from {@link #newRunner()}). */
    synchronized int instanceOf(SessionRunner r) {
        Integer i = runnerInstance.get(r);
        if (i == null) {
            throw new IllegalArgumentException("runner was not created by these instances");
        }
        return i;
    }

    /** Forgets a runner the pool is about to close. */
    synchronized void runnerClosed(SessionRunner r) {
        Integer i = runnerInstance.remove(r);
        if (i != null) {
            runners[i]--;
        }
    }

    /** Reserves a lane on the instance with the fewest lanes (creating one if all have one); returns its index. */
    synchronized int reserveLane() {
        int i = pick(lanes);
        lanes[i]++;
        return i;
    }

    /** Reserves a lane on instance {@code i} (one that exists). */
    synchronized int reserveLaneOn(int i) {
        lanes[i]++;
        return i;
    }

    /** The session of instance {@code i}. */
    synchronized InferenceSession session(int i) {
        return sessions.get(i);
    }

    /** Releases a lane reservation. */
    synchronized void laneClosed(int i) {
        lanes[i]--;
    }

    private int pick(int[] users) {
        int best = 0;
        for (int i = 1; i < sessions.size(); i++) {
            if (users[i] < users[best]) {
                best = i;
            }
        }
        if (users[best] == 0 || sessions.size() >= max) {
            return best;
        }
        try {
            long t0 = System.nanoTime();
            sessions.add(OrtBackendSupport.open(model, config, shared));
            LOG.info("{}: created model instance {} of at most {} for concurrent callers ({} ms)",
                    model.getFileName(), sessions.size(), max, (System.nanoTime() - t0) / 1_000_000);
            return sessions.size() - 1;
        } catch (RuntimeException e) {
            // A failed extra instance costs throughput, not correctness: keep running on the ones there are.
            LOG.warn("{}: could not create model instance {} ({}); staying at {}", model.getFileName(),
                    sessions.size() + 1, e.getMessage(), sessions.size());
            max = sessions.size();
            return best;
        }
    }

    /** Closes every instance, then the shared container and the options; no run or lane may be in flight. */
    synchronized void close() {
        RuntimeException failure = null;
        for (int i = sessions.size() - 1; i >= 0; i--) {
            try {
                sessions.get(i).close();
            } catch (RuntimeException e) {
                LOG.warn("closing model instance {} of {} failed", i + 1, model.getFileName(), e);
                failure = failure == null ? e : failure;
            }
        }
        runnerInstance.clear();
        if (shared != null) {
            shared.close();
        }
        if (config != null) {
            config.close();
        }
        if (failure != null) {
            throw failure;
        }
    }
}

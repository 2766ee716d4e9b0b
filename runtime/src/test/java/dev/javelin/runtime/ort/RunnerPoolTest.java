package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.javelin.bindings.ort.PrepackedWeights;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent callers are handed runners on different model instances whenever an idle one exists, and each
 * caller gets back the runner it used last whenever that one is idle.
 */
class RunnerPoolTest {
    @TempDir
    Path dir;

    @Test
    void twoCallersLandOnDifferentInstancesEvenWithAThirdRunnerIdle() {
        Path model = TestModels.matMulRelu(dir, 8, 4);
        SessionConfig config = OrtBackendSupport.config(OrtInstancesTest.cpu(2));
        PrepackedWeights shared = PrepackedWeights.create();
        ModelInstances instances = new ModelInstances(model, OrtBackendSupport.open(model, config, shared), config, shared, 2);
        RunnerPool pool = new RunnerPool(instances, 4, 1, 1);
        try {
            RunnerPool.Pooled a = pool.acquire();
            RunnerPool.Pooled b = pool.acquire();
            RunnerPool.Pooled c = pool.acquire(); // the race that leaves a third runner: it shares an instance
            assertEquals(2, instances.count());
            assertNotEquals(a.instance, b.instance);
            RunnerPool.Pooled sameAsC = c.instance == a.instance ? a : b;
            RunnerPool.Pooled other = sameAsC == a ? b : a;
            // Returned so that the two runners of one instance come first in the slots a caller scans.
            pool.release(c);
            pool.release(sameAsC);
            pool.release(other);
            for (int round = 0; round < 10; round++) {
                RunnerPool.Pooled p = pool.acquire();
                RunnerPool.Pooled q = pool.acquire();
                assertNotEquals(p.instance, q.instance, "round " + round + ": both callers on instance " + p.instance);
                if (round % 2 == 0) {
                    pool.release(p);
                    pool.release(q);
                } else {
                    pool.release(q);
                    pool.release(p);
                }
            }
        } finally {
            pool.close();
            instances.close();
        }
    }

    @Test
    void eachThreadGetsBackTheRunnerItUsedLast() throws Exception {
        Path model = TestModels.matMulRelu(dir, OrtInstancesTest.K, OrtInstancesTest.N);
        OrtCompiledModel m = (OrtCompiledModel) new OrtCpuBackend().compile(model, OrtInstancesTest.cpu(2));
        RunnerPool pool = new RunnerPool(m.instances(), 4, 1, 1);
        try {
            int rounds = 50;
            CyclicBarrier barrier = new CyclicBarrier(2);
            List<List<RunnerPool.Pooled>> seen = List.of(new ArrayList<>(), new ArrayList<>());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            Map<Integer, Boolean> cells = new HashMap<>();
            // Two threads that would scan the slots in the same order (same thread id modulo the pool size), so
            // without the remembered slot whichever asks first takes the first idle runner and the two trade
            // runners from round to round; and whose hint cells differ (threads sharing a cell share one memory).
            long[] firstId = {-1};
            while (threads.size() < 2) {
                int id = threads.size();
                Thread t = new Thread(() -> {
                    try {
                        for (int r = 0; r < rounds; r++) {
                            barrier.await();
                            RunnerPool.Pooled p = pool.acquire();
                            seen.get(id).add(p);
                            barrier.await(); // both hold a runner at once
                            pool.release(p);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        barrier.reset();
                    }
                });
                boolean sameOrder = firstId[0] < 0 || t.getId() % 4 == firstId[0] % 4;
                if (sameOrder && cells.putIfAbsent(RunnerPool.hintIndex(t.getId()), true) == null) {
                    threads.add(t);
                    if (firstId[0] < 0) {
                        firstId[0] = t.getId();
                    }
                }
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get());
            for (List<RunnerPool.Pooled> s : seen) {
                Map<RunnerPool.Pooled, Boolean> distinct = new IdentityHashMap<>();
                s.forEach(p -> distinct.put(p, true));
                assertEquals(rounds, s.size());
                assertEquals(1, distinct.size(), "a thread kept trading runners: " + distinct.size() + " seen");
            }
            assertNotSame(seen.get(0).get(0), seen.get(1).get(0));
            assertNotEquals(seen.get(0).get(0).instance, seen.get(1).get(0).instance, "two callers on two ONNX Runtime sessions");
        } finally {
            pool.close();
            m.close();
        }
    }
}

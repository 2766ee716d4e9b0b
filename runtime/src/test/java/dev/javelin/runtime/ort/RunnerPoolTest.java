package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.javelin.bindings.ort.PrepackedWeights;
import dev.javelin.bindings.ort.SessionConfig;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrent callers are handed runners on different model instances whenever an idle one exists. */
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
}

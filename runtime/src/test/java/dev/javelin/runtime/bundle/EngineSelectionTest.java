package dev.javelin.runtime.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which plan of a bundle may load where: same TensorRT and compute capability, else refuse or rebuild. */
class EngineSelectionTest {
    private static final byte[] MODEL = {1, 2, 3};
    private static final BundleManifest.EngineRecord AMPERE = TestBundles.engine("engine.sm86-trt10.15.1.plan", new byte[] {1},
            "10.15.1", "8.6");
    private static final BundleManifest.EngineRecord ADA = TestBundles.engine("engine.sm89-trt10.15.1.plan", new byte[] {2},
            "10.15.1", "8.9");
    private static final EngineSelection.Host A4000 = new EngineSelection.Host("10.15.1", "8.6", "cuda:0 NVIDIA RTX A4000");

    @Test
    void sameTensorRtAndComputeCapabilityLoadsThePlan() {
        assertNull(EngineSelection.incompatibility(AMPERE, A4000));
        EngineSelection.Choice c = EngineSelection.choose(TestBundles.manifest(MODEL, List.of(ADA, AMPERE)), "b", A4000, false);
        EngineSelection.UsePlan use = assertInstanceOf(EngineSelection.UsePlan.class, c);
        assertEquals(AMPERE, use.engine(), "the plan for this GPU among several");
        assertEquals("default", use.profile().name());
    }

    @Test
    void anotherTensorRtVersionIsRefusedNamingBoth() {
        EngineSelection.Host newer = new EngineSelection.Host("10.16.0", "8.6", "cuda:0 NVIDIA RTX A4000");
        assertEquals("it was built with TensorRT 10.15.1 but this machine has TensorRT 10.16.0",
                EngineSelection.incompatibility(AMPERE, newer));
        EngineSelection.Refuse r = assertInstanceOf(EngineSelection.Refuse.class,
                EngineSelection.choose(TestBundles.manifest(MODEL, List.of(AMPERE)), "/srv/minilm.bundle", newer, false));
        assertEquals("bundle /srv/minilm.bundle has no TensorRT plan this machine can load: engine.sm86-trt10.15.1.plan: it was"
                + " built with TensorRT 10.15.1 but this machine has TensorRT 10.16.0. Rebuild the bundle here with 'javelin"
                + " build', or let Javelin build the engine from the bundle's model.onnx (SessionOptions.builder()"
                + ".rebuildEngines(true), 'javelin run --rebuild-engines')", r.message());
    }

    @Test
    void anotherComputeCapabilityIsRefusedNamingBoth() {
        EngineSelection.Host l4 = new EngineSelection.Host("10.15.1", "8.9", "cuda:0 NVIDIA L4");
        assertEquals("it was built for GPU compute capability 8.6 (NVIDIA RTX A4000) but cuda:0 NVIDIA L4 has compute"
                + " capability 8.9", EngineSelection.incompatibility(AMPERE, l4));
        EngineSelection.Host both = new EngineSelection.Host("10.16.0", "9.0", "cuda:1 NVIDIA H100");
        assertEquals("it was built with TensorRT 10.15.1 but this machine has TensorRT 10.16.0, and it was built for GPU"
                + " compute capability 8.6 (NVIDIA RTX A4000) but cuda:1 NVIDIA H100 has compute capability 9.0",
                EngineSelection.incompatibility(AMPERE, both));
        EngineSelection.Refuse r = assertInstanceOf(EngineSelection.Refuse.class,
                EngineSelection.choose(TestBundles.manifest(MODEL, List.of(AMPERE, ADA)), "b", both, false));
        assertEquals(true, r.message().contains("engine.sm86-trt10.15.1.plan: it was built with TensorRT 10.15.1")
                && r.message().contains("; engine.sm89-trt10.15.1.plan: it was built with TensorRT 10.15.1"), r.message());
    }

    @Test
    void theRebuildOptionBuildsFromTheModelWithTheBundleProfile() {
        EngineSelection.Host l4 = new EngineSelection.Host("10.15.1", "8.9", "cuda:0 NVIDIA L4");
        BundleManifest m = TestBundles.manifest(MODEL, List.of(AMPERE));
        EngineSelection.BuildFromModel b = assertInstanceOf(EngineSelection.BuildFromModel.class,
                EngineSelection.choose(m, "b", l4, true));
        assertEquals(m.profiles().get(0), b.profile());
        assertEquals("bundle b has no TensorRT plan for this machine (engine.sm86-trt10.15.1.plan: it was built for GPU compute"
                + " capability 8.6 (NVIDIA RTX A4000) but cuda:0 NVIDIA L4 has compute capability 8.9); rebuilding from"
                + " model.onnx with profile 'default' through the engine cache", b.reason());
        // The rebuild uses the recorded profile as explicit shapes plus the recorded settings: the same options
        // (and so the same engine cache key) as 'javelin build' used.
        assertEquals("a:1x16/1x16/32x16,b:1x16/1x16/32x16", m.build().options(b.profile().profile()).shapes().canonical());
    }

    @Test
    void aBundleWithoutPlanIsBuiltFromItsModel() {
        BundleManifest m = TestBundles.manifest(MODEL, List.of());
        EngineSelection.BuildFromModel b = assertInstanceOf(EngineSelection.BuildFromModel.class,
                EngineSelection.choose(m, "b", A4000, false));
        assertEquals("bundle b has no TensorRT plan (--onnx-only); building one from model.onnx through the engine cache",
                b.reason());
    }
}

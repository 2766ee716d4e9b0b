package dev.javelin.builder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.builder.testing.ModelFiles;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.bundle.Bundle;
import dev.javelin.runtime.bundle.BundleManifest;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.trt.TensorRtBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code javelin build} with TensorRT on a real GPU (skipped with the reason elsewhere): MiniLM's plan is built
 * with a profile and a timing cache, the bundle runs on TensorRT within TF32 tolerance of ONNX Runtime CPU, and a
 * second build takes the plan from the engine cache.
 */
class BuildCommandGpuTest {
    /** TensorRT may run float32 matrix products in TF32 (10-bit mantissa) on Ampere and newer. */
    private static final float TOLERANCE = 5e-3f;

    @Test
    void miniLmPlanBuildsRunsAndIsCached(@TempDir Path tmp) throws Exception {
        Availability a = new TensorRtBackend().availability(SessionOptions.defaults());
        Assumptions.assumeTrue(a.usable(), "TensorRT is not usable here: " + a.detail());
        Path out = tmp.resolve("minilm.bundle");
        Path timing = tmp.resolve("minilm.timing");
        String[] args = {"build", ModelFiles.miniLm().toString(), "-o", out.toString(), "--shapes",
                "input_ids:1x8/4x64/8x128", "--timing-cache", timing.toString()};
        String cacheDir = System.getProperty("javelin.engine.cache.dir");
        System.setProperty("javelin.engine.cache.dir", tmp.resolve("engines").toString());
        try {
            Cli.Outcome b = Cli.run(args);
            assertEquals(0, b.code(), b.toString());
            BundleManifest m = Bundle.open(out).manifest();
            assertTrue(m.tensorRt().built(), m.tensorRt().detail());
            assertEquals(1, m.engines().size());
            assertTrue(Files.size(timing) > 0, "timing cache saved");
            Cli.Outcome again = Cli.run(args);
            assertEquals(0, again.code(), again.toString());
            assertTrue(Bundle.open(out).manifest().tensorRt().detail().startsWith("taken from the engine cache"),
                    Bundle.open(out).manifest().tensorRt().detail());
        } finally {
            if (cacheDir == null) {
                System.clearProperty("javelin.engine.cache.dir");
            } else {
                System.setProperty("javelin.engine.cache.dir", cacheDir);
            }
        }
        long[] ids = {101, 7592, 2088, 2003, 1037, 3231, 102, 0};
        long[] mask = {1, 1, 1, 1, 1, 1, 1, 0};
        try (Tensor i = Tensor.of(ids, Shape.of(1, 8)); Tensor mk = Tensor.of(mask, Shape.of(1, 8));
             Tensor tt = Tensor.of(new long[8], Shape.of(1, 8));
             Session trt = Session.open(out, SessionOptions.builder().backend(BackendKind.TENSORRT)
                     .engineCacheDir(tmp.resolve("engines")).build());
             Session cpu = Session.open(out, SessionOptions.builder().backend(BackendKind.CPU).build());
             Result rt = trt.run(Map.of("input_ids", i, "attention_mask", mk, "token_type_ids", tt));
             Result rc = cpu.run(Map.of("input_ids", i, "attention_mask", mk, "token_type_ids", tt))) {
            assertTrue(trt.description().contains("plan "), trt.description());
            float[] a1 = rt.get("882").toFloatArray();
            float[] c1 = rc.get("882").toFloatArray();
            for (int k = 0; k < c1.length; k++) {
                assertEquals(c1[k], a1[k], TOLERANCE, "pooled[" + k + "]");
            }
        }
    }
}

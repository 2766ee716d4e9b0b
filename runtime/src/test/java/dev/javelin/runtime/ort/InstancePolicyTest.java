package dev.javelin.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The instance-count rule, checked case by case against the documented conditions. */
class InstancePolicyTest {
    static final long SMALL = 1 << 20;

    @Test
    void explicitRequestWins() {
        assertEquals(3, InstancePolicy.plan(3, true, 2, 0, 1L << 40).maxInstances());
        assertEquals(1, InstancePolicy.plan(1, true, 16, 1, SMALL).maxInstances());
        assertEquals(2, InstancePolicy.plan(2, false, 1, 0, SMALL).maxInstances());
    }

    @Test
    void automaticFillsTheCoresWithSmallModelsOnTheCpu() {
        assertEquals(2, InstancePolicy.plan(0, true, 2, 1, SMALL).maxInstances());
        assertEquals(8, InstancePolicy.plan(0, true, 8, 1, SMALL).maxInstances());
        assertEquals(4, InstancePolicy.plan(0, true, 8, 2, SMALL).maxInstances());
        assertEquals(2, InstancePolicy.plan(0, true, 8, 3, SMALL).maxInstances()); // 2 x 3 <= 8, 3 x 3 > 8
    }

    @Test
    void automaticStaysAtOneWhenInstancesCannotHelpOrCostTooMuch() {
        assertEquals(1, InstancePolicy.plan(0, false, 8, 1, SMALL).maxInstances(), "GPU backend");
        assertEquals(1, InstancePolicy.plan(0, true, 1, 1, SMALL).maxInstances(), "one core");
        assertEquals(1, InstancePolicy.plan(0, true, 8, 0, SMALL).maxInstances(), "default threads use every core");
        assertEquals(1, InstancePolicy.plan(0, true, 8, 5, SMALL).maxInstances(), "2 x 5 threads > 8 cores");
        assertEquals(2, InstancePolicy.plan(0, true, 2, 1, InstancePolicy.AUTO_MAX_MODEL_BYTES).maxInstances(),
                "the limit itself is allowed");
        assertEquals(1, InstancePolicy.plan(0, true, 2, 1, InstancePolicy.AUTO_MAX_MODEL_BYTES + 1).maxInstances(),
                "model over 64 MiB");
    }

    @Test
    void reasonNamesTheDecidingCondition() {
        assertTrue(InstancePolicy.plan(0, true, 2, 1, 100L << 20).reason().contains("MiB"));
        assertTrue(InstancePolicy.plan(0, true, 4, 0, SMALL).reason().contains("cores"));
    }

    @Test
    void externalDataCountsTowardsTheModelSize(@TempDir Path dir) throws IOException {
        // A hand-made fragment of a TensorProto.external_data entry: key "location", value "w.bin".
        byte[] value = "w.bin".getBytes(StandardCharsets.US_ASCII);
        byte[] model = new byte[20 + 11 + 1 + value.length];
        byte[] key = {0x0a, 8, 'l', 'o', 'c', 'a', 't', 'i', 'o', 'n', 0x12};
        System.arraycopy(key, 0, model, 20, key.length);
        model[31] = (byte) value.length;
        System.arraycopy(value, 0, model, 32, value.length);
        Path file = Files.write(dir.resolve("m.onnx"), model);
        Files.write(dir.resolve("w.bin"), new byte[5000]);
        assertEquals(Set.of("w.bin"), InstancePolicy.externalLocations(model));
        assertEquals(model.length + 5000L, InstancePolicy.modelBytes(file, InstancePolicy.AUTO_MAX_MODEL_BYTES));
        assertEquals(Set.of(), InstancePolicy.externalLocations(new byte[64]));
        // The same entry straddling the streaming scanner's chunk boundary is still found.
        for (int at : new int[] {(256 << 10) - 3, (256 << 10) + 4000, 700_000}) {
            byte[] big = new byte[at + model.length + 10];
            System.arraycopy(model, 20, big, at, model.length - 20);
            Path f = Files.write(dir.resolve("big" + at + ".onnx"), big);
            assertEquals(Set.of("w.bin"), InstancePolicy.externalLocations(f), "entry at " + at);
        }
    }
}

package dev.javelin.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** plan.json: written and read back equal, and a broken or inconsistent plan is refused with the tensor or step named. */
class PartitionPlanJsonTest {
    @TempDir
    Path dir;

    /** x -> segment-0 -> t -> Unique -> (y, idx, inv, cnt) -> segment-1 -> z, with an arena from the liveness planner. */
    static PartitionPlan sample() {
        List<PlanStep> steps = List.of(
                new EngineSegment("segment-0", "segment-0.onnx", List.of("x"), List.of("t"), List.of("pre", "#3 (Relu)")),
                new KernelNode("kernel-0", "Unique", "unique", "u", 17, Map.of("sorted", 0L), Map.of(), List.of("t"),
                        List.of("y", "", "inv", "cnt"), 65280L),
                new KernelNode("kernel-1", "AffineGrid", "affine_grid", "g", 20, Map.of("align_corners", 1L),
                        Map.of("size", List.of(1L, 1L, 4L, 4L)), List.of("theta"), List.of("grid"), null),
                new EngineSegment("segment-1", "segment-1.onnx", List.of("y", "cnt", "grid"), List.of("z"), List.of("post", "mmi"),
                        List.of("mmi")));
        Map<String, Long> sizes = Map.of("t", 4000L, "y", 4000L, "inv", 8000L, "cnt", 8000L, "kernel-0/workspace", 65280L,
                "grid", 128L);
        ArenaPlan arena = Liveness.arena(steps, List.of("z"), sizes, 256, ArenaPlanner.Strategy.BEST_FIT);
        List<PlanTensor> tensors = List.of(
                new PlanTensor("x", "float32", List.of(PlanDim.symbolic("n")), 4000L),
                new PlanTensor("theta", "float32", List.of(PlanDim.fixed(1), PlanDim.fixed(2), PlanDim.fixed(3)), 24L),
                new PlanTensor("t", "float32", List.of(PlanDim.symbolic("n")), 4000L),
                new PlanTensor("y", "float32", List.of(PlanDim.symbolic("unique(u)")), 4000L),
                new PlanTensor("inv", "int64", List.of(PlanDim.unknown()), 8000L),
                new PlanTensor("cnt", "int64", List.of(PlanDim.symbolic("unique(u)")), 8000L),
                new PlanTensor("grid", "float32", List.of(PlanDim.fixed(1), PlanDim.fixed(4), PlanDim.fixed(4), PlanDim.fixed(2)), 128L),
                new PlanTensor("z", "float16", List.of(PlanDim.symbolic("unique(u)")), null));
        return new PartitionPlan(PartitionPlan.SCHEMA, "m.onnx", "kernels", List.of("x"), List.of("z"), tensors, "constants.bin",
                List.of(new PlanConstant("theta", 0, 24)), steps, arena, null);
    }

    @Test
    void roundTripThroughAFileGivesAnEqualPlan() throws Exception {
        PartitionPlan p = sample();
        p.validate();
        Path file = dir.resolve(PartitionPlan.FILE_NAME);
        p.write(file);
        PartitionPlan back = PartitionPlan.read(dir);
        assertEquals(p, back);
        assertEquals(p.toJson(), back.toJson());
        String json = Files.readString(file);
        assertTrue(json.contains("\"kind\" : \"kernel\"") && json.contains("\"kind\" : \"engine\""), json);
        assertTrue(json.contains("\"shape\" : [ \"unique(u)\" ]") && json.contains("\"shape\" : [ null ]"), json);
        assertEquals(DType.FLOAT16, back.tensor("z").orElseThrow().type());
        assertNull(back.tensor("z").orElseThrow().maxBytes());
        KernelNode unique = back.kernels().get(0);
        assertEquals(0, unique.attribute("sorted", 1));
        assertNull(unique.output(1), "an output the node does not produce");
        assertEquals(List.of(1L, 1L, 4L, 4L), back.kernels().get(1).listAttributes().get("size"));
        assertEquals(List.of("mmi"), back.segments().get(1).rewrites());
        assertEquals(List.of(), back.segments().get(0).rewrites());
        // inv and the workspace die at step 1, t at step 1; y, cnt (step 1-3) and grid (2-3) reuse nothing live.
        assertEquals(3, back.arena().slot("y").orElseThrow().lastStep());
        assertEquals(1, back.arena().slot("inv").orElseThrow().lastStep());
        assertTrue(back.arena().sizeBytes() < back.arena().naiveBytes(), back.arena().summary());
    }

    @Test
    void unknownFieldsOfNewerWritersAreIgnoredButAnotherSchemaIsRefused() {
        String json = sample().toJson();
        assertEquals(sample(), PartitionPlan.fromJson(json.replaceFirst("\\{", "{ \"comment\" : \"added later\","), "test"));
        ModelException e = assertThrows(ModelException.class,
                () -> PartitionPlan.fromJson(json.replace("\"schema\" : 1", "\"schema\" : 2"), "test"));
        assertTrue(e.getMessage().contains("schema 2"), e.getMessage());
        assertThrows(ModelException.class, () -> PartitionPlan.fromJson("{ not json", "broken.json"));
        assertThrows(ModelException.class, () -> PartitionPlan.read(dir.resolve("missing.json")));
    }

    @Test
    void inconsistentPlansAreRefusedNamingTheTensor() {
        String json = sample().toJson();
        // A step that reads a tensor nothing provides.
        ModelException dangling = assertThrows(ModelException.class,
                () -> PartitionPlan.fromJson(json.replace("\"inputs\" : [ \"y\", \"cnt\", \"grid\" ]",
                        "\"inputs\" : [ \"y\", \"cnt\", \"nope\" ]"), "test"));
        assertTrue(dangling.getMessage().contains("'nope'"), dangling.getMessage());
        // An unknown dtype.
        assertThrows(ModelException.class, () -> PartitionPlan.fromJson(json.replace("\"float16\"", "\"complex64\""), "test"));
        // Two live tensors made to share bytes by hand.
        PartitionPlan p = sample();
        List<ArenaSlot> slots = new java.util.ArrayList<>(p.arena().slots());
        ArenaSlot y = p.arena().slot("y").orElseThrow();
        ArenaSlot cnt = p.arena().slot("cnt").orElseThrow();
        slots.set(slots.indexOf(y), new ArenaSlot("y", cnt.offset(), y.bytes(), y.firstStep(), y.lastStep()));
        PartitionPlan bad = new PartitionPlan(p.schema(), p.source(), p.prefer(), p.inputs(), p.outputs(), p.tensors(),
                p.constantsFile(), p.constants(), p.steps(), new ArenaPlan(p.arena().alignment(), p.arena().strategy(),
                p.arena().sizeBytes(), p.arena().naiveBytes(), p.arena().lowerBoundBytes(), slots), null);
        ModelException overlap = assertThrows(ModelException.class, bad::validate);
        assertTrue(overlap.getMessage().contains("'y'") && overlap.getMessage().contains("'cnt'"), overlap.getMessage());
        // A slot whose lifetime is shorter than the tensor's.
        slots = new java.util.ArrayList<>(p.arena().slots());
        slots.set(slots.indexOf(y), new ArenaSlot("y", y.offset(), y.bytes(), 1, 2));
        PartitionPlan shortLived = new PartitionPlan(p.schema(), p.source(), p.prefer(), p.inputs(), p.outputs(), p.tensors(),
                p.constantsFile(), p.constants(), p.steps(), new ArenaPlan(p.arena().alignment(), p.arena().strategy(),
                p.arena().sizeBytes(), p.arena().naiveBytes(), p.arena().lowerBoundBytes(), slots), null);
        ModelException lifetime = assertThrows(ModelException.class, shortLived::validate);
        assertTrue(lifetime.getMessage().contains("lives in [1, 3]"), lifetime.getMessage());
    }
}

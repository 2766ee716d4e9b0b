package dev.javelin.runtime.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.javelin.runtime.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How a model runs split around the ops TensorRT cannot build: ordered steps — engine segments (ONNX sub-models) and
 * kernel nodes — over named tensors, on one stream, with the intermediate tensors crossing steps in a
 * liveness-planned arena. Written by the builder's partitioner as {@value #FILE_NAME} beside the segment models
 * (an engine bundle's manifest names it in its {@code partitionPlan} field); read by the runtime, which runs it on
 * TensorRT or emulates it on the CPU ({@link dev.javelin.runtime.Session#openPlan}).
 *
 * @param schema        format version ({@value #SCHEMA})
 * @param source        the source model's file name
 * @param prefer        {@code kernels} or {@code rewrite}: which the partitioner chose where an op had both
 * @param inputs        model input names, in order
 * @param outputs       model output names, in order
 * @param tensors       every model input and output, every tensor crossing steps and every constant kernels read
 * @param constantsFile file (beside this one) holding the constants' bytes, or {@code null} when there are none
 * @param constants     where each constant's bytes are in that file
 * @param steps         the steps, in execution order
 * @param arena         the arena, or {@code null} when some crossing tensor has no upper bound ({@link #arenaNote})
 * @param arenaNote     why there is no arena, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PartitionPlan(int schema, String source, String prefer, List<String> inputs, List<String> outputs,
                            List<PlanTensor> tensors, String constantsFile, List<PlanConstant> constants,
                            List<PlanStep> steps, ArenaPlan arena, String arenaNote) {
    /** The plan's file name in a bundle or plan folder. */
    public static final String FILE_NAME = "plan.json";
    /** The format version this code reads and writes. */
    public static final int SCHEMA = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public PartitionPlan {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        tensors = List.copyOf(tensors);
        constants = constants == null ? List.of() : List.copyOf(constants);
        steps = List.copyOf(steps);
    }

    /**
     * Checks that the plan is consistent: unique step ids and tensor names, every tensor a step or output reads is
     * provided before it (by an input, a constant or an earlier step) and described in {@link #tensors}.
     *
     * @throws ModelException naming the step and tensor
     */
    public void validate() {
        if (schema != SCHEMA) {
            throw new ModelException("partition plan of " + source + " has schema " + schema + "; this Javelin reads schema "
                    + SCHEMA);
        }
        Map<String, PlanTensor> byName = new LinkedHashMap<>();
        for (PlanTensor t : tensors) {
            if (byName.put(t.name(), t) != null) {
                throw new ModelException("partition plan of " + source + " describes tensor '" + t.name() + "' twice");
            }
        }
        Set<String> available = new HashSet<>(inputs);
        constants.forEach(c -> available.add(c.name()));
        Set<String> ids = new HashSet<>();
        for (String n : available) {
            requireTensor(byName, n, "model input or constant");
        }
        for (PlanStep s : steps) {
            if (!ids.add(s.id())) {
                throw new ModelException("partition plan of " + source + " has two steps '" + s.id() + "'");
            }
            for (String in : s.inputs()) {
                if (!in.isEmpty() && !available.contains(in)) {
                    throw new ModelException("partition plan of " + source + ": step '" + s.id() + "' reads '" + in
                            + "', which no input, constant or earlier step provides");
                }
                if (!in.isEmpty()) {
                    requireTensor(byName, in, "input of step '" + s.id() + "'");
                }
            }
            for (String out : s.outputs()) {
                if (!out.isEmpty()) {
                    requireTensor(byName, out, "output of step '" + s.id() + "'");
                    if (!available.add(out)) {
                        throw new ModelException("partition plan of " + source + ": step '" + s.id() + "' writes '" + out
                                + "', which is already provided");
                    }
                }
            }
        }
        for (String out : outputs) {
            if (!available.contains(out)) {
                throw new ModelException("partition plan of " + source + ": model output '" + out + "' is produced by no step");
            }
            requireTensor(byName, out, "model output");
        }
        if (arena != null) {
            validateArena();
        }
    }

    /**
     * The arena must hold every tensor that lives in it for at least its lifetime, and tensors live at one step must not
     * share a byte: a plan edited by hand (or by a faulty tool) fails here, not by corrupting memory while it runs.
     */
    private void validateArena() {
        String where = "partition plan of " + source + ": arena";
        Map<String, ArenaSlot> slots = new LinkedHashMap<>();
        for (ArenaSlot s : arena.slots()) {
            if (slots.put(s.tensor(), s) != null) {
                throw new ModelException(where + " has two slots for '" + s.tensor() + "'");
            }
            if (arena.alignment() <= 0 || s.offset() % arena.alignment() != 0 || s.end() > arena.sizeBytes()) {
                throw new ModelException(where + " slot of '" + s.tensor() + "' [" + s.offset() + ", " + s.end() + ") is not "
                        + "aligned to " + arena.alignment() + " or lies outside its " + arena.sizeBytes() + " bytes");
            }
        }
        for (Liveness.Interval iv : Liveness.intervals(steps, outputs)) {
            ArenaSlot s = slots.get(iv.name());
            if (s == null || s.firstStep() > iv.firstStep() || s.lastStep() < iv.lastStep()) {
                throw new ModelException(where + (s == null ? " has no slot for '" + iv.name() + "'" : " slot of '" + iv.name()
                        + "' covers steps [" + s.firstStep() + ", " + s.lastStep() + "] but it lives in [" + iv.firstStep() + ", "
                        + iv.lastStep() + "]"));
            }
        }
        List<ArenaSlot> all = arena.slots();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                ArenaSlot a = all.get(i);
                ArenaSlot b = all.get(j);
                if (a.bytes() > 0 && b.bytes() > 0 && a.overlapsInTime(b) && a.overlapsInMemory(b)) {
                    throw new ModelException(where + " slots of '" + a.tensor() + "' and '" + b.tensor() + "' share bytes while both "
                            + "are live");
                }
            }
        }
    }

    private void requireTensor(Map<String, PlanTensor> byName, String name, String role) {
        if (!byName.containsKey(name)) {
            throw new ModelException("partition plan of " + source + ": " + role + " '" + name + "' has no entry in 'tensors'");
        }
    }

    /**
     * The bytes of the plan's constants file, checked to hold every constant; empty when the plan has no constants.
     *
     * @param dir the folder of the plan file
     * @throws ModelException if the file cannot be read or is too short for a constant
     */
    public byte[] readConstants(Path dir) {
        if (constants.isEmpty()) {
            return new byte[0];
        }
        Path file = dir.resolve(constantsFile);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelException("cannot read the plan's constants " + file + ": " + e.getMessage(), e);
        }
        for (PlanConstant c : constants) {
            if (c.offset() + c.bytes() > bytes.length) {
                throw new ModelException("constant '" + c.name() + "' lies beyond the end of " + file + " (" + bytes.length
                        + " bytes): truncated file?");
            }
        }
        return bytes;
    }

    /** The tensor named {@code name}. */
    public Optional<PlanTensor> tensor(String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Tensors by name. */
    @JsonIgnore
    public Map<String, PlanTensor> tensorMap() {
        Map<String, PlanTensor> m = new LinkedHashMap<>();
        tensors.forEach(t -> m.put(t.name(), t));
        return m;
    }

    /** Engine segments in order. */
    @JsonIgnore
    public List<EngineSegment> segments() {
        return steps.stream().filter(EngineSegment.class::isInstance).map(EngineSegment.class::cast).toList();
    }

    /** Kernel nodes in order. */
    @JsonIgnore
    public List<KernelNode> kernels() {
        return steps.stream().filter(KernelNode.class::isInstance).map(KernelNode.class::cast).toList();
    }

    /** One line per step and the arena, for reports. */
    @JsonIgnore
    public List<String> describe() {
        List<String> lines = new java.util.ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            PlanStep s = steps.get(i);
            String what = s instanceof EngineSegment e ? "engine " + e.model() + " (" + e.nodes().size() + " node(s))"
                    : "kernel " + ((KernelNode) s).op() + " '" + ((KernelNode) s).node() + "'";
            lines.add(i + ": " + s.id() + " " + what + " " + s.inputs().stream().filter(n -> !n.isEmpty()).toList() + " -> "
                    + s.outputs().stream().filter(n -> !n.isEmpty()).toList());
        }
        lines.add(arena != null ? arena.summary() : "no arena: " + arenaNote);
        return lines;
    }

    /** The plan as JSON text. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the partition plan as JSON: " + e.getMessage(), e);
        }
    }

    /** Parses and validates plan JSON; {@code origin} names it in errors. */
    public static PartitionPlan fromJson(String json, String origin) {
        PartitionPlan p;
        try {
            p = JSON.readValue(json, PartitionPlan.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelException(origin + " is not a valid partition plan: " + e.getMessage(), e);
        }
        if (p == null) {
            throw new ModelException(origin + " is not a valid partition plan: empty");
        }
        p.validate();
        return p;
    }

    /** Writes {@link #toJson()} to {@code file}. */
    public void write(Path file) throws IOException {
        Files.writeString(file, toJson());
    }

    /**
     * Reads a plan file, or {@value #FILE_NAME} in a folder.
     *
     * @throws ModelException if it is missing, unreadable or not a valid plan
     */
    public static PartitionPlan read(Path fileOrDir) {
        Path file = file(fileOrDir);
        try {
            return fromJson(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ModelException("cannot read partition plan " + file + ": " + e.getMessage(), e);
        }
    }

    /** The plan file: {@code fileOrDir} itself, or {@value #FILE_NAME} in it when it is a folder. */
    public static Path file(Path fileOrDir) {
        Path file = Files.isDirectory(fileOrDir) ? fileOrDir.resolve(FILE_NAME) : fileOrDir;
        if (!Files.isRegularFile(file)) {
            throw new ModelException("partition plan " + file + " does not exist");
        }
        return file;
    }
}

package dev.javelin.builder.partition;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.runtime.plan.PartitionPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A partitioned model: the plan, the ONNX sub-model of each engine segment and the bytes of the constants kernel
 * steps read. {@link #write} lays them out in a folder ({@code plan.json}, {@code segment-N.onnx},
 * {@code constants.bin}), the form an engine bundle holds and {@link dev.javelin.runtime.Session#openPlan} opens.
 */
public final class Partition {
    /** Segments whose initializers exceed this go to an external data file beside them (protobuf's 2 GiB limit). */
    static final long EXTERNAL_DATA_THRESHOLD = 1L << 30;

    private final PartitionPlan plan;
    private final OnnxModel source;
    private final Map<String, ModelProto> segments;
    private final byte[] constants;

    Partition(PartitionPlan plan, OnnxModel source, Map<String, ModelProto> segments, byte[] constants) {
        this.plan = plan;
        this.source = source;
        this.segments = Collections.unmodifiableMap(new LinkedHashMap<>(segments));
        this.constants = constants;
    }

    /** The plan. */
    public PartitionPlan plan() {
        return plan;
    }

    /** Each segment's sub-model by file name. */
    public Map<String, ModelProto> segmentModels() {
        return segments;
    }

    /**
     * Writes the plan and its files into {@code dir} (created if missing).
     *
     * @return the plan file
     */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, ModelProto> e : segments.entrySet()) {
                Path out = dir.resolve(e.getKey());
                long initializerBytes = e.getValue().getGraph().getInitializerList().stream()
                        .mapToLong(dev.javelin.builder.onnx.Tensors::dataBytes).sum();
                source.withProto(e.getValue()).write(out, initializerBytes > EXTERNAL_DATA_THRESHOLD
                        ? OnnxModel.WriteOptions.externalData(e.getKey() + ".data", 1024)
                        : OnnxModel.WriteOptions.selfContained());
            }
            if (plan.constantsFile() != null) {
                Files.write(dir.resolve(plan.constantsFile()), constants);
            }
            Path file = dir.resolve(PartitionPlan.FILE_NAME);
            plan.write(file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the partition plan into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The plan's steps and arena, one line each. */
    public List<String> report() {
        return plan.describe();
    }
}

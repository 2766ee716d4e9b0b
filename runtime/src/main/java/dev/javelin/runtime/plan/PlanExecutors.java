package dev.javelin.runtime.plan;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.spi.CompiledModel;
import dev.javelin.runtime.trt.TensorRtBackend;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks what runs a partition plan (used by {@link dev.javelin.runtime.Session#openPlan}): TensorRT on the GPU, or the
 * CPU emulation of the same plan ({@link EmulatedPlanModel}). {@code -Djavelin.backend} overrides the options, as for
 * models.
 */
public final class PlanExecutors {
    private static final Logger LOG = LoggerFactory.getLogger(PlanExecutors.class);

    private PlanExecutors() {
    }

    /**
     * A plan prepared for one backend.
     *
     * @param planFile the plan file read
     * @param backend  what runs it ({@link BackendKind#TENSORRT} or {@link BackendKind#CPU})
     * @param model    the prepared plan; the caller owns it
     */
    public record Opened(Path planFile, BackendKind backend, CompiledModel model) {
    }

    /**
     * Reads and prepares a plan: {@link BackendKind#TENSORRT} runs it on the GPU, {@link BackendKind#CPU} emulates it,
     * {@link BackendKind#AUTO} takes TensorRT when usable and the emulation otherwise (logged with the reason).
     *
     * @throws dev.javelin.runtime.ModelException if the plan or a file it names cannot be read
     * @throws BackendUnavailableException        if the requested backend cannot run the plan here (ONNX Runtime CUDA never
     *                                            does: it runs whole models)
     */
    public static Opened open(Path planOrDir, SessionOptions options) {
        Path file = PartitionPlan.file(planOrDir);
        PartitionPlan plan = PartitionPlan.read(file);
        String forced = System.getProperty("javelin.backend");
        BackendKind want = forced == null || forced.isBlank() ? options.backend() : BackendKind.parse(forced.trim());
        switch (want) {
            case CPU -> {
                return new Opened(file, BackendKind.CPU, EmulatedPlanModel.open(file, plan, options));
            }
            case TENSORRT -> {
                return new Opened(file, BackendKind.TENSORRT, new TensorRtBackend().compilePlan(file, plan, options));
            }
            case CUDA -> throw new BackendUnavailableException(BackendKind.CUDA.label(), "a partition plan runs on tensorrt, or is "
                    + "emulated on cpu; ONNX Runtime's CUDA provider runs whole models (open " + plan.source() + " itself)");
            default -> {
                TensorRtBackend trt = new TensorRtBackend();
                Availability a = trt.availability(options);
                if (a.usable()) {
                    return new Opened(file, BackendKind.TENSORRT, trt.compilePlan(file, plan, options));
                }
                LOG.info("TensorRT cannot run partition plan {} ({}); emulating it on the CPU", file, a.detail());
                return new Opened(file, BackendKind.CPU, EmulatedPlanModel.open(file, plan, options));
            }
        }
    }
}

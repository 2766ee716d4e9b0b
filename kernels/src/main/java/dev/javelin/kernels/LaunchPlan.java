package dev.javelin.kernels;

import dev.javelin.bindings.cuda.CudaStream;
import java.util.List;

/**
 * The launches that compute one op, in order, all on one stream (so each sees the previous one's writes).
 * Built by the op launchers from validated arguments; executing it is the only step that touches the GPU.
 *
 * @param op       what the plan computes, for messages (e.g. {@code DFT 'x' (float [2, 100, 1])})
 * @param launches the launches in order (empty for an empty tensor)
 */
public record LaunchPlan(String op, List<Launch> launches) {
    public LaunchPlan {
        launches = List.copyOf(launches);
    }

    /** Queues every launch on {@code stream}; returns at once (the work is asynchronous). */
    public void execute(KernelModules modules, CudaStream stream) {
        for (Launch l : launches) {
            modules.function(l.entry()).launch(l.grid(), l.block(), l.sharedBytes(), stream, l.args());
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(op).append(": ").append(launches.size()).append(" launch(es)");
        for (Launch l : launches) {
            sb.append("\n  ").append(l);
        }
        return sb.toString();
    }
}

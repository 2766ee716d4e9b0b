package dev.javelin.builder.partition;

import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.proto.ModelProto;
import dev.javelin.kernels.AffineGridKernel;
import dev.javelin.kernels.DftKernel;
import dev.javelin.kernels.DynamicQuantizeLinearKernel;
import dev.javelin.kernels.KernelArgumentException;
import dev.javelin.kernels.KernelOp;
import dev.javelin.kernels.MatMulIntegerKernel;
import dev.javelin.kernels.UniqueKernel;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.plan.EngineSegment;
import dev.javelin.runtime.plan.KernelNode;
import dev.javelin.runtime.plan.PlanStep;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Upper bounds of the shapes of every tensor crossing plan steps, step by step from the model inputs' largest shapes:
 * an engine segment's output shapes come from ONNX Runtime's inference on the segment with its inputs fixed at their
 * bounds; a kernel's from its launcher's shape function ({@code outputShape}) at its inputs' bounds, Unique's from its
 * input's element count (at most every element is unique). Workspaces follow the same way.
 *
 * <p>This treats each segment's output shape as growing with its input shapes, which holds for the ops whose output
 * shapes follow from input shapes; a tensor whose shape depends on values (NonZero inside a segment) or on a
 * non-constant shape input stays unbounded, and then the plan has no arena. The executors check every actual size
 * against its slot and fail with the tensor's name rather than overrun it.
 */
final class ShapeBounds {
    /** Largest shapes by tensor name, and workspace bytes by kernel step id. */
    record Bounds(Map<String, long[]> shapes, Map<String, Long> workspaces) {
    }

    private ShapeBounds() {
    }

    /**
     * @param segmentModel the sub-model of a segment with its inputs fixed at the given dims
     */
    static Bounds compute(OnnxModel model, List<PlanStep> steps, Map<String, long[]> known,
                          SegmentModels segmentModel) {
        Map<String, long[]> shapes = new HashMap<>(known);
        Map<String, Long> workspaces = new HashMap<>();
        for (PlanStep step : steps) {
            if (step instanceof EngineSegment s) {
                boolean bounded = s.inputs().stream().allMatch(shapes::containsKey);
                if (!bounded) {
                    continue;
                }
                Map<String, long[]> inputDims = new HashMap<>();
                s.inputs().forEach(n -> inputDims.put(n, shapes.get(n)));
                ModelProto sub = segmentModel.build(s, inputDims);
                ModelSignature sig = OrtShapes.signature(model.withProto(sub), "shape bounds of " + s.model());
                for (String out : s.outputs()) {
                    TensorInfo t = sig.output(out).orElse(null);
                    if (t != null && t.isStatic()) {
                        shapes.put(out, t.dims().stream().mapToLong(TensorInfo.Dim::size).toArray());
                    }
                }
            } else {
                kernel((KernelNode) step, shapes, workspaces);
            }
        }
        return new Bounds(shapes, workspaces);
    }

    /** Builds a segment's sub-model with concrete input dims. */
    interface SegmentModels {
        ModelProto build(EngineSegment segment, Map<String, long[]> inputDims);
    }

    private static void kernel(KernelNode k, Map<String, long[]> shapes, Map<String, Long> workspaces) {
        KernelOp op = KernelOp.byId(k.kernel()).orElseThrow();
        Function<Integer, long[]> in = i -> k.input(i) == null ? null : shapes.get(k.input(i));
        long[] x = in.apply(0);
        if (x == null) {
            return;
        }
        long n = elements(x);
        try {
            switch (op) {
                case DYNAMIC_QUANTIZE_LINEAR -> {
                    put(shapes, k.output(0), x);
                    put(shapes, k.output(1), new long[0]);
                    put(shapes, k.output(2), new long[0]);
                    workspaces.put(k.id(), DynamicQuantizeLinearKernel.workspaceBytes(n));
                }
                case MATMUL_INTEGER -> {
                    long[] b = in.apply(1);
                    if (b != null) {
                        put(shapes, k.output(0), MatMulIntegerKernel.outputShape(x, b));
                    }
                }
                case DFT -> {
                    boolean lengthKnown = k.input(1) == null;
                    boolean axisKnown = k.opset() < 20 || k.input(2) == null;
                    if (lengthKnown && axisKnown) {
                        DftKernel.Attributes a = new DftKernel.Attributes(k.attribute("axis", k.opset() >= 20 ? -2 : 1),
                                k.attribute("inverse", 0) != 0, k.attribute("onesided", 0) != 0, k.attribute("dft_length", 0));
                        put(shapes, k.output(0), DftKernel.outputShape(x, a));
                    }
                }
                case AFFINE_GRID -> {
                    List<Long> size = k.listAttributes().get("size");
                    if (size != null) {
                        put(shapes, k.output(0), AffineGridKernel.outputShape(size.stream().mapToLong(Long::longValue).toArray()));
                    }
                }
                case UNIQUE -> {
                    for (int i = 0; i < 4; i++) {
                        put(shapes, k.output(i), new long[] {n});
                    }
                    workspaces.put(k.id(), UniqueKernel.workspaceBytes(n));
                }
            }
        } catch (KernelArgumentException e) {
            throw new dev.javelin.runtime.ModelException("kernel step '" + k.id() + "' (" + k.op() + " '" + k.node() + "') cannot "
                    + "take its inputs at their bounds: " + e.getMessage(), e);
        }
    }

    private static void put(Map<String, long[]> shapes, String name, long[] dims) {
        if (name != null) {
            shapes.put(name, dims);
        }
    }

    static long elements(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}

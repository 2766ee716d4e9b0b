package dev.javelin.builder.legalize;

import dev.javelin.builder.onnx.ElementType;
import dev.javelin.kernels.KernelCatalogue;
import dev.javelin.kernels.KernelSource;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ops a Javelin CUDA kernel (kernels module) runs, with the element types the kernel's launcher accepts for
 * the op's first input (its {@code Checks.type} list), so a node of another type is not assigned to it.
 */
final class KernelOps {
    /** One kernel-backed op. */
    record Kernel(String op, KernelSource source, Set<ElementType> inputTypes) {
        /** {@code dft.cu}: the source the kernel is built from. */
        String file() {
            return source.baseName() + ".cu";
        }
    }

    private static final Set<ElementType> HALF_OR_FLOAT = Set.of(ElementType.FLOAT, ElementType.FLOAT16);

    private static final Map<String, Kernel> KERNELS = Map.of(
            "DynamicQuantizeLinear", new Kernel("DynamicQuantizeLinear", KernelSource.DYNAMIC_QUANTIZE_LINEAR, HALF_OR_FLOAT),
            "MatMulInteger", new Kernel("MatMulInteger", KernelSource.MATMUL_INTEGER, Set.of(ElementType.INT8, ElementType.UINT8)),
            "DFT", new Kernel("DFT", KernelSource.DFT, HALF_OR_FLOAT),
            "AffineGrid", new Kernel("AffineGrid", KernelSource.AFFINE_GRID, HALF_OR_FLOAT),
            "Unique", new Kernel("Unique", KernelSource.UNIQUE, Set.of(ElementType.FLOAT, ElementType.FLOAT16,
                    ElementType.DOUBLE, ElementType.INT64, ElementType.INT32, ElementType.INT8, ElementType.UINT8)));

    private KernelOps() {
    }

    /** The kernel for a default-domain op key, if any. */
    static Optional<Kernel> forOp(String opKey) {
        return Optional.ofNullable(KERNELS.get(opKey));
    }

    /** How the kernel reaches the GPU here: prebuilt fatbins, or the shipped source through NVRTC at run time. */
    static String buildNote() {
        try {
            KernelCatalogue c = KernelCatalogue.get();
            return c.hasFatbins() ? "fatbin built by nvcc " + c.nvccVersion() : "no fatbin in this build (" + c.reason()
                    + "); compiled by the GPU machine's NVRTC at run time";
        } catch (IllegalStateException e) {
            return "kernel catalogue unavailable: " + e.getMessage();
        }
    }
}

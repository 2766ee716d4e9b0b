package dev.javelin.kernels;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The ONNX ops Javelin has a kernel for, with what the kernel accepts: the op's first input types and the
 * attributes it cannot honour. The builder's partitioner asks this table which nodes become kernel steps of a
 * partition plan; the runtime maps a plan's kernel steps back to the launchers ({@link DynamicQuantizeLinearKernel}
 * and the others).
 */
public enum KernelOp {
    /** {@link DynamicQuantizeLinearKernel}. */
    DYNAMIC_QUANTIZE_LINEAR("DynamicQuantizeLinear", KernelSource.DYNAMIC_QUANTIZE_LINEAR, EnumSet.of(ScalarType.FLOAT,
            ScalarType.FLOAT16), Set.of()),
    /** {@link MatMulIntegerKernel}. */
    MATMUL_INTEGER("MatMulInteger", KernelSource.MATMUL_INTEGER, EnumSet.of(ScalarType.UINT8, ScalarType.INT8), Set.of()),
    /** {@link DftKernel}. */
    DFT("DFT", KernelSource.DFT, EnumSet.of(ScalarType.FLOAT, ScalarType.FLOAT16), Set.of()),
    /** {@link AffineGridKernel}. */
    AFFINE_GRID("AffineGrid", KernelSource.AFFINE_GRID, EnumSet.of(ScalarType.FLOAT, ScalarType.FLOAT16), Set.of()),
    /** {@link UniqueKernel}: the flattened input only. */
    UNIQUE("Unique", KernelSource.UNIQUE, EnumSet.of(ScalarType.FLOAT, ScalarType.FLOAT16, ScalarType.DOUBLE, ScalarType.INT64,
            ScalarType.INT32, ScalarType.INT8, ScalarType.UINT8), Set.of("axis"));

    private final String onnxOp;
    private final KernelSource source;
    private final Set<ScalarType> inputTypes;
    private final Set<String> unsupportedAttributes;

    KernelOp(String onnxOp, KernelSource source, Set<ScalarType> inputTypes, Set<String> unsupportedAttributes) {
        this.onnxOp = onnxOp;
        this.source = source;
        this.inputTypes = Collections.unmodifiableSet(EnumSet.copyOf(inputTypes));
        this.unsupportedAttributes = unsupportedAttributes;
    }

    /** The ONNX op type (default domain). */
    public String onnxOp() {
        return onnxOp;
    }

    /** The kernel's name in plans: its source's base name, e.g. {@code unique}. */
    public String id() {
        return source.baseName();
    }

    /** The CUDA source (module) of its kernels. */
    public KernelSource source() {
        return source;
    }

    /** Element types of the op's first input the kernel takes. */
    public Set<ScalarType> inputTypes() {
        return inputTypes;
    }

    /** The kernel for {@code opType} of {@code domain} ({@code ""} or {@code ai.onnx}), if Javelin has one. */
    public static Optional<KernelOp> forOnnx(String domain, String opType) {
        if (domain != null && !domain.isEmpty() && !domain.equals("ai.onnx")) {
            return Optional.empty();
        }
        for (KernelOp k : values()) {
            if (k.onnxOp.equals(opType)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** The kernel of a plan step by {@link #id()}, if any. */
    public static Optional<KernelOp> byId(String id) {
        for (KernelOp k : values()) {
            if (k.id().equals(id)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /**
     * Why the kernel cannot run a node that sets {@code attributes}, or empty if it can (e.g. Unique's {@code axis}:
     * the kernel works on the flattened input only).
     */
    public Optional<String> whyNot(Set<String> attributes) {
        for (String a : attributes) {
            if (unsupportedAttributes.contains(a)) {
                return Optional.of("the Javelin " + onnxOp + " kernel does not take attribute '" + a + "'"
                        + (this == UNIQUE ? " (it works on the flattened input only)" : ""));
            }
        }
        return Optional.empty();
    }

    /** Why the kernel cannot take a first input of element type {@code type}, or empty if it can. */
    public Optional<String> whyNot(ScalarType type) {
        if (type != null && inputTypes.contains(type)) {
            return Optional.empty();
        }
        StringBuilder sb = new StringBuilder();
        for (ScalarType t : inputTypes) {
            sb.append(sb.length() == 0 ? "" : ", ").append(t.onnxName());
        }
        return Optional.of("the Javelin " + onnxOp + " kernel takes " + sb + " input, not "
                + (type == null ? "this element type" : type.onnxName()));
    }
}

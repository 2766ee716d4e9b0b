package dev.javelin.runtime.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A tensor of a partition plan: a model input or output, a value crossing from one step to another, or a constant a
 * kernel step reads.
 *
 * @param name     the ONNX name
 * @param dtype    element type label ({@code float32}, {@code int64}, ...; see {@link DType#label()})
 * @param shape    dimensions, symbolic where not fixed
 * @param maxBytes an upper bound of its size in bytes, from the bounds the plan was made with, or {@code null}
 *                 when unbounded (then no arena can be planned in advance)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PlanTensor(String name, String dtype, List<PlanDim> shape, Long maxBytes) {
    public PlanTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        DType.parse(dtype);
        List<PlanDim> dims = new ArrayList<>();
        for (PlanDim d : shape == null ? List.<PlanDim>of() : shape) {
            dims.add(d == null ? PlanDim.unknown() : d);
        }
        shape = List.copyOf(dims);
        if (maxBytes != null && maxBytes < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': maxBytes is negative: " + maxBytes);
        }
    }

    /** The element type. */
    @JsonIgnore
    public DType type() {
        return DType.parse(dtype);
    }

    /** As a signature entry. */
    @JsonIgnore
    public TensorInfo info() {
        return new TensorInfo(name, type(), shape.stream().map(PlanDim::toDim).toList());
    }

    /** {@code float32[batch, 8]}. */
    @Override
    public String toString() {
        return name + ": " + dtype + shape.stream().map(PlanDim::toString).collect(Collectors.joining(", ", "[", "]"))
                + (maxBytes == null ? "" : " (<= " + maxBytes + " B)");
    }

    /**
     * Checks the caller's tensor for this plan input: present, and within the bytes the plan was made for.
     *
     * @return {@code t}
     * @throws InvalidInputException naming the input if {@code t} is null or larger than {@link #maxBytes()}
     */
    public Tensor requireInput(Tensor t) {
        if (t == null) {
            throw new InvalidInputException(name, "missing input '" + name + "'");
        }
        if (maxBytes != null && t.byteSize() > maxBytes) {
            throw new InvalidInputException(name, "input '" + name + "' " + t.dtype() + t.shape() + " holds " + t.byteSize()
                    + " bytes, more than the " + maxBytes + " the plan was made for (its bounds): rebuild the plan with larger "
                    + "bounds");
        }
        return t;
    }
}

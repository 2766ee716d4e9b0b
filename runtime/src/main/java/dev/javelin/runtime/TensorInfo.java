package dev.javelin.runtime;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A named tensor in a model signature: element type and a shape whose dimensions may be symbolic
 * ({@code batch}, {@code sequence}) or unknown.
 *
 * @param name  tensor name as in the model
 * @param dtype element type
 * @param dims  one entry per dimension
 */
public record TensorInfo(String name, DType dtype, List<Dim> dims) {

    /**
     * One dimension of a signature shape.
     *
     * @param size   the fixed size, or {@code -1} when the size is symbolic or unknown
     * @param symbol the symbolic name ({@code "batch"}), or {@code null}
     */
    public record Dim(long size, String symbol) {
        /** A fixed dimension. */
        public static Dim fixed(long size) {
            return new Dim(size, null);
        }

        /** A named dimension of unknown size. */
        public static Dim symbolic(String symbol) {
            return new Dim(-1, symbol);
        }

        /** Whether the size is known. */
        public boolean isFixed() {
            return size >= 0;
        }

        @Override
        public String toString() {
            return isFixed() ? Long.toString(size) : (symbol == null || symbol.isEmpty() ? "?" : symbol);
        }
    }

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        dims = List.copyOf(dims);
    }

    /** Rank of the tensor. */
    public int rank() {
        return dims.size();
    }

    /** Whether every dimension is fixed. */
    public boolean isStatic() {
        return dims.stream().allMatch(Dim::isFixed);
    }

    /** Formats the shape as {@code [batch, 3, 224, 224]}. */
    public String shapeString() {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    /** Whether a concrete shape fits this signature (rank and every fixed dimension). */
    public boolean accepts(Shape shape) {
        if (shape.rank() != dims.size()) {
            return false;
        }
        for (int i = 0; i < dims.size(); i++) {
            Dim d = dims.get(i);
            if (d.isFixed() && d.size() != shape.dim(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return name + ": " + dtype + shapeString();
    }
}

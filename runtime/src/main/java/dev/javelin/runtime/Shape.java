package dev.javelin.runtime;

import java.util.Arrays;

/**
 * A concrete tensor shape: every dimension is known and non-negative. Immutable.
 * Symbolic shapes (as in a model signature) are described by {@link TensorInfo}.
 */
public final class Shape {
    private static final Shape SCALAR = new Shape(new long[0]);
    private final long[] dims;

    private Shape(long[] dims) {
        this.dims = dims;
    }

    /**
     * Creates a shape from its dimensions.
     *
     * @throws IllegalArgumentException if a dimension is negative
     */
    public static Shape of(long... dims) {
        if (dims.length == 0) {
            return SCALAR;
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("dimension " + i + " of " + Arrays.toString(dims) + " is negative");
            }
        }
        return new Shape(dims.clone());
    }

    /** The rank-0 shape. */
    public static Shape scalar() {
        return SCALAR;
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return dims[i];
    }

    /** A copy of the dimensions. */
    public long[] dims() {
        return dims.clone();
    }

    /**
     * Number of elements (1 for a scalar).
     *
     * @throws ArithmeticException if it overflows a long
     */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** This shape with dimension {@code i} replaced. */
    public Shape withDim(int i, long size) {
        long[] copy = dims.clone();
        copy[i] = size;
        return of(copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Formats as {@code [1, 3, 224, 224]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}

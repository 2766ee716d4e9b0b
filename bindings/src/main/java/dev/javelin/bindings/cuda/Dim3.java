package dev.javelin.bindings.cuda;

/**
 * A CUDA launch extent (grid in blocks, or block in threads). Every component is at least 1; the
 * device limits (1024 threads per block, grid y/z up to 65535, ...) are checked by the launcher that
 * knows the kernel, not here.
 *
 * @param x extent in x
 * @param y extent in y
 * @param z extent in z
 */
public record Dim3(int x, int y, int z) {
    public Dim3 {
        if (x < 1 || y < 1 || z < 1) {
            throw new IllegalArgumentException("launch dimensions are at least 1, got (" + x + ", " + y + ", " + z + ")");
        }
    }

    /** {@code (x, 1, 1)}. */
    public static Dim3 of(int x) {
        return new Dim3(x, 1, 1);
    }

    /** {@code x * y * z} as a long. */
    public long volume() {
        return (long) x * y * z;
    }

    @Override
    public String toString() {
        return "(" + x + ", " + y + ", " + z + ")";
    }
}

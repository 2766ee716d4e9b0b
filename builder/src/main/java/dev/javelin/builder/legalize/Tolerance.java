package dev.javelin.builder.legalize;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How far a rewritten node's outputs may be from the original op's on ONNX Runtime CPU (float32 unless said
 * otherwise): elementwise {@code |a - b| <= atol + rtol * |b|}, or, where the difference depends on the data, the
 * bound written out in {@code basis} (then {@code atol} and {@code rtol} are absent). The tests check each stated
 * figure against ONNX Runtime.
 *
 * @param atol  absolute tolerance, or {@code null}
 * @param rtol  relative tolerance, or {@code null}
 * @param basis where the difference comes from, and the bound when it is data dependent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Tolerance(Double atol, Double rtol, String basis) {
    /** An elementwise tolerance. */
    public static Tolerance of(double atol, double rtol, String basis) {
        return new Tolerance(atol, rtol, basis);
    }

    /** A data-dependent bound, stated in words and numbers. */
    public static Tolerance bound(String basis) {
        return new Tolerance(null, null, basis);
    }

    @Override
    public String toString() {
        return (atol != null ? "atol " + atol + ", rtol " + rtol + ": " : "") + basis;
    }
}

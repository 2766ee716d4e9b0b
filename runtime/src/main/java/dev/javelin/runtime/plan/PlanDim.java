package dev.javelin.runtime.plan;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.javelin.runtime.TensorInfo;

/**
 * One dimension of a plan tensor's shape: a fixed size, a symbol ({@code batch}, or a data-dependent size such as
 * the number of unique values), or unknown. In JSON a number, a string or {@code null}.
 *
 * @param size   the fixed size, or -1
 * @param symbol the symbol when not fixed, or {@code null} when unknown
 */
public record PlanDim(long size, String symbol) {
    public PlanDim {
        if (size < -1) {
            throw new IllegalArgumentException("a dimension is >= 0, or -1 when not fixed; got " + size);
        }
        if (size >= 0) {
            symbol = null;
        }
    }

    /** A fixed dimension. */
    public static PlanDim fixed(long size) {
        return new PlanDim(size, null);
    }

    /** A symbolic dimension. */
    public static PlanDim symbolic(String symbol) {
        return new PlanDim(-1, symbol);
    }

    /** A dimension nothing is known about. */
    public static PlanDim unknown() {
        return new PlanDim(-1, null);
    }

    /** From a signature dimension. */
    public static PlanDim of(TensorInfo.Dim d) {
        return d.isFixed() ? fixed(d.size()) : new PlanDim(-1, d.symbol() == null || d.symbol().isEmpty() ? null : d.symbol());
    }

    /** JSON: a number, a string or null. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static PlanDim fromJson(Object v) {
        if (v == null) {
            return unknown();
        }
        if (v instanceof Number n) {
            return fixed(n.longValue());
        }
        if (v instanceof String s) {
            return symbolic(s);
        }
        throw new IllegalArgumentException("a dimension is a number, a string or null, got " + v);
    }

    @JsonValue
    Object toJson() {
        return size >= 0 ? (Object) size : symbol;
    }

    /** Whether the size is fixed. */
    public boolean isFixed() {
        return size >= 0;
    }

    /** As a signature dimension. */
    public TensorInfo.Dim toDim() {
        return new TensorInfo.Dim(size, symbol);
    }

    @Override
    public String toString() {
        return size >= 0 ? Long.toString(size) : symbol == null ? "?" : symbol;
    }
}

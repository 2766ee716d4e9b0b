package dev.javelin.bindings.ort;

import java.util.Arrays;
import java.util.List;

/**
 * Metadata of one model input or output as ONNX Runtime reports it.
 *
 * @param name        tensor name
 * @param onnxType    ONNX value kind ({@code 1} = tensor; sequences, maps and optionals have other numbers)
 * @param elementType ONNX element type number (1 float, 7 int64, 10 float16, ...); 0 when not a tensor
 * @param dims        dimension sizes, {@code -1} where symbolic or unknown
 * @param dimParams   per dimension the symbolic name ({@code "batch"}), or {@code ""} when fixed or unnamed
 */
public record ValueInfo(String name, int onnxType, int elementType, long[] dims, List<String> dimParams) {
    /** ONNX value kind of a tensor. */
    public static final int TENSOR = 1;

    public ValueInfo {
        dims = dims.clone();
        dimParams = List.copyOf(dimParams);
    }

    /** Whether this is a tensor (not a sequence, map or optional). */
    public boolean isTensor() {
        return onnxType == TENSOR;
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(": ").append(Ort.elementTypeName(elementType)).append('[');
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(dims[i] >= 0 ? Long.toString(dims[i])
                    : dimParams.get(i).isEmpty() ? "?" : dimParams.get(i));
        }
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueInfo v && v.name.equals(name) && v.onnxType == onnxType
                && v.elementType == elementType && Arrays.equals(v.dims, dims) && v.dimParams.equals(dimParams);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }
}

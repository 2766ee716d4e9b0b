package dev.javelin.runtime.trt;

import dev.javelin.bindings.trt.TrtDataType;
import dev.javelin.bindings.trt.TrtTensorInfo;
import dev.javelin.runtime.DType;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.ModelSignature;
import dev.javelin.runtime.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Element types and sizes between TensorRT and Javelin, in plain Java. */
final class TrtTypes {
    /** Device buffers are rounded up to this: cuMemAlloc aligns to 256 bytes anyway, and TensorRT wants 256. */
    static final long DEVICE_ALIGNMENT = 256;

    private TrtTypes() {
    }

    /**
     * The Javelin element type of a TensorRT tensor.
     *
     * @throws ModelException naming the tensor if Javelin does not carry that type at the model boundary
     */
    static DType toDType(TrtDataType t, String tensor) {
        return switch (t) {
            case FLOAT -> DType.FLOAT32;
            case HALF -> DType.FLOAT16;
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case BOOL -> DType.BOOL;
            case FP8, BF16, INT4, FP4, E8M0 -> throw new ModelException("model input/output '" + tensor + "' has TensorRT type "
                    + t + ", which Javelin does not carry at the model boundary (float32, float16, int8, uint8, int32, "
                    + "int64, bool); cast it inside the model");
        };
    }

    /** The TensorRT type of a Javelin element type. */
    static TrtDataType toTrt(DType t) {
        return switch (t) {
            case FLOAT32 -> TrtDataType.FLOAT;
            case FLOAT16 -> TrtDataType.HALF;
            case INT8 -> TrtDataType.INT8;
            case UINT8 -> TrtDataType.UINT8;
            case INT32 -> TrtDataType.INT32;
            case INT64 -> TrtDataType.INT64;
            case BOOL -> TrtDataType.BOOL;
        };
    }

    /**
     * Bytes of a dense tensor of {@code dtype} and {@code dims}.
     *
     * @throws IllegalArgumentException if a dimension is negative (still dynamic)
     * @throws ArithmeticException      if the size overflows a long
     */
    static long byteSize(DType dtype, long[] dims) {
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("dimension " + i + " of " + Arrays.toString(dims) + " is not known");
            }
            n = Math.multiplyExact(n, dims[i]);
        }
        return Math.multiplyExact(n, (long) dtype.byteSize());
    }

    /**
     * The capacity to allocate when a buffer of {@code current} bytes must hold {@code needed}: unchanged
     * if it fits, else at least 1.5x the old one (so shapes growing step by step do not reallocate every
     * time), at least one byte (TensorRT needs a real address even for empty tensors), rounded up to
     * {@link #DEVICE_ALIGNMENT}.
     */
    static long grownCapacity(long current, long needed) {
        if (needed < 0) {
            throw new IllegalArgumentException("negative size " + needed);
        }
        if (needed <= current && current > 0) {
            return current;
        }
        long target = Math.max(Math.max(needed, 1), current + current / 2);
        return Math.addExact(target, DEVICE_ALIGNMENT - 1) / DEVICE_ALIGNMENT * DEVICE_ALIGNMENT;
    }

    /** The model signature from a parsed network's inputs and outputs (symbol names kept, -1 dims symbolic). */
    static ModelSignature signature(List<TrtTensorInfo> inputs, List<TrtTensorInfo> outputs) {
        return new ModelSignature(infos(inputs), infos(outputs));
    }

    private static List<TensorInfo> infos(List<TrtTensorInfo> tensors) {
        List<TensorInfo> out = new ArrayList<>();
        for (TrtTensorInfo t : tensors) {
            long[] dims = t.dims();
            List<TensorInfo.Dim> ds = new ArrayList<>();
            for (int i = 0; i < dims.length; i++) {
                ds.add(dims[i] >= 0 ? TensorInfo.Dim.fixed(dims[i]) : new TensorInfo.Dim(-1, t.dimNames().get(i)));
            }
            out.add(new TensorInfo(t.name(), toDType(t.dtype(), t.name()), ds));
        }
        return out;
    }
}

package dev.javelin.kernels;

import dev.javelin.bindings.cuda.DeviceBuffer;
import java.util.Arrays;

/**
 * A tensor in device memory as a kernel sees it: a device address, the bytes available there (checked against
 * the shape), an element type and a row-major shape. The memory is borrowed: whoever owns it keeps it allocated
 * until the launches using it have run.
 *
 * @param name     what the tensor is (an ONNX input/output name), used in error messages
 * @param address  device address of the first element
 * @param capacity bytes available at {@code address}
 * @param type     element type
 * @param shape    dimensions; an empty array is a scalar
 */
public record DeviceTensor(String name, long address, long capacity, ScalarType type, long[] shape) {
    public DeviceTensor {
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new KernelArgumentException("tensor '" + name + "' has a negative dimension: " + Arrays.toString(shape));
            }
        }
        long bytes = Math.multiplyExact(elements(shape), type.bytes());
        if (bytes > capacity) {
            throw new KernelArgumentException("tensor '" + name + "' (" + type.onnxName() + " " + Arrays.toString(shape) + ", "
                    + bytes + " bytes) does not fit the " + capacity + " bytes of device memory given for it");
        }
    }

    /** The whole of {@code buffer}. */
    public static DeviceTensor of(String name, DeviceBuffer buffer, ScalarType type, long... shape) {
        return new DeviceTensor(name, buffer.address(), buffer.bytes(), type, shape);
    }

    /** Part of {@code buffer} from byte {@code offset} (an arena slot). */
    public static DeviceTensor of(String name, DeviceBuffer buffer, long offset, ScalarType type, long... shape) {
        if (offset < 0 || offset > buffer.bytes()) {
            throw new KernelArgumentException("tensor '" + name + "' at offset " + offset + " is outside its device buffer of "
                    + buffer.bytes() + " bytes");
        }
        return new DeviceTensor(name, buffer.address() + offset, buffer.bytes() - offset, type, shape);
    }

    /** Number of elements. */
    public long elements() {
        return elements(shape);
    }

    /** Size in bytes. */
    public long bytes() {
        return elements() * type.bytes();
    }

    /** Rank. */
    public int rank() {
        return shape.length;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** {@code 'x' (float [2, 3])}. */
    String describe() {
        return "'" + name + "' (" + type.onnxName() + " " + Arrays.toString(shape) + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceTensor t && t.name.equals(name) && t.address == address && t.capacity == capacity
                && t.type == type && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(shape) * 31 + Long.hashCode(address);
    }

    @Override
    public String toString() {
        return "DeviceTensor" + describe() + " at 0x" + Long.toHexString(address);
    }
}

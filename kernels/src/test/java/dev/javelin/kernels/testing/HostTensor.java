package dev.javelin.kernels.testing;

import dev.javelin.kernels.ScalarType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A tensor in host memory for the tests: type, shape and little-endian bytes (a direct buffer). */
public record HostTensor(ScalarType type, long[] shape, ByteBuffer data) {
    public HostTensor {
        shape = shape.clone();
        data = data.duplicate().order(ByteOrder.nativeOrder());
        data.clear();
    }

    public static HostTensor allocate(ScalarType type, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return new HostTensor(type, shape, ByteBuffer.allocateDirect((int) Math.max(1, n * type.bytes())).order(ByteOrder.nativeOrder()));
    }

    public static HostTensor floats(float[] v, long... shape) {
        HostTensor t = allocate(ScalarType.FLOAT, shape);
        t.data.asFloatBuffer().put(v);
        return t;
    }

    public static HostTensor halves(short[] v, long... shape) {
        HostTensor t = allocate(ScalarType.FLOAT16, shape);
        t.data.asShortBuffer().put(v);
        return t;
    }

    public static HostTensor bytes(ScalarType type, byte[] v, long... shape) {
        HostTensor t = allocate(type, shape);
        t.data.put(0, v);
        return t;
    }

    public static HostTensor longs(long[] v, long... shape) {
        HostTensor t = allocate(ScalarType.INT64, shape);
        t.data.asLongBuffer().put(v);
        return t;
    }

    public static HostTensor ints(int[] v, long... shape) {
        HostTensor t = allocate(ScalarType.INT32, shape);
        t.data.asIntBuffer().put(v);
        return t;
    }

    public static HostTensor doubles(double[] v, long... shape) {
        HostTensor t = allocate(ScalarType.DOUBLE, shape);
        t.data.asDoubleBuffer().put(v);
        return t;
    }

    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long bytes() {
        return elements() * type.bytes();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public float[] toFloats() {
        float[] f = new float[(int) elements()];
        if (type == ScalarType.FLOAT16) {
            for (int i = 0; i < f.length; i++) {
                f[i] = Half.toFloat(data.getShort(2 * i));
            }
        } else {
            data.asFloatBuffer().get(f);
        }
        return f;
    }

    public byte[] toBytes() {
        byte[] b = new byte[(int) bytes()];
        data.get(0, b);
        return b;
    }

    public long[] toLongs() {
        long[] l = new long[(int) elements()];
        data.asLongBuffer().get(l);
        return l;
    }

    public int[] toInts() {
        int[] l = new int[(int) elements()];
        data.asIntBuffer().get(l);
        return l;
    }

    public double[] toDoubles() {
        double[] l = new double[(int) elements()];
        data.asDoubleBuffer().get(l);
        return l;
    }

    @Override
    public String toString() {
        return type.onnxName() + Arrays.toString(shape);
    }
}

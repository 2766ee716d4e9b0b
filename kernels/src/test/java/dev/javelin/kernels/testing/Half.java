package dev.javelin.kernels.testing;

/**
 * binary16 -> float (exact, every half value is a float), written from the IEEE 754 layout; the tests use it to
 * read fp16 outputs. The other direction is taken from ONNX Runtime's Cast where a reference is needed.
 */
public final class Half {
    private Half() {
    }

    public static float toFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}

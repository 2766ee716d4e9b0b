package dev.javelin.kernels.testing;

/**
 * float -> binary16 bits, round to nearest even, for building float16 test inputs. Written from the IEEE 754
 * definition (via double arithmetic, independent of the kernels' bit manipulation); checked against ONNX
 * Runtime's Cast in {@code HostEmulationTest}.
 */
public final class HalfBits {
    private HalfBits() {
    }

    public static short of(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7E00;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        double a = Math.abs((double) f);
        if (a >= 65520.0) {
            return (short) (sign | 0x7C00);
        }
        if (a < 0x1p-14) {  // subnormal: multiples of 2^-24
            long q = Math.round(a * 0x1p24);  // Math.round is half-up; fix ties to even below
            double exact = a * 0x1p24;
            if (exact - Math.floor(exact) == 0.5 && (((long) Math.floor(exact)) & 1) == 0) {
                q = (long) Math.floor(exact);
            }
            return (short) (sign | q);
        }
        int e = Math.getExponent(a);
        double m = a / Math.scalb(1.0, e) - 1.0;  // [0, 1)
        double scaled = m * 1024;
        long q = (long) Math.floor(scaled);
        double rem = scaled - q;
        if (rem > 0.5 || (rem == 0.5 && (q & 1) == 1)) {
            q++;
        }
        int bits = ((e + 15) << 10) + (int) q;  // a carry into the exponent is the right result
        return (short) (sign | bits);
    }
}

package dev.javelin.kernels;

import java.util.Arrays;

/** Argument checks and geometry arithmetic shared by the launchers. */
final class Checks {
    private Checks() {
    }

    static void type(String op, DeviceTensor t, ScalarType... allowed) {
        for (ScalarType a : allowed) {
            if (t.type() == a) {
                return;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (ScalarType a : allowed) {
            sb.append(sb.length() == 0 ? "" : " or ").append(a.onnxName());
        }
        throw new KernelArgumentException(op + ": input " + t.describe() + " must be " + sb);
    }

    static void sameType(String op, DeviceTensor expected, DeviceTensor t) {
        if (t.type() != expected.type()) {
            throw new KernelArgumentException(op + ": " + t.describe() + " must have the type of " + expected.describe());
        }
    }

    static void shape(String op, DeviceTensor t, long... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new KernelArgumentException(op + ": " + t.describe() + " must have shape " + Arrays.toString(expected));
        }
    }

    static void scalar(String op, DeviceTensor t, ScalarType type) {
        if (t.type() != type || t.elements() != 1) {
            throw new KernelArgumentException(op + ": " + t.describe() + " must be a " + type.onnxName() + " scalar");
        }
    }

    static void workspace(String op, DeviceTensor w, long bytes) {
        if (w.bytes() < bytes) {
            throw new KernelArgumentException(op + ": workspace " + w.describe() + " holds " + w.bytes() + " bytes, needs " + bytes);
        }
    }

    /** Blocks for {@code work} items at {@code perBlock} per block, at least 1 and at most {@code max} (grid-stride beyond). */
    static int blocks(long work, long perBlock, int max) {
        long b = (work + perBlock - 1) / perBlock;
        return (int) Math.max(1, Math.min(b, max));
    }

    static int toInt(String op, String what, long v) {
        if (v > Integer.MAX_VALUE) {
            throw new KernelArgumentException(op + ": " + what + " of " + v + " exceeds the kernel's 32-bit limit");
        }
        return (int) v;
    }
}

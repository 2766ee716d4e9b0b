package dev.javelin.runtime.trt;

import dev.javelin.runtime.Shape;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shapes a TensorRT engine accepts: for each input with a dynamic dimension, its min, opt and max
 * shape. Inputs with only fixed dimensions are not listed (the engine takes exactly their shape).
 *
 * @param inputs input name to its range, in model input order
 */
public record OptimizationProfile(Map<String, Range> inputs) {
    public OptimizationProfile {
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    }

    /**
     * One input's shape range.
     *
     * @param min smallest shape
     * @param opt shape the kernels are tuned for
     * @param max largest shape
     */
    public record Range(long[] min, long[] opt, long[] max) {
        public Range {
            if (min.length != opt.length || opt.length != max.length) {
                throw new IllegalArgumentException("min, opt and max must have one rank");
            }
            min = min.clone();
            opt = opt.clone();
            max = max.clone();
        }

        @Override
        public long[] min() {
            return min.clone();
        }

        @Override
        public long[] opt() {
            return opt.clone();
        }

        @Override
        public long[] max() {
            return max.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Range r && Arrays.equals(min, r.min) && Arrays.equals(opt, r.opt) && Arrays.equals(max, r.max);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(min) + Arrays.hashCode(opt)) + Arrays.hashCode(max);
        }

        @Override
        public String toString() {
            return Arrays.toString(min) + " .. " + Arrays.toString(opt) + " .. " + Arrays.toString(max);
        }
    }

    /**
     * Why {@code shape} is outside the range of input {@code name}, or {@code null} if it is inside (or
     * the input is not in the profile).
     */
    public String violation(String name, Shape shape) {
        Range r = inputs.get(name);
        if (r == null) {
            return null;
        }
        if (shape.rank() != r.min.length) {
            return "input '" + name + "' has rank " + shape.rank() + " but the TensorRT engine expects rank " + r.min.length;
        }
        for (int i = 0; i < r.min.length; i++) {
            long d = shape.dim(i);
            if (d < r.min[i] || d > r.max[i]) {
                return "input '" + name + "' has shape " + shape + " but the TensorRT engine was built for "
                        + Arrays.toString(r.min) + " to " + Arrays.toString(r.max) + " (dimension " + i + " is " + d
                        + ", allowed " + r.min[i] + ".." + r.max[i] + "); rebuild with wider shapes (javelin build --shapes, or"
                        + " -Djavelin.tensorrt.inputShapes / -Djavelin.tensorrt.shapes)";
            }
        }
        return null;
    }
}

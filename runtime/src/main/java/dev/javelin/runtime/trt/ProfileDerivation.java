package dev.javelin.runtime.trt;

import dev.javelin.runtime.InvalidInputException;
import dev.javelin.runtime.TensorInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Derives the optimisation profile TensorRT needs for dynamic inputs from a model signature, in plain
 * Java. Rules, per dynamic dimension:
 * <ol>
 *   <li>an input given in {@link InputShapes} takes its range as given (after checking it against the model);
 *       its symbolic dimensions then bind their symbol, so every other input sharing the symbol gets the same
 *       range (TensorRT requires dimensions with one name to be equal at run time);</li>
 *   <li>otherwise a dimension whose symbol has a range in the {@link ProfileSpec} takes it;</li>
 *   <li>otherwise a batch-like dimension takes the batch default, any other the other default; fixed
 *       dimensions keep their size.</li>
 * </ol>
 * A symbol is batch-like if its name says so ({@code batch}, {@code batch_size}, {@code N}, {@code B},
 * {@code bs}) or if it is the first dimension of some input of rank 2 or more; the decision is made per
 * symbol, so every dimension sharing a symbol (Silero's {@code batch} is dimension 0 of {@code input} and
 * dimension 1 of {@code h}) gets the same range, and shapes valid for the model stay valid for the engine.
 * Unnamed dynamic dimensions are independent and batch-like only in position 0.
 */
public final class ProfileDerivation {
    private static final Pattern BATCH_NAME = Pattern.compile("batch.*|n|b|bs");

    private ProfileDerivation() {
    }

    /** The profile for {@code inputs}; inputs whose dimensions are all fixed are left out. */
    public static OptimizationProfile derive(List<TensorInfo> inputs, ProfileSpec spec) {
        return derive(inputs, spec, InputShapes.none());
    }

    /**
     * The profile for {@code inputs} with some inputs' ranges given explicitly.
     *
     * @throws InvalidInputException naming the input (and dimension) when a given range names an input the model
     *                               lacks, has another rank, contradicts a fixed dimension, or gives one symbol two
     *                               different ranges
     */
    public static OptimizationProfile derive(List<TensorInfo> inputs, ProfileSpec spec, InputShapes given) {
        Map<String, List<TensorInfo.Dim>> dims = new LinkedHashMap<>();
        inputs.forEach(t -> dims.put(t.name(), t.dims()));
        return deriveDims(dims, spec, given);
    }

    /**
     * As {@link #derive(List, ProfileSpec, InputShapes)} over input name to dimensions, in model order (for
     * callers whose inputs have element types the runtime does not model).
     */
    public static OptimizationProfile deriveDims(Map<String, List<TensorInfo.Dim>> inputs, ProfileSpec spec, InputShapes given) {
        Map<String, ProfileSpec.DimRange> bound = bindSymbols(inputs, given);
        Set<String> batchSymbols = batchSymbols(inputs);
        Map<String, OptimizationProfile.Range> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<TensorInfo.Dim>> in : inputs.entrySet()) {
            List<TensorInfo.Dim> d = in.getValue();
            if (d.stream().allMatch(TensorInfo.Dim::isFixed)) {
                continue;
            }
            OptimizationProfile.Range explicit = given.ranges().get(in.getKey());
            if (explicit != null) {
                out.put(in.getKey(), explicit);
                continue;
            }
            int rank = d.size();
            long[] min = new long[rank];
            long[] opt = new long[rank];
            long[] max = new long[rank];
            for (int i = 0; i < rank; i++) {
                ProfileSpec.DimRange r = range(d.get(i), i, rank, spec, bound, batchSymbols);
                min[i] = r.min();
                opt[i] = r.opt();
                max[i] = r.max();
            }
            out.put(in.getKey(), new OptimizationProfile.Range(min, opt, max));
        }
        return new OptimizationProfile(out);
    }

    private static ProfileSpec.DimRange range(TensorInfo.Dim d, int i, int rank, ProfileSpec spec,
                                              Map<String, ProfileSpec.DimRange> bound, Set<String> batchSymbols) {
        if (d.isFixed()) {
            return new ProfileSpec.DimRange(d.size(), d.size(), d.size());
        }
        String s = d.symbol();
        if (s != null && !s.isEmpty()) {
            if (bound.containsKey(s)) {
                return bound.get(s);
            }
            if (spec.symbols().containsKey(s)) {
                return spec.symbols().get(s);
            }
            return batchSymbols.contains(s) ? spec.batchDefault() : spec.otherDefault();
        }
        return i == 0 && rank >= 2 ? spec.batchDefault() : spec.otherDefault();
    }

    private static Set<String> batchSymbols(Map<String, List<TensorInfo.Dim>> inputs) {
        Set<String> out = new HashSet<>();
        for (List<TensorInfo.Dim> dims : inputs.values()) {
            for (int i = 0; i < dims.size(); i++) {
                TensorInfo.Dim d = dims.get(i);
                if (!d.isFixed() && d.symbol() != null && !d.symbol().isEmpty()
                        && (BATCH_NAME.matcher(d.symbol().toLowerCase(Locale.ROOT)).matches() || (i == 0 && dims.size() >= 2))) {
                    out.add(d.symbol());
                }
            }
        }
        return out;
    }

    /**
     * Checks given ranges against the model's inputs one by one: the input exists, the rank matches, fixed
     * dimensions keep their size, no dimension is empty. Does not check that inputs sharing a symbol agree
     * ({@link #deriveDims} does), so it also holds before graph steps that rename dimensions.
     *
     * @throws InvalidInputException naming the input and dimension
     */
    public static void checkGiven(Map<String, List<TensorInfo.Dim>> inputs, InputShapes given) {
        given.ranges().forEach((name, r) -> checkEntry(inputs, name, r));
    }

    private static void checkEntry(Map<String, List<TensorInfo.Dim>> inputs, String name, OptimizationProfile.Range r) {
        List<TensorInfo.Dim> dims = inputs.get(name);
        if (dims == null) {
            throw new InvalidInputException(name, "the shapes name input '" + name + "', which the model does not have;"
                    + " its inputs are " + inputs.keySet());
        }
        long[] min = r.min();
        long[] opt = r.opt();
        long[] max = r.max();
        if (min.length != dims.size()) {
            throw new InvalidInputException(name, "input '" + name + "' has rank " + dims.size() + " " + text(dims)
                    + " but the shapes give rank " + min.length + " (" + InputShapes.format(r) + ")");
        }
        for (int i = 0; i < dims.size(); i++) {
            TensorInfo.Dim d = dims.get(i);
            String here = min[i] + "/" + opt[i] + "/" + max[i];
            if (min[i] > opt[i] || opt[i] > max[i]) {
                throw new InvalidInputException(name, "input '" + name + "' dimension " + i + " needs min <= opt <= max,"
                        + " got " + here);
            }
            if (d.isFixed()) {
                if (min[i] != d.size() || max[i] != d.size()) {
                    throw new InvalidInputException(name, "input '" + name + "' dimension " + i + " is fixed at "
                            + d.size() + " in the model " + text(dims) + ", but the shapes give " + here);
                }
            } else if (max[i] == 0) {
                throw new InvalidInputException(name, "input '" + name + "' dimension " + i + " (" + d
                        + ") would be empty: the shapes give " + here);
            }
        }
    }

    /** Checks every given range against the model and returns the range each symbol it covers takes. */
    private static Map<String, ProfileSpec.DimRange> bindSymbols(Map<String, List<TensorInfo.Dim>> inputs, InputShapes given) {
        Map<String, ProfileSpec.DimRange> bound = new HashMap<>();
        Map<String, String> boundBy = new HashMap<>();
        for (Map.Entry<String, OptimizationProfile.Range> e : given.ranges().entrySet()) {
            String name = e.getKey();
            OptimizationProfile.Range r = e.getValue();
            checkEntry(inputs, name, r);
            List<TensorInfo.Dim> dims = inputs.get(name);
            long[] min = r.min();
            long[] opt = r.opt();
            long[] max = r.max();
            for (int i = 0; i < dims.size(); i++) {
                String s = dims.get(i).symbol();
                if (dims.get(i).isFixed() || s == null || s.isEmpty()) {
                    continue;
                }
                String here = min[i] + "/" + opt[i] + "/" + max[i];
                ProfileSpec.DimRange dr = new ProfileSpec.DimRange(min[i], opt[i], max[i]);
                ProfileSpec.DimRange before = bound.putIfAbsent(s, dr);
                if (before != null && !before.equals(dr)) {
                    throw new InvalidInputException(name, "input '" + name + "' dimension " + i + " ('" + s + "') is given "
                            + here + " but " + boundBy.get(s) + " has the same symbol with " + before.min() + "/"
                            + before.opt() + "/" + before.max() + "; dimensions with one name must take one range"
                            + " (TensorRT requires them equal at run time)");
                }
                boundBy.putIfAbsent(s, "input '" + name + "' dimension " + i);
            }
        }
        return bound;
    }

    private static String text(List<TensorInfo.Dim> dims) {
        return dims.stream().map(TensorInfo.Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}

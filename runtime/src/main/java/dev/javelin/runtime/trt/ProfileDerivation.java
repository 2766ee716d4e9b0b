package dev.javelin.runtime.trt;

import dev.javelin.runtime.TensorInfo;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Derives the optimisation profile TensorRT needs for dynamic inputs from a model signature, in plain
 * Java. Rules, per dynamic dimension:
 * <ol>
 *   <li>a dimension whose symbol has a range in the {@link ProfileSpec} takes it;</li>
 *   <li>otherwise a batch-like dimension takes the batch default, any other the other default.</li>
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
        Set<String> batchSymbols = new HashSet<>();
        for (TensorInfo in : inputs) {
            for (int i = 0; i < in.rank(); i++) {
                TensorInfo.Dim d = in.dims().get(i);
                if (!d.isFixed() && d.symbol() != null && !d.symbol().isEmpty()
                        && (BATCH_NAME.matcher(d.symbol().toLowerCase(Locale.ROOT)).matches() || (i == 0 && in.rank() >= 2))) {
                    batchSymbols.add(d.symbol());
                }
            }
        }
        Map<String, OptimizationProfile.Range> out = new LinkedHashMap<>();
        for (TensorInfo in : inputs) {
            if (in.isStatic()) {
                continue;
            }
            int rank = in.rank();
            long[] min = new long[rank];
            long[] opt = new long[rank];
            long[] max = new long[rank];
            for (int i = 0; i < rank; i++) {
                TensorInfo.Dim d = in.dims().get(i);
                ProfileSpec.DimRange r;
                if (d.isFixed()) {
                    r = new ProfileSpec.DimRange(d.size(), d.size(), d.size());
                } else if (d.symbol() != null && spec.symbols().containsKey(d.symbol())) {
                    r = spec.symbols().get(d.symbol());
                } else if (d.symbol() != null && !d.symbol().isEmpty()) {
                    r = batchSymbols.contains(d.symbol()) ? spec.batchDefault() : spec.otherDefault();
                } else {
                    r = i == 0 && rank >= 2 ? spec.batchDefault() : spec.otherDefault();
                }
                min[i] = r.min();
                opt[i] = r.opt();
                max[i] = r.max();
            }
            out.put(in.name(), new OptimizationProfile.Range(min, opt, max));
        }
        return new OptimizationProfile(out);
    }
}

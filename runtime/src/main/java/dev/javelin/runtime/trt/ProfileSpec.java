package dev.javelin.runtime.trt;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How dynamic dimensions become a TensorRT optimisation profile: a range per symbolic dimension name,
 * and defaults for batch-like dimensions and for the others. Parsed from
 * {@code -Djavelin.tensorrt.shapes=batch=1:4:16,sequence=1:128:512,default.other=1:256:1024}.
 *
 * @param symbols      range per symbol name ({@code "batch"}, {@code "sequence"})
 * @param batchDefault range of batch-like dimensions without an entry in {@code symbols}
 * @param otherDefault range of every other dynamic dimension without an entry
 */
public record ProfileSpec(Map<String, DimRange> symbols, DimRange batchDefault, DimRange otherDefault) {
    /** Batch: tuned for single requests, up to 32. */
    public static final DimRange DEFAULT_BATCH = new DimRange(1, 1, 32);
    /** Anything else (sequence length, image side, samples): tuned for 256, up to 2048. */
    public static final DimRange DEFAULT_OTHER = new DimRange(1, 256, 2048);

    private static final Pattern ENTRY = Pattern.compile("([^=,\\s]+)=(\\d+):(\\d+):(\\d+)");

    /**
     * The values one dynamic dimension may take.
     *
     * @param min smallest size
     * @param opt size TensorRT tunes its kernels for
     * @param max largest size
     */
    public record DimRange(long min, long opt, long max) {
        public DimRange {
            if (min < 0 || min > opt || opt > max) {
                throw new IllegalArgumentException("a dimension range needs 0 <= min <= opt <= max, got "
                        + min + ":" + opt + ":" + max);
            }
        }

        @Override
        public String toString() {
            return min + ":" + opt + ":" + max;
        }
    }

    public ProfileSpec {
        symbols = java.util.Collections.unmodifiableMap(new TreeMap<>(symbols));
        java.util.Objects.requireNonNull(batchDefault, "batchDefault");
        java.util.Objects.requireNonNull(otherDefault, "otherDefault");
    }

    /** No per-symbol ranges, the default batch and other ranges. */
    public static ProfileSpec defaults() {
        return new ProfileSpec(Map.of(), DEFAULT_BATCH, DEFAULT_OTHER);
    }

    /**
     * Parses {@code name=min:opt:max} entries separated by commas; {@code default.batch} and
     * {@code default.other} replace the defaults. Blank text gives {@link #defaults()}.
     *
     * @throws IllegalArgumentException naming the entry that is malformed
     */
    public static ProfileSpec parse(String text) {
        if (text == null || text.isBlank()) {
            return defaults();
        }
        Map<String, DimRange> symbols = new TreeMap<>();
        DimRange batch = DEFAULT_BATCH;
        DimRange other = DEFAULT_OTHER;
        for (String raw : text.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            var m = ENTRY.matcher(entry);
            if (!m.matches()) {
                throw new IllegalArgumentException("bad TensorRT shape range '" + entry + "': expected name=min:opt:max, "
                        + "e.g. batch=1:8:32");
            }
            DimRange r;
            try {
                r = new DimRange(Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad TensorRT shape range '" + entry + "': " + e.getMessage(), e);
            }
            switch (m.group(1).toLowerCase(Locale.ROOT)) {
                case "default.batch" -> batch = r;
                case "default.other" -> other = r;
                default -> {
                    if (symbols.put(m.group(1), r) != null) {
                        throw new IllegalArgumentException("TensorRT shape range for '" + m.group(1) + "' given twice");
                    }
                }
            }
        }
        return new ProfileSpec(symbols, batch, other);
    }

    /** A canonical text (sorted, defaults included): equal specs give equal text, for cache keys. */
    public String canonical() {
        StringBuilder sb = new StringBuilder();
        symbols.forEach((k, v) -> sb.append(k).append('=').append(v).append(','));
        return sb.append("default.batch=").append(batchDefault).append(",default.other=").append(otherDefault).toString();
    }
}

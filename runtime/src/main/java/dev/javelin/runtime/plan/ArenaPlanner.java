package dev.javelin.runtime.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Offsets for tensors with known sizes and lifetimes (step intervals) in one arena, so that tensors live at the same
 * step never share a byte and the arena stays small.
 *
 * <p>Algorithm (the "greedy by size" scheme of TFLite's and ONNX Runtime's static memory planners): requests are
 * placed largest first (ties: earlier first step, then name, so plans are reproducible); each goes into a gap
 * between the already placed requests whose lifetimes overlap its own — the lowest gap that fits
 * ({@link Strategy#FIRST_FIT}) or the smallest one that fits, lowest on ties ({@link Strategy#BEST_FIT}) — or
 * above all of them. Sizes are rounded up to the alignment and offsets stay multiples of it. The result is never
 * worse than one buffer per tensor and never better than the most bytes live at one step; both figures are
 * reported with it.
 */
public final class ArenaPlanner {
    /** How a gap is chosen. */
    public enum Strategy {
        /** The lowest gap that fits. */
        FIRST_FIT,
        /** The smallest gap that fits (lowest on ties); less fragmentation when sizes vary a lot. */
        BEST_FIT;

        /** {@code best-fit}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One tensor to place.
     *
     * @param name      unique name
     * @param bytes     its size (an upper bound)
     * @param firstStep the step that writes it
     * @param lastStep  the last step that reads it (inclusive, >= firstStep)
     */
    public record Request(String name, long bytes, int firstStep, int lastStep) {
        public Request {
            Objects.requireNonNull(name, "name");
            if (bytes < 0 || firstStep < 0 || lastStep < firstStep) {
                throw new IllegalArgumentException("arena request '" + name + "': " + bytes + " bytes, steps [" + firstStep
                        + ", " + lastStep + "]");
            }
        }
    }

    /** Alignment TensorRT asks of I/O tensor addresses and cudaMalloc gives: 256 bytes. */
    public static final long DEFAULT_ALIGNMENT = 256;

    private ArenaPlanner() {
    }

    /**
     * Plans the arena.
     *
     * @throws IllegalArgumentException if two requests have one name or the alignment is not a power of two
     */
    public static ArenaPlan plan(List<Request> requests, long alignment, Strategy strategy) {
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("arena alignment must be a power of two, got " + alignment);
        }
        Set<String> names = new HashSet<>();
        for (Request r : requests) {
            if (!names.add(r.name())) {
                throw new IllegalArgumentException("arena request '" + r.name() + "' appears twice");
            }
        }
        List<Request> order = new ArrayList<>(requests);
        order.sort(Comparator.comparingLong((Request r) -> align(r.bytes(), alignment)).reversed()
                .thenComparingInt(Request::firstStep).thenComparing(Request::name));
        List<ArenaSlot> placed = new ArrayList<>();
        for (Request r : order) {
            long size = align(r.bytes(), alignment);
            ArenaSlot probe = new ArenaSlot(r.name(), 0, size, r.firstStep(), r.lastStep());
            List<ArenaSlot> conflicts = new ArrayList<>();
            for (ArenaSlot p : placed) {
                if (p.overlapsInTime(probe) && p.bytes() > 0) {
                    conflicts.add(p);
                }
            }
            conflicts.sort(Comparator.comparingLong(ArenaSlot::offset));
            placed.add(new ArenaSlot(r.name(), size == 0 ? 0 : offset(conflicts, size, strategy), size, r.firstStep(), r.lastStep()));
        }
        long peak = 0;
        long naive = 0;
        int steps = 0;
        for (ArenaSlot s : placed) {
            peak = Math.max(peak, s.end());
            naive += s.bytes();
            steps = Math.max(steps, s.lastStep() + 1);
        }
        long[] live = new long[steps];
        for (ArenaSlot s : placed) {
            for (int t = s.firstStep(); t <= s.lastStep(); t++) {
                live[t] += s.bytes();
            }
        }
        long lower = 0;
        for (long l : live) {
            lower = Math.max(lower, l);
        }
        // Report slots in request order, so a plan reads like the model.
        List<ArenaSlot> byRequest = new ArrayList<>();
        for (Request r : requests) {
            for (ArenaSlot s : placed) {
                if (s.tensor().equals(r.name())) {
                    byRequest.add(s);
                    break;
                }
            }
        }
        return new ArenaPlan(alignment, strategy.label(), peak, naive, lower, byRequest);
    }

    /** The offset for {@code size} bytes among {@code conflicts} (sorted by offset). */
    private static long offset(List<ArenaSlot> conflicts, long size, Strategy strategy) {
        long cursor = 0;
        long best = -1;
        long bestGap = Long.MAX_VALUE;
        for (ArenaSlot c : conflicts) {
            long gap = c.offset() - cursor;
            if (gap >= size) {
                if (strategy == Strategy.FIRST_FIT) {
                    return cursor;
                }
                if (gap < bestGap) {
                    bestGap = gap;
                    best = cursor;
                }
            }
            cursor = Math.max(cursor, c.end());
        }
        return best >= 0 ? best : cursor;
    }

    static long align(long x, long a) {
        return (x + a - 1) / a * a;
    }
}

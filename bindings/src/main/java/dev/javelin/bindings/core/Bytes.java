package dev.javelin.bindings.core;

import java.util.Locale;

/** Human-readable byte counts for messages such as {@code cuMemcpyHtoDAsync(4.0 MiB, stream 3)}. */
public final class Bytes {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Bytes() {
    }

    /** {@code 512 B}, {@code 4.0 MiB}, {@code 1.5 GiB}: binary units, one decimal above bytes. */
    public static String format(long bytes) {
        if (bytes < 0) {
            return bytes + " B";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }
}

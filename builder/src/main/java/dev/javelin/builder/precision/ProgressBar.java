package dev.javelin.builder.precision;

import java.io.PrintStream;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * A one-line progress bar for long loops (calibration passes), redrawn in place on stderr only when the JVM
 * has a console — never into a redirected log — plus an SLF4J line at the start and end of each phase, so a
 * batch log still shows what ran and how long it took.
 *
 * <pre>{@code
 * try (ProgressBar bar = ProgressBar.start(LOG, "calibrating (histograms)", samples)) {
 *     for (...) { ...; bar.step(); }
 * }
 * }</pre>
 */
public final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;
    /** Redraw at most this often, so a fast loop does not flood the terminal. */
    private static final long REDRAW_NANOS = 100_000_000L;

    private final Logger log;
    private final String label;
    private final int total;
    private final PrintStream terminal;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int done;

    private ProgressBar(Logger log, String label, int total, PrintStream terminal) {
        this.log = log;
        this.label = label;
        this.total = total;
        this.terminal = terminal;
    }

    /** Starts a bar on stderr if there is a console, logging the start at INFO. */
    public static ProgressBar start(Logger log, String label, int total) {
        return start(log, label, total, System.console() != null ? System.err : null);
    }

    /**
     * Starts a bar that draws on {@code terminal} ({@code null}: log only).
     *
     * @param total number of steps, at least 0
     */
    public static ProgressBar start(Logger log, String label, int total, PrintStream terminal) {
        if (total < 0) {
            throw new IllegalArgumentException("total must be >= 0, was " + total);
        }
        log.info("{}: {} steps", label, total);
        ProgressBar bar = new ProgressBar(log, label, total, terminal);
        bar.draw(true);
        return bar;
    }

    /** One step done. */
    public void step() {
        done++;
        draw(done == total);
    }

    /** Steps done so far. */
    public int done() {
        return done;
    }

    private void draw(boolean force) {
        if (terminal == null) {
            return;
        }
        long now = System.nanoTime();
        if (!force && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        double secs = (now - start) / 1e9;
        String eta = done > 0 && done < total ? String.format(Locale.ROOT, ", ~%.0f s left", secs / done * (total - done)) : "";
        terminal.print(String.format(Locale.ROOT, "\r%s [%s%s] %d/%d %.1f s%s   ", label, "#".repeat(filled),
                ".".repeat(WIDTH - filled), done, total, secs, eta));
        terminal.flush();
    }

    /** Ends the line on the terminal and logs the elapsed time. */
    @Override
    public void close() {
        if (terminal != null) {
            draw(true);
            terminal.println();
            terminal.flush();
        }
        log.info("{}: {} of {} steps in {} s", label, done, total,
                String.format(Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9));
    }
}

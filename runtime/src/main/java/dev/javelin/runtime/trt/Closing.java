package dev.javelin.runtime.trt;

import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;

/** Closing several native resources in a given order, where one failing must not keep the others open. */
final class Closing {
    private Closing() {
    }

    /** Closes each non-null resource in order; a failure is logged on {@code log} and closing goes on. */
    static void quietly(Logger log, AutoCloseable... resources) {
        quietly(log, Arrays.asList(resources));
    }

    /** Closes each non-null resource in list order; a failure is logged on {@code log} and closing goes on. */
    static void quietly(Logger log, List<? extends AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", r, e.toString());
            }
        }
    }
}

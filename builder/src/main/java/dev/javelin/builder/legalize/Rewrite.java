package dev.javelin.builder.legalize;

/** Replaces one node by standard ops, or declines with the reason. */
@FunctionalInterface
interface Rewrite {
    Outcome apply(GraphEdit g, int node);

    /** A done rewrite (detail, tolerance or {@code null} when exact) or a refusal ({@code declined}). */
    record Outcome(String detail, Tolerance tolerance, String declined) {
        static Outcome done(String detail, Tolerance tolerance) {
            return new Outcome(detail, tolerance, null);
        }

        static Outcome declined(String why) {
            return new Outcome(null, null, why);
        }

        boolean ok() {
            return declined == null;
        }
    }
}

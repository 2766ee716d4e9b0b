package dev.javelin.builder.bundle;

/** Where a build reports what it is doing; the CLI prints it, tests may ignore it. */
public interface Progress {
    /** A phase begins, e.g. {@code step(3, 4, "TensorRT build")}. */
    void step(int index, int total, String what);

    /** A detail line of the current phase. */
    void line(String text);

    /**
     * A long blocking call begins (a TensorRT build); the returned handle ends it. Implementations may show the
     * time elapsed meanwhile.
     */
    Waiting waiting(String what);

    /** The end of a {@link #waiting} period. */
    interface Waiting extends AutoCloseable {
        @Override
        void close();
    }

    /** Reports nothing. */
    static Progress silent() {
        return new Progress() {
            @Override
            public void step(int index, int total, String what) {
            }

            @Override
            public void line(String text) {
            }

            @Override
            public Waiting waiting(String what) {
                return () -> { };
            }
        };
    }
}

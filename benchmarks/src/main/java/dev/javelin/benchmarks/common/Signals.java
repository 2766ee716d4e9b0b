package dev.javelin.benchmarks.common;

/** Deterministic synthetic inputs shared by both harnesses, so both sides see the same data. */
public final class Signals {
    private Signals() {
    }

    /**
     * {@code seconds} of 16 kHz audio: alternating one-second stretches of low noise and a voiced-like
     * signal (a 140 Hz harmonic series with a syllable-rate envelope), from a fixed seed.
     */
    public static float[] speechLike(int seconds, int sampleRate) {
        float[] out = new float[seconds * sampleRate];
        long seed = 42;
        for (int i = 0; i < out.length; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            float noise = ((seed >>> 40) / (float) (1L << 24) - 0.5f) * 0.02f;
            double t = (double) i / sampleRate;
            boolean voiced = ((int) t) % 2 == 1;
            double v = 0;
            if (voiced) {
                double env = 0.5 * (1 - Math.cos(2 * Math.PI * 4 * t));
                for (int h = 1; h <= 8; h++) {
                    v += Math.sin(2 * Math.PI * 140 * h * t) / h;
                }
                v *= 0.3 * env;
            }
            out[i] = (float) v + noise;
        }
        return out;
    }

    /** Values in [-1, 1) from a fixed seed. */
    public static float[] uniform(int n, long seed) {
        float[] out = new float[n];
        long s = seed;
        for (int i = 0; i < n; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            out[i] = ((s >>> 40) / (float) (1L << 24)) * 2 - 1;
        }
        return out;
    }

    /**
     * A fixed synthetic BERT query of {@code length} tokens: [CLS], word-piece ids spread over the vocabulary
     * from a fixed seed, [SEP]. Real ids, so the model does the work a real query costs.
     */
    public static long[] tokenIds(int length) {
        long[] ids = new long[length];
        long s = 17;
        for (int i = 0; i < length; i++) {
            s = s * 6364136223846793005L + 1442695040888963407L;
            ids[i] = 1996 + (s >>> 33) % 27000; // ordinary word pieces of the 30522-entry vocabulary
        }
        ids[0] = 101;
        ids[length - 1] = 102;
        return ids;
    }
}

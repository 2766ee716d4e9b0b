package dev.javelin.benchmarks.peer;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.javelin.benchmarks.common.AlternatingScaling;
import dev.javelin.benchmarks.common.Load;
import dev.javelin.benchmarks.common.PairedTiming;
import dev.javelin.benchmarks.common.Samples;
import dev.javelin.benchmarks.common.Signals;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.concurrent.Semaphore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The peer side of the side-by-side benchmarks: the same scenarios as {@code JavelinHarness}, written the
 * way a competent user of the official ONNX Runtime Java API ({@code com.microsoft.onnxruntime}) would.
 * Runs in its own JVM because both APIs load {@code libonnxruntime.so.1}; must import nothing from Javelin
 * but the plain-Java helpers in {@code benchmarks.common}. Prints one JSON line per scenario.
 */
public final class OfficialOrtHarness {
    private OfficialOrtHarness() {
    }

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        String model = args[1];
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 3;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("side", "official-ort-" + env.getVersion());
        out.put("scenario", scenario);
        switch (scenario) {
            case "add-call" -> addCall(env, model, seconds, out);
            case "add-threads" -> addThreads(env, model, seconds, out);
            case "vad" -> vad(env, model, out);
            case "ocr-rss" -> ocrRss(env, model, out);
            case "minilm-16" -> miniLm(env, model, 16, out);
            case "minilm-128" -> miniLm(env, model, 128, out);
            case "minilm-int8" -> miniLmInt8(env, model, out);
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        }
        System.out.println("RESULT " + Samples.toJson(out));
    }

    private static OrtSession.SessionOptions options(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        if (intraOpThreads > 0) {
            o.setIntraOpNumThreads(intraOpThreads);
        }
        return o;
    }

    private static OnnxTensor direct(OrtEnvironment env, float[] values, long... shape) throws OrtException {
        FloatBuffer fb = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        fb.put(values).rewind();
        return OnnxTensor.createTensor(env, fb, shape);
    }

    /** Per-call latency of Add(1x16, 1x16): default path (outputs allocated per call) and pinned outputs. */
    private static void addCall(OrtEnvironment env, String model, double seconds, Map<String, Object> out) throws Exception {
        try (OrtSession s = env.createSession(model, options(1));
             OnnxTensor a = direct(env, Signals.uniform(16, 1), 1, 16);
             OnnxTensor b = direct(env, Signals.uniform(16, 2), 1, 16);
             OnnxTensor y = direct(env, new float[16], 1, 16)) {
            Map<String, OnnxTensor> in = Map.of("a", a, "b", b);
            Map<String, OnnxValue> pinned = Map.of("y", y);
            Samples plain = new Samples(1 << 20);
            Samples pin = new Samples(1 << 20);
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int i = 0;
            // Interleave the two paths in blocks so drift on a noisy machine hits both alike.
            while (System.nanoTime() < end) {
                for (int k = 0; k < 1000; k++) {
                    long t0 = System.nanoTime();
                    try (OrtSession.Result r = s.run(in)) {
                        if (r.size() != 1) {
                            throw new AssertionError();
                        }
                    }
                    long t1 = System.nanoTime();
                    try (OrtSession.Result r = s.run(in, pinned)) {
                        if (r.size() != 1) {
                            throw new AssertionError();
                        }
                    }
                    long t2 = System.nanoTime();
                    if (i++ > 20_000) { // warm-up excluded
                        plain.add(t1 - t0);
                        pin.add(t2 - t1);
                    }
                }
            }
            out.put("default_path", plain.summaryMicros());
            out.put("pinned_outputs", pin.summaryMicros());
        }
    }

    /** Calls per second on one session from one and from two threads (pinned outputs, one per thread). */
    private static void addThreads(OrtEnvironment env, String model, double seconds, Map<String, Object> out) throws Exception {
        try (OrtSession s = env.createSession(model, options(1))) {
            double one = throughput(env, s, 1, seconds, true);
            double two = throughput(env, s, 2, seconds, true);
            out.put("calls_per_s_1", Math.round(one));
            out.put("calls_per_s_2", Math.round(two));
            out.put("scaling_2_over_1", Math.round(two / one * 100) / 100.0);
            // The default path (outputs allocated per call), whose scaling FACTS.md quotes (1.85x).
            double oneDefault = throughput(env, s, 1, seconds, false);
            double twoDefault = throughput(env, s, 2, seconds, false);
            out.put("default_calls_per_s_1", Math.round(oneDefault));
            out.put("default_calls_per_s_2", Math.round(twoDefault));
            out.put("default_scaling_2_over_1", Math.round(twoDefault / oneDefault * 100) / 100.0);
            out.put("alternating", alternating(env, s, true));
            out.put("default_alternating", alternating(env, s, false));
        }
    }

    /** Two-caller scaling in alternating windows ({@link AlternatingScaling}), as the Javelin harness does. */
    private static Map<String, Object> alternating(OrtEnvironment env, OrtSession s, boolean pin) throws Exception {
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            Load.Call[] callers = new Load.Call[2];
            for (int t = 0; t < 2; t++) {
                OnnxTensor a = direct(env, Signals.uniform(16, 1), 1, 16);
                owned.add(a);
                OnnxTensor b = direct(env, Signals.uniform(16, 2), 1, 16);
                owned.add(b);
                OnnxTensor y = direct(env, new float[16], 1, 16);
                owned.add(y);
                Map<String, OnnxTensor> in = Map.of("a", a, "b", b);
                Map<String, OnnxValue> pinned = Map.of("y", y);
                callers[t] = () -> {
                    try (OrtSession.Result r = pin ? s.run(in, pinned) : s.run(in)) {
                        if (r.size() != 1) {
                            throw new AssertionError();
                        }
                    }
                };
            }
            return AlternatingScaling.measure(callers[0], callers[1]);
        } finally {
            for (int i = owned.size() - 1; i >= 0; i--) {
                owned.get(i).close();
            }
        }
    }

    private static double throughput(OrtEnvironment env, OrtSession s, int threads, double seconds, boolean pin)
            throws Exception {
        LongAdder calls = new LongAdder();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try (OnnxTensor a = direct(env, Signals.uniform(16, 1), 1, 16);
                     OnnxTensor b = direct(env, Signals.uniform(16, 2), 1, 16);
                     OnnxTensor y = direct(env, new float[16], 1, 16)) {
                    Map<String, OnnxTensor> in = Map.of("a", a, "b", b);
                    Map<String, OnnxValue> pinned = Map.of("y", y);
                    while (!stop.get()) {
                        try (OrtSession.Result r = pin ? s.run(in, pinned) : s.run(in)) {
                            if (measuring.get()) {
                                calls.increment();
                            }
                        }
                    }
                } catch (OrtException e) {
                    throw new IllegalStateException(e);
                } finally {
                    done.countDown();
                }
            });
            th.start();
        }
        Thread.sleep(1000);
        measuring.set(true);
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        measuring.set(false);
        long t1 = System.nanoTime();
        stop.set(true);
        done.await();
        return calls.sum() / ((t1 - t0) / 1e9);
    }

    /** Silero VAD over 60 s of 16 kHz audio in 512-sample frames, state fed back by hand. */
    private static void vad(OrtEnvironment env, String model, Map<String, Object> out) throws Exception {
        float[] audio = Signals.speechLike(60, 16000);
        int frame = 512;
        int frames = audio.length / frame;
        Samples perFrame = new Samples(frames * 8);
        double probabilitySum = 0;
        try (OrtSession s = env.createSession(model, options(1));
             OnnxTensor sr = OnnxTensor.createTensor(env, 16000L)) {
            FloatBuffer frameBuf = ByteBuffer.allocateDirect(frame * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int round = 0; round < 6; round++) {
                OnnxTensor h = direct(env, new float[2 * 64], 2, 1, 64);
                OnnxTensor c = direct(env, new float[2 * 64], 2, 1, 64);
                OrtSession.Result previous = null;
                double sum = 0;
                for (int f = 0; f < frames; f++) {
                    long t0 = System.nanoTime();
                    frameBuf.clear();
                    frameBuf.put(audio, f * frame, frame).rewind();
                    OrtSession.Result r;
                    try (OnnxTensor x = OnnxTensor.createTensor(env, frameBuf, new long[] {1, frame})) {
                        r = s.run(Map.of("input", x, "sr", sr, "h", h, "c", c));
                    }
                    float p = ((float[][]) r.get("output").get().getValue())[0][0];
                    // The next frame's state is this frame's output tensors, used in place (no copy).
                    h = (OnnxTensor) r.get("hn").get();
                    c = (OnnxTensor) r.get("cn").get();
                    if (previous != null) {
                        previous.close();
                    }
                    previous = r;
                    long t1 = System.nanoTime();
                    sum += p;
                    if (round > 0) { // round 0 is warm-up
                        perFrame.add(t1 - t0);
                    }
                }
                if (previous != null) {
                    previous.close();
                }
                probabilitySum = sum;
            }
        }
        out.put("frames", frames);
        out.put("per_frame", perFrame.summaryMicros());
        out.put("probability_sum", Math.round(probabilitySum * 1e4) / 1e4);
    }

    /**
     * all-MiniLM-L6-v2 from 16 closed-loop clients, one fixed query of {@code seq} tokens each, on one session.
     * The official API has no batcher, so the knobs a user has are how many of the clients may be inside
     * {@code run} at once (a semaphore: the "callers") and intra-op threads. Each client builds its input
     * tensors once (direct buffers) and reuses them; outputs are closed after each call.
     */
    private static void miniLm(OrtEnvironment env, String model, int seq, Map<String, Object> out) throws Exception {
        long[] ids = Signals.tokenIds(seq);
        long[] mask = new long[seq];
        java.util.Arrays.fill(mask, 1);
        long[] types = new long[seq];
        int[][] configs = {{2, 1}, {1, 2}, {16, 1}}; // {callers, intra-op threads}
        double best = 0;
        String bestName = null;
        for (int[] c : configs) {
            String name = c[0] + "callers_x" + c[1] + "thr";
            Semaphore callers = new Semaphore(c[0]);
            try (OrtSession s = env.createSession(model, options(c[1]))) {
                Load.Outcome o = Load.closedLoop(16, 2, 6, i -> {
                    try {
                        Map<String, OnnxTensor> in = Map.of(
                                "input_ids", OnnxTensor.createTensor(env, direct(ids), new long[] {1, seq}),
                                "attention_mask", OnnxTensor.createTensor(env, direct(mask), new long[] {1, seq}),
                                "token_type_ids", OnnxTensor.createTensor(env, direct(types), new long[] {1, seq}));
                        return () -> {
                            callers.acquire();
                            try (OrtSession.Result r = s.run(in)) {
                                if (r.size() == 0) {
                                    throw new AssertionError();
                                }
                            } finally {
                                callers.release();
                            }
                        };
                    } catch (OrtException e) {
                        throw new IllegalStateException(e);
                    }
                });
                out.put(name, o.summary());
                if (o.perSecond() > best) {
                    best = o.perSecond();
                    bestName = name;
                }
            }
        }
        out.put("seq", seq);
        out.put("best", bestName);
        out.put("best_per_s", Math.round(best * 10) / 10.0);
    }

    /**
     * The same FP32 / INT8 pair as {@code JavelinHarness.miniLmInt8} (same configurations, same alternation) on the
     * official API: how the stock ONNX Runtime runs Javelin's Q/DQ model.
     */
    private static void miniLmInt8(OrtEnvironment env, String models, Map<String, Object> out) throws Exception {
        String[] m = models.split(java.io.File.pathSeparator);
        int[][] configs = {{128, 1}, {128, 2}, {16, 1}, {16, 2}};
        for (int[] c : configs) {
            int seq = c[0];
            long[] ids = Signals.tokenIds(seq);
            long[] mask = new long[seq];
            java.util.Arrays.fill(mask, 1);
            try (OrtSession fp32 = env.createSession(m[0], options(c[1]));
                 OrtSession int8 = env.createSession(m[1], options(c[1]));
                 OnnxTensor tIds = OnnxTensor.createTensor(env, direct(ids), new long[] {1, seq});
                 OnnxTensor tMask = OnnxTensor.createTensor(env, direct(mask), new long[] {1, seq});
                 OnnxTensor tTypes = OnnxTensor.createTensor(env, direct(new long[seq]), new long[] {1, seq})) {
                Map<String, OnnxTensor> in = Map.of("input_ids", tIds, "attention_mask", tMask, "token_type_ids", tTypes);
                Map<String, Object> r = PairedTiming.fp32VsInt8(() -> fp32.run(in).close(), () -> int8.run(in).close(),
                        3);
                out.put("seq" + seq + "_thr" + c[1], r);
            }
        }
    }

    private static LongBuffer direct(long[] values) {
        LongBuffer b = ByteBuffer.allocateDirect(values.length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
        b.put(values).rewind();
        return b;
    }

    /** Peak RSS running the PP-OCRv4 detector on a 480x640 image, 20 runs. */
    private static void ocrRss(OrtEnvironment env, String model, Map<String, Object> out) throws Exception {
        float[] image = Signals.uniform(3 * 480 * 640, 7);
        Samples lat = new Samples(32);
        try (OrtSession s = env.createSession(model, options(1));
             OnnxTensor x = direct(env, image, 1, 3, 480, 640)) {
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                try (OrtSession.Result r = s.run(Map.of("x", x))) {
                    if (r.size() != 1) {
                        throw new AssertionError();
                    }
                }
                if (i >= 2) {
                    lat.add(System.nanoTime() - t0);
                }
            }
        }
        out.put("latency", lat.summaryMicros());
        out.put("peak_rss_mib", Math.round(Samples.peakRssMiB()));
    }
}

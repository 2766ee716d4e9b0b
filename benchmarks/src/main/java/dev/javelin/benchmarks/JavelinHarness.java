package dev.javelin.benchmarks;

import dev.javelin.benchmarks.common.AlternatingScaling;
import dev.javelin.benchmarks.common.Load;
import dev.javelin.benchmarks.common.PairedTiming;
import dev.javelin.benchmarks.common.Samples;
import dev.javelin.benchmarks.common.Signals;
import dev.javelin.builder.onnx.OnnxModel;
import dev.javelin.builder.onnx.SpecializeInputs;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.exec.ExecutorOptions;
import dev.javelin.runtime.exec.Histogram;
import dev.javelin.runtime.exec.MetricsSnapshot;
import dev.javelin.runtime.exec.ModelExecutor;
import dev.javelin.runtime.exec.StreamingSession;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Javelin's side of the side-by-side benchmarks: the scenarios of {@code OfficialOrtHarness} on the
 * Javelin API (ONNX Runtime CPU backend). Runs in its own JVM; prints one JSON line per scenario.
 */
public final class JavelinHarness {
    private JavelinHarness() {
    }

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        Path model = Path.of(args[1]);
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 3;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("side", "javelin");
        out.put("scenario", scenario);
        switch (scenario) {
            case "add-call" -> addCall(model, seconds, out);
            case "add-threads" -> addThreads(model, seconds, out);
            case "vad" -> vad(model, out);
            case "ocr-rss" -> ocrRss(model, out);
            case "minilm-16" -> miniLm(model, 16, out);
            case "minilm-128" -> miniLm(model, 128, out);
            case "minilm-int8" -> miniLmInt8(args[1], out);
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        }
        System.out.println("RESULT " + Samples.toJson(out));
    }

    private static SessionOptions cpu(int intraOpThreads) {
        return SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(intraOpThreads).build();
    }

    /** Sequence lengths and intra-op thread counts of the INT8 comparison. */
    static final int[][] INT8_CONFIGS = {{128, 1}, {128, 2}, {16, 1}, {16, 2}};
    /** Measured time per configuration, after warm-up. */
    static final double INT8_SECONDS = 3;

    /**
     * all-MiniLM-L6-v2 FP32 against its INT8 Q/DQ version, one request at a time, for each sequence length and
     * thread count: both sessions open at once and called alternately, so both see the same machine load.
     *
     * @param models the FP32 and INT8 model files, separated by the path separator
     */
    private static void miniLmInt8(String models, Map<String, Object> out) throws Exception {
        String[] m = models.split(java.io.File.pathSeparator);
        for (int[] c : INT8_CONFIGS) {
            int seq = c[0];
            long[] ids = Signals.tokenIds(seq);
            long[] mask = new long[seq];
            java.util.Arrays.fill(mask, 1);
            try (Session fp32 = Session.open(Path.of(m[0]), cpu(c[1]));
                 Session int8 = Session.open(Path.of(m[1]), cpu(c[1]));
                 Tensor tIds = Tensor.of(ids, Shape.of(1, seq));
                 Tensor tMask = Tensor.of(mask, Shape.of(1, seq));
                 Tensor tTypes = Tensor.of(new long[seq], Shape.of(1, seq))) {
                Map<String, Tensor> feeds = Map.of("input_ids", tIds, "attention_mask", tMask, "token_type_ids", tTypes);
                Map<String, Object> r = PairedTiming.fp32VsInt8(() -> fp32.run(feeds).close(), () -> int8.run(feeds).close(),
                        INT8_SECONDS);
                out.put("seq" + seq + "_thr" + c[1], r);
            }
        }
    }

    /** Per-call latency of Add(1x16, 1x16): a bound lane, and the general run(Map) path. */
    private static void addCall(Path model, double seconds, Map<String, Object> out) {
        try (Session s = Session.open(model, cpu(1));
             Tensor a = Tensor.of(Signals.uniform(16, 1), Shape.of(1, 16));
             Tensor b = Tensor.of(Signals.uniform(16, 2), Shape.of(1, 16));
             Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)))) {
            lane.input("a").buffer().put(a.buffer());
            lane.input("b").buffer().put(b.buffer());
            Map<String, Tensor> in = Map.of("a", a, "b", b);
            Samples bound = new Samples(1 << 20);
            Samples general = new Samples(1 << 20);
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int i = 0;
            while (System.nanoTime() < end) {
                for (int k = 0; k < 1000; k++) {
                    long t0 = System.nanoTime();
                    lane.run();
                    long t1 = System.nanoTime();
                    try (Result r = s.run(in)) {
                        if (r.size() != 1) {
                            throw new AssertionError();
                        }
                    }
                    long t2 = System.nanoTime();
                    if (i++ > 20_000) {
                        bound.add(t1 - t0);
                        general.add(t2 - t1);
                    }
                }
            }
            out.put("lane_bound", bound.summaryMicros());
            out.put("run_map", general.summaryMicros());
        }
    }

    /** Calls per second from one and two threads on one session, through run(Map) and through one lane per thread. */
    private static void addThreads(Path model, double seconds, Map<String, Object> out) throws Exception {
        try (Session s = Session.open(model, cpu(1))) {
            double one = throughput(s, 1, seconds, false);
            double two = throughput(s, 2, seconds, false);
            out.put("calls_per_s_1", Math.round(one));
            out.put("calls_per_s_2", Math.round(two));
            out.put("scaling_2_over_1", Math.round(two / one * 100) / 100.0);
            double oneLane = throughput(s, 1, seconds, true);
            double twoLane = throughput(s, 2, seconds, true);
            out.put("lane_calls_per_s_1", Math.round(oneLane));
            out.put("lane_calls_per_s_2", Math.round(twoLane));
            out.put("lane_scaling_2_over_1", Math.round(twoLane / oneLane * 100) / 100.0);
            out.put("alternating", alternating(s, false));
            out.put("lane_alternating", alternating(s, true));
            out.put("session", s.description());
        }
    }

    /** Two-caller scaling in alternating windows, over {@code run(Map)} or one lane per caller. */
    private static Map<String, Object> alternating(Session s, boolean lanes) throws Exception {
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            Load.Call[] callers = new Load.Call[2];
            for (int t = 0; t < 2; t++) {
                Tensor a = Tensor.of(Signals.uniform(16, 1), Shape.of(1, 16));
                owned.add(a);
                Tensor b = Tensor.of(Signals.uniform(16, 2), Shape.of(1, 16));
                owned.add(b);
                if (lanes) {
                    Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)));
                    owned.add(lane);
                    lane.input("a").buffer().put(a.buffer());
                    lane.input("b").buffer().put(b.buffer());
                    callers[t] = lane::run;
                } else {
                    Map<String, Tensor> in = Map.of("a", a, "b", b);
                    callers[t] = () -> s.run(in).close();
                }
            }
            return AlternatingScaling.measure(callers[0], callers[1]);
        } finally {
            for (int i = owned.size() - 1; i >= 0; i--) {
                owned.get(i).close();
            }
        }
    }

    private static double throughput(Session s, int threads, double seconds, boolean lanes) throws Exception {
        LongAdder calls = new LongAdder();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try (Tensor a = Tensor.of(Signals.uniform(16, 1), Shape.of(1, 16));
                     Tensor b = Tensor.of(Signals.uniform(16, 2), Shape.of(1, 16));
                     Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)))) {
                    Map<String, Tensor> in = Map.of("a", a, "b", b);
                    while (!stop.get()) {
                        if (lanes) {
                            lane.run();
                        } else {
                            s.run(in).close();
                        }
                        if (measuring.get()) {
                            calls.increment();
                        }
                    }
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

    /**
     * Silero VAD over 60 s of audio in 512-sample frames, five ways in one JVM, rounds interleaved so machine
     * noise hits all alike: one lane with the state copied output -> input ({@code lane_copy}); a
     * {@link StreamingSession} with its own specialization off (two lanes, state ping-pong, sr bound once:
     * {@code stream}); the same on the model specialized on sr=16000 by the builder ({@code stream_specialized}:
     * the per-frame {@code If} inlined); the same on the model also specialized on the stream's fixed shapes
     * ({@code stream_shapes}: input 1x512, h and c 2x1x64, so the shape-dependent {@code If}s inside the branch fold
     * and inline too); and a {@link StreamingSession} as opened by default ({@code stream_auto}), which does that
     * specialization itself through the builder's service.
     */
    private static void vad(Path model, Map<String, Object> out) throws Exception {
        float[] audio = Signals.speechLike(60, 16000);
        int frame = 512;
        int frames = audio.length / frame;
        Path specialized = Path.of(model.toString().replaceAll("\\.onnx$", "") + ".sr16000.onnx");
        SpecializeInputs.Outcome spec = SpecializeInputs.apply(OnnxModel.load(model), Map.of("sr", "16000"));
        spec.model().write(specialized);
        out.put("specialization", String.join("; ", spec.report().lines()));
        Path shaped = Path.of(model.toString().replaceAll("\\.onnx$", "") + ".sr16000.1x512.onnx");
        SpecializeInputs.Outcome shapeSpec = SpecializeInputs.apply(OnnxModel.load(model), Map.of("sr", "16000"),
                SpecializeInputs.parseShapes(List.of("input=1x" + frame, "h=2x1x64", "c=2x1x64")));
        shapeSpec.model().write(shaped);
        out.put("shape_specialization", String.join("; ", shapeSpec.report().lines()));
        String[] names = {"lane_copy", "stream", "stream_specialized", "stream_shapes", "stream_auto"};
        Samples[] perFrame = new Samples[names.length];
        double[] sums = new double[names.length];
        try (Session s = Session.open(model, cpu(1));
             Session ss = Session.open(specialized, cpu(1));
             Session sh = Session.open(shaped, cpu(1));
             Tensor sr = Tensor.of(new long[] {16000L}, Shape.scalar());
             Lane lane = s.newLane(Map.of("input", Shape.of(1, frame), "sr", Shape.scalar(),
                     "h", Shape.of(2, 1, 64), "c", Shape.of(2, 1, 64)));
             StreamingSession stream = StreamingSession.builder(s).frame("input", Shape.of(1, frame))
                     .constant("sr", sr).state("hn", "h").state("cn", "c").specialize(false).open();
             StreamingSession streamSpec = StreamingSession.builder(ss).frame("input", Shape.of(1, frame))
                     .state("hn", "h").state("cn", "c").specialize(false).open();
             StreamingSession streamShapes = StreamingSession.builder(sh).frame("input", Shape.of(1, frame))
                     .state("hn", "h").state("cn", "c").specialize(false).open();
             StreamingSession streamAuto = StreamingSession.builder(s).frame("input", Shape.of(1, frame))
                     .constant("sr", sr).state("hn", "h").state("cn", "c").open()) {
            out.put("stream_auto_report", String.join("; ", streamAuto.report()));
            lane.input("sr").buffer().putLong(0, 16000L);
            FloatBuffer x = lane.input("input").buffer().asFloatBuffer();
            ByteBuffer h = lane.input("h").buffer();
            ByteBuffer c = lane.input("c").buffer();
            float[] chunk = new float[frame];
            for (int k = 0; k < names.length; k++) {
                perFrame[k] = new Samples(frames * 8);
            }
            for (int round = 0; round < 7; round++) {
                for (int k = 0; k < names.length; k++) {
                    h.clear();
                    c.clear();
                    zero(h);
                    zero(c);
                    stream.reset();
                    streamSpec.reset();
                    streamShapes.reset();
                    streamAuto.reset();
                    double sum = 0;
                    for (int f = 0; f < frames; f++) {
                        long t0 = System.nanoTime();
                        float p;
                        if (k == 0) {
                            x.clear();
                            x.put(audio, f * frame, frame);
                            lane.run();
                            p = lane.output("output").buffer().getFloat(0);
                            h.clear();
                            h.put(lane.output("hn").buffer());
                            c.clear();
                            c.put(lane.output("cn").buffer());
                        } else {
                            System.arraycopy(audio, f * frame, chunk, 0, frame);
                            StreamingSession st = k == 1 ? stream : k == 2 ? streamSpec : k == 3 ? streamShapes : streamAuto;
                            p = st.step(chunk).get("output").buffer().getFloat(0);
                        }
                        long t1 = System.nanoTime();
                        sum += p;
                        if (round > 0) {
                            perFrame[k].add(t1 - t0);
                        }
                    }
                    sums[k] = sum;
                }
            }
        }
        out.put("frames", frames);
        out.put("per_frame", perFrame[0].summaryMicros()); // the issue-2 figure: one lane, state copied
        for (int k = 0; k < names.length; k++) {
            Map<String, Object> m = perFrame[k].summaryMicros();
            m.put("probability_sum", Math.round(sums[k] * 1e4) / 1e4);
            out.put(names[k], m);
        }
        out.put("probability_sum", Math.round(sums[0] * 1e4) / 1e4);
    }

    private static void zero(ByteBuffer b) {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) 0);
        }
    }

    /** MiniLM clients, warm-up and measured seconds per configuration. */
    static final int MINILM_CLIENTS = 16;
    static final double MINILM_WARMUP_S = 2;
    static final double MINILM_MEASURE_S = 6;

    /**
     * all-MiniLM-L6-v2, one fixed query of {@code seq} tokens per request, from 16 closed-loop clients through
     * a {@link ModelExecutor}. Configurations: {@code lanes x intra-op threads} with and without dynamic
     * batching; the best is reported as {@code best_per_s}. The executor's own per-request queue time (p99) is
     * set against maxQueueDelay + one batch's compute (p99 of executions).
     */
    private static void miniLm(Path model, int seq, Map<String, Object> out) throws Exception {
        long[] ids = Signals.tokenIds(seq);
        long[] mask = new long[seq];
        java.util.Arrays.fill(mask, 1);
        long[] types = new long[seq];
        // {lanes, threads, maxBatch, delay us}
        int[][] configs = {{2, 1, 1, 0}, {1, 2, 16, 2000}, {2, 1, 8, 2000}};
        double best = 0;
        String bestName = null;
        for (int[] c : configs) {
            String name = c[0] + "lanes_x" + c[1] + "thr_" + (c[2] > 1 ? "batch" + c[2] + "_" + c[3] + "us" : "nobatch");
            ExecutorOptions eo = ExecutorOptions.builder().lanes(c[0]).batching(c[2], Duration.ofNanos(c[3] * 1000L)).build();
            Map<String, Object> r = new LinkedHashMap<>();
            try (Session s = Session.open(model, cpu(c[1])); ModelExecutor ex = ModelExecutor.over(s, eo)) {
                MetricsSnapshot[] before = new MetricsSnapshot[1];
                Thread marker = new Thread(() -> {
                    try {
                        Thread.sleep((long) (MINILM_WARMUP_S * 1000));
                        before[0] = ex.metrics();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                marker.start();
                Load.Outcome o = Load.closedLoop(MINILM_CLIENTS, MINILM_WARMUP_S, MINILM_MEASURE_S, i -> {
                    Map<String, Tensor> feeds = Map.of(
                            "input_ids", Tensor.of(ids, Shape.of(1, seq)),
                            "attention_mask", Tensor.of(mask, Shape.of(1, seq)),
                            "token_type_ids", Tensor.of(types, Shape.of(1, seq)));
                    return () -> {
                        try (Result res = ex.run(feeds)) {
                            if (res.size() == 0) {
                                throw new AssertionError();
                            }
                        }
                    };
                });
                marker.join();
                MetricsSnapshot after = ex.metrics();
                Histogram.Snapshot queue = after.queue().since(before[0].queue());
                Histogram.Snapshot compute = after.compute().since(before[0].compute());
                r.putAll(o.summary());
                r.put("queue_p99_us", Math.round(queue.p99() / 100.0) / 10.0);
                r.put("queue_mean_us", Math.round(queue.mean() / 100.0) / 10.0);
                r.put("batch_compute_mean_us", Math.round(compute.mean() / 100.0) / 10.0);
                r.put("batch_compute_p99_us", Math.round(compute.p99() / 100.0) / 10.0);
                long rows = after.completed() - before[0].completed();
                long execs = after.batches() - before[0].batches();
                r.put("mean_batch", execs == 0 ? 0 : Math.round(rows * 100.0 / execs) / 100.0);
                double bound = c[3] * 1000.0 + compute.p99();
                r.put("queue_bound_us", Math.round(bound / 100.0) / 10.0);
                r.put("queue_p99_within_bound", queue.p99() <= bound);
                if (o.perSecond() > best) {
                    best = o.perSecond();
                    bestName = name;
                }
            }
            out.put(name, r);
        }
        out.put("seq", seq);
        out.put("best", bestName);
        out.put("best_per_s", Math.round(best * 10) / 10.0);
    }

    /** Peak RSS running the PP-OCRv4 detector on a 480x640 image, 20 runs. */
    private static void ocrRss(Path model, Map<String, Object> out) {
        Samples lat = new Samples(32);
        try (Session s = Session.open(model, cpu(1));
             Tensor x = Tensor.of(Signals.uniform(3 * 480 * 640, 7), Shape.of(1, 3, 480, 640))) {
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                try (Result r = s.run(Map.of("x", x))) {
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

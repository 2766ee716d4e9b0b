package dev.javelin.builder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.TensorInfo;
import dev.javelin.runtime.exec.ExecutorOptions;
import dev.javelin.runtime.exec.Histogram;
import dev.javelin.runtime.exec.MetricsSnapshot;
import dev.javelin.runtime.exec.ModelExecutor;
import dev.javelin.runtime.exec.StreamingSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code javelin bench MODEL ...}: N concurrent clients drive a {@link ModelExecutor} (lanes, optional dynamic
 * batching) or, with {@code --stream}, one {@link StreamingSession} each; reports throughput, client latency
 * min/mean/median/p90/p99, queue vs compute time, batch sizes and peak RSS, like trtexec plus what a service
 * owner needs.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure throughput and latency under concurrent load (executor lanes, dynamic batching) or"
                + " per-frame latency of a streaming session.",
                "Inputs come from --input .npy files or are generated (floats uniform in [-1, 1), integers 1) with"
                        + " the shapes from --shapes for symbolic dimensions."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = PlanOption.MODEL_DESCRIPTION)
    Path model;

    @Mixin
    PlanOption plan;

    @Option(names = {"-b", "--backend"}, paramLabel = "BACKEND", defaultValue = "auto", converter = BackendOption.class,
            completionCandidates = BackendOption.class, description = "auto, cpu, cuda or tensorrt.")
    BackendKind backend;

    @Option(names = "--shapes", paramLabel = "NAME:DxD..", split = ",",
            description = "Concrete shapes for generated inputs, e.g. input_ids:1x16,attention_mask:1x16.")
    List<String> shapes = new ArrayList<>();

    @Option(names = {"-i", "--input"}, paramLabel = "NAME=FILE", description = "An input from a .npy file.")
    List<String> inputs = new ArrayList<>();

    @Option(names = {"-c", "--concurrency"}, paramLabel = "N", defaultValue = "1", description = "Client threads.")
    int concurrency;

    @Option(names = "--lanes", paramLabel = "N", defaultValue = "0", description = "Executor lanes (0: default).")
    int lanes;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Intra-op threads (CPU).")
    int threads;

    @Option(names = "--batching", paramLabel = "max=N,delay-us=D", description = "Dynamic batching limits.")
    String batching;

    @ArgGroup(exclusive = true)
    Length length = new Length();

    static final class Length {
        @Option(names = "--duration", paramLabel = "S", description = "Seconds to measure (default 10).")
        Double duration;

        @Option(names = "--iterations", paramLabel = "N", description = "Requests (frames) to measure, all clients.")
        Long iterations;
    }

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "1", description = "Seconds of warm-up, not measured.")
    double warmup;

    @Option(names = "--stream", paramLabel = "state=OUT=IN;..|state=auto",
            description = "Streaming mode: the first --input is cut into --frame sized frames (cycled); the other"
                    + " inputs are constants; state pairs as given or inferred.")
    String stream;

    @Option(names = "--frame", paramLabel = "N", description = "Samples per frame in --stream mode.")
    Integer frame;

    @Mixin
    Specialization specialization;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1) {
            throw new ParameterException(spec.commandLine(), "--concurrency must be >= 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        try {
            CliInputs.readAll(spec.commandLine(), "--input", inputs, feeds);
            SessionOptions options = SessionOptions.builder().backend(backend).intraOpThreads(threads).build();
            Map<String, long[]> bounds = new LinkedHashMap<>();
            givenShapes().forEach((n, sh) -> bounds.put(n, sh.dims()));
            bounds.putAll(PlanOption.shapesOf(feeds));
            Path target = PlanOption.isPlan(model) ? model : specialization.resolve(spec.commandLine(), model, out);
            try (Session session = plan.open(spec.commandLine(), target, options, bounds, out)) {
                Map<String, Object> report = stream != null ? benchStream(out, session, feeds) : benchExecutor(out, session, feeds);
                report.put("peak_rss_mib", CliInputs.peakRssMiB());
                out.printf(Locale.ROOT, "peak RSS     %.0f MiB%n", (double) report.get("peak_rss_mib"));
                if (json != null) {
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
                    out.println("wrote        " + json);
                }
            }
        } finally {
            feeds.values().forEach(Tensor::close);
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The --shapes given, by input name. */
    private Map<String, Shape> givenShapes() {
        Map<String, Shape> given = new LinkedHashMap<>();
        for (String s : shapes) {
            int colon = s.lastIndexOf(':');
            if (colon <= 0) {
                throw new ParameterException(spec.commandLine(), "--shapes '" + s + "' must be NAME:DxDxD");
            }
            String[] parts = s.substring(colon + 1).split("x");
            long[] dims = new long[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) {
                    dims[i] = Long.parseLong(parts[i].trim());
                }
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "--shapes '" + s + "': dimensions must be integers");
            }
            given.put(s.substring(0, colon), Shape.of(dims));
        }
        return given;
    }

    private void generateMissing(Session session, Map<String, Tensor> feeds, String skip, boolean onlyGiven) {
        Map<String, Shape> given = givenShapes();
        Random rnd = new Random(42);
        for (TensorInfo info : session.signature().inputs()) {
            if (feeds.containsKey(info.name()) || info.name().equals(skip)) {
                continue;
            }
            Shape shape = given.get(info.name());
            if (shape == null && onlyGiven) {
                continue; // streaming: state inputs start from zeros inside the stream
            }
            if (shape == null) {
                if (!info.isStatic()) {
                    throw new ParameterException(spec.commandLine(), "input '" + info.name() + "' " + info.shapeString()
                            + " has symbolic dimensions: give --shapes " + info.name() + ":... or --input");
                }
                shape = Shape.of(info.dims().stream().mapToLong(TensorInfo.Dim::size).toArray());
            }
            Tensor t = Tensor.allocate(info.dtype(), shape);
            ByteBuffer b = t.unsafeBuffer();
            for (long i = 0; i < shape.elementCount(); i++) {
                int k = Math.toIntExact(i);
                switch (info.dtype()) {
                    case FLOAT32 -> b.putFloat(k * 4, rnd.nextFloat() * 2 - 1);
                    case INT64 -> b.putLong(k * 8, 1);
                    case INT32 -> b.putInt(k * 4, 1);
                    case FLOAT16 -> b.putShort(k * 2, dev.javelin.runtime.Float16.fromFloat(rnd.nextFloat() * 2 - 1));
                    default -> b.put(k, (byte) 1);
                }
            }
            feeds.put(info.name(), t);
        }
    }

    private long[] plan() {
        if (length.iterations != null) {
            return new long[] {Long.MAX_VALUE / 4, length.iterations};
        }
        double seconds = length.duration != null ? length.duration : 10;
        return new long[] {(long) (seconds * 1e9), Long.MAX_VALUE};
    }

    private Map<String, Object> benchExecutor(PrintWriter out, Session session, Map<String, Tensor> feeds) throws Exception {
        generateMissing(session, feeds, null, false);
        ExecutorOptions.Builder eb = ExecutorOptions.builder().lanes(lanes).queueCapacity(Math.max(1024, concurrency * 4));
        if (batching != null) {
            int max = 0;
            long delayUs = 0;
            for (String kv : batching.split(",")) {
                String[] p = CliInputs.pair(spec.commandLine(), "--batching", kv.trim());
                try {
                    switch (p[0]) {
                        case "max" -> max = Integer.parseInt(p[1]);
                        case "delay-us" -> delayUs = Long.parseLong(p[1]);
                        default -> throw new ParameterException(spec.commandLine(), "--batching: unknown key '" + p[0]
                                + "' (max, delay-us)");
                    }
                } catch (NumberFormatException e) {
                    throw new ParameterException(spec.commandLine(), "--batching '" + kv + "': not a number");
                }
            }
            if (max < 1) {
                throw new ParameterException(spec.commandLine(), "--batching needs max=N with N >= 1");
            }
            eb.batching(max, Duration.ofNanos(delayUs * 1000));
        }
        try (ModelExecutor ex = ModelExecutor.over(session, eb.build())) {
            out.println("model        " + model + " on " + session.backend() + ": " + session.description());
            out.println("executor     " + ex.lanes() + " lanes, batching " + ex.batchingReport() + ", " + concurrency
                    + " clients");
            Runnable call = () -> ex.run(feeds).close();
            Phase warm = run(out, call, (long) (warmup * 1e9), Long.MAX_VALUE, "warm-up");
            MetricsSnapshot before = ex.metrics();
            long[] p = plan();
            Phase m = run(out, call, p[0], p[1], "measure");
            MetricsSnapshot after = ex.metrics();
            Map<String, Object> r = summary(out, m, "requests");
            long n = after.completed() - before.completed();
            Histogram.Snapshot queue = after.queue().since(before.queue());
            Histogram.Snapshot compute = after.compute().since(before.compute());
            double queueMean = queue.mean();
            double computeMean = compute.mean();
            long batches = after.batches() - before.batches();
            out.printf(Locale.ROOT, "queue time   mean %s, p99 %s per request (executor)%n", Latency.ms((long) queueMean),
                    Latency.ms(queue.p99()));
            out.printf(Locale.ROOT, "compute      mean %s, p99 %s per execution, %d executions for %d requests%n",
                    Latency.ms((long) computeMean), Latency.ms(compute.p99()), batches, n);
            Map<String, Long> dist = new LinkedHashMap<>();
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i < after.batchSizes().length; i++) {
                long c = after.batchSizes()[i] - before.batchSizes()[i];
                if (c > 0) {
                    dist.put(Integer.toString(i), c);
                    sb.append(' ').append(i).append(':').append(c);
                }
            }
            out.println("batch sizes " + sb + "  (requests merged: executions)");
            if (after.gpuTransfers()) {
                out.println("H2D/D2H      " + Latency.ms(after.h2dNanos()) + " / " + Latency.ms(after.d2hNanos()) + " total");
            }
            r.put("lanes", ex.lanes());
            r.put("batching", ex.batchingReport());
            r.put("queue_mean_ms", queueMean / 1e6);
            r.put("queue_p99_ms", queue.p99() / 1e6);
            r.put("compute_mean_ms", computeMean / 1e6);
            r.put("compute_p99_ms", compute.p99() / 1e6);
            r.put("executions", batches);
            r.put("batch_sizes", dist);
            r.put("warmup_requests", warm.count);
            return r;
        }
    }

    private Map<String, Object> benchStream(PrintWriter out, Session session, Map<String, Tensor> feeds) throws Exception {
        if (frame == null || frame <= 0) {
            throw new ParameterException(spec.commandLine(), "--stream needs --frame N (N > 0)");
        }
        if (inputs.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--stream needs the streamed signal as the first --input");
        }
        String name = CliInputs.pair(spec.commandLine(), "--input", inputs.get(0))[0];
        Tensor signal = feeds.get(name);
        Shape s = signal.shape();
        long total = s.dim(s.rank() - 1);
        if (s.elementCount() != total || total < frame) {
            throw new CliException(ExitCodes.MODEL_OR_INPUT, "--stream signal '" + name + "' must be one row of at least"
                    + " --frame samples (shape [.., T] with one row), was " + s);
        }
        Shape frameShape = s.withDim(s.rank() - 1, frame);
        for (int i = 0; i < s.rank() - 1; i++) {
            frameShape = frameShape.withDim(i, 1);
        }
        int frames = Math.toIntExact(total / frame);
        generateMissing(session, feeds, name, true);
        List<StreamingSession> streams = new ArrayList<>();
        try {
            for (int c = 0; c < concurrency; c++) {
                StreamingSession.Builder b = StreamingSession.builder(session).frame(name, frameShape);
                for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
                    if (!e.getKey().equals(name)) {
                        b.constant(e.getKey(), e.getValue());
                    }
                }
                String spec0 = stream.startsWith("state=") ? stream.substring(6) : stream;
                if (spec0.equals("auto") || spec0.isEmpty()) {
                    b.inferStates();
                } else {
                    for (String pair : spec0.split("[;,]")) {
                        String[] p = CliInputs.pair(spec.commandLine(), "--stream state", pair.trim());
                        b.state(p[0], p[1]);
                    }
                }
                streams.add(b.open());
            }
            out.println("model        " + model + " on " + session.backend() + ": " + session.description());
            out.println("stream       " + concurrency + " streams, " + frames + " frames of " + frameShape + " cycled");
            streams.get(0).report().forEach(l -> out.println("state        " + l));
            int es = signal.dtype().byteSize();
            AtomicLong next = new AtomicLong();
            List<Tensor> frameBufs = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                frameBufs.add(Tensor.allocate(signal.dtype(), frameShape));
            }
            ThreadLocal<Integer> idx = ThreadLocal.withInitial(() -> (int) next.getAndIncrement());
            ThreadLocal<long[]> pos = ThreadLocal.withInitial(() -> new long[1]);
            Runnable step = () -> {
                int c = idx.get();
                StreamingSession st = streams.get(c);
                Tensor buf = frameBufs.get(c);
                long[] f = pos.get();
                if (f[0] == frames) {
                    f[0] = 0;
                    st.reset();
                }
                buf.unsafeBuffer().put(0, signal.unsafeBuffer(), Math.toIntExact(f[0] * frame * es), frame * es);
                st.step(buf);
                f[0]++;
            };
            try {
                run(out, step, (long) (warmup * 1e9), Long.MAX_VALUE, "warm-up");
                next.set(0); // new client threads take streams 0..N-1 again, each from frame 0
                streams.forEach(StreamingSession::reset);
                long[] p = plan();
                Phase m = run(out, step, p[0], p[1], "measure");
                Map<String, Object> r = summary(out, m, "frames");
                r.put("streams", concurrency);
                r.put("state_pairs", streams.get(0).statePairs());
                return r;
            } finally {
                frameBufs.forEach(Tensor::close);
            }
        } finally {
            streams.forEach(StreamingSession::close);
        }
    }

    /** One timed phase: client latencies and the count. */
    private record Phase(Histogram latency, long count, long nanos) {
    }

    private Phase run(PrintWriter out, Runnable call, long nanos, long iterations, String label) throws Exception {
        Histogram h = new Histogram();
        AtomicLong count = new AtomicLong();
        AtomicLong tickets = new AtomicLong();
        long start = System.nanoTime();
        long end = start + nanos;
        List<Thread> clients = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < concurrency; c++) {
            Thread t = new Thread(() -> {
                try {
                    // a ticket per call, so --iterations is exact across clients
                    while (System.nanoTime() - end < 0 && tickets.getAndIncrement() < iterations) {
                        long t0 = System.nanoTime();
                        call.run();
                        h.record(System.nanoTime() - t0);
                        count.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "bench-client-" + c);
            clients.add(t);
            t.start();
        }
        long lastPrint = start;
        while (clients.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(50);
            long now = System.nanoTime();
            if (now - lastPrint >= 1_000_000_000L) {
                lastPrint = now;
                out.printf(Locale.ROOT, "\r%-8s %5.1f s  %d done  %.0f/s   ", label, (now - start) / 1e9, count.get(),
                        count.get() / ((now - start) / 1e9));
                out.flush();
            }
        }
        long took = System.nanoTime() - start;
        if (lastPrint != start) {
            out.println();
        }
        if (!errors.isEmpty()) {
            Throwable e = errors.get(0);
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e);
        }
        return new Phase(h, count.get(), took);
    }

    private static Map<String, Object> summary(PrintWriter out, Phase m, String unit) {
        Histogram.Snapshot l = m.latency().snapshot();
        double throughput = m.count() / (m.nanos() / 1e9);
        out.printf(Locale.ROOT, "throughput   %.1f %s/s (%d in %.2f s)%n", throughput, unit, m.count(), m.nanos() / 1e9);
        out.printf(Locale.ROOT, "latency      min %s, mean %s, median %s, p90 %s, p99 %s%n", Latency.ms(l.min()),
                Latency.ms((long) l.mean()), Latency.ms(l.p50()), Latency.ms(l.p90()), Latency.ms(l.p99()));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("count", m.count());
        r.put("seconds", m.nanos() / 1e9);
        r.put("throughput_per_s", throughput);
        r.put("latency_ms", Map.of("min", l.min() / 1e6, "mean", l.mean() / 1e6, "median", l.p50() / 1e6,
                "p90", l.p90() / 1e6, "p99", l.p99() / 1e6));
        return r;
    }

}

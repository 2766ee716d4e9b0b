package dev.javelin.runtime.ort;

import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.Lane;
import dev.javelin.runtime.Result;
import dev.javelin.runtime.Session;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.Shape;
import dev.javelin.runtime.Tensor;
import dev.javelin.runtime.testing.RealModels;
import dev.javelin.runtime.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A quick, reproducible measurement of the ONNX Runtime CPU backend's overheads (not a test; the
 * benchmarks module formalizes these later). Run with the runtime test class path:
 * <pre>
 *   java -cp "$(cat cp.txt)" dev.javelin.runtime.ort.OrtPerfProbe add        # per-call p50, 1 vs 2 callers
 *   java -cp "$(cat cp.txt)" dev.javelin.runtime.ort.OrtPerfProbe ocr [lane]  # PP-OCRv4 det p50 and VmHWM
 * </pre>
 * The 1-vs-2-caller figure is printed beside a pure-Java control on the same threads, since other
 * processes on a shared machine change how much CPU a second thread really gets.
 */
public final class OrtPerfProbe {
    private OrtPerfProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("ocr")) {
            ocr(args.length > 1 && args[1].equals("lane"));
        } else {
            add();
        }
    }

    static double p50Micros(long[] t) {
        long[] c = t.clone();
        Arrays.sort(c);
        return c[c.length / 2] / 1e3;
    }

    static void add() throws Exception {
        Path dir = Files.createTempDirectory("javelin-perf");
        Path model = TestModels.add(dir);
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).build();
        try (Session s = Session.open(model, cpu);
             Tensor a = Tensor.of(new float[16], Shape.of(1, 16));
             Tensor b = Tensor.of(new float[16], Shape.of(1, 16));
             Lane lane = s.newLane(Map.of("a", Shape.of(1, 16), "b", Shape.of(1, 16)))) {
            Map<String, Tensor> in = Map.of("a", a, "b", b);
            int n = 300_000;
            long[] t = new long[n];
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    lane.run();
                    t[i] = System.nanoTime() - t0;
                }
                double lanePer = p50Micros(t);
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    try (Result r = s.run(in)) {
                        r.get("c");
                    }
                    t[i] = System.nanoTime() - t0;
                }
                System.out.printf("round %d: Add 1x16 Lane.run p50 %.2f us, Session.run(Map) p50 %.2f us%n", round, lanePer, p50Micros(t));
            }
            for (int round = 0; round < 3; round++) {
                double one = throughput(s, 1);
                double two = throughput(s, 2);
                double control = control(2) / control(1);
                System.out.printf("run(Map) calls/s: 1 caller %.0f, 2 callers %.0f -> x%.2f (pure-Java control x%.2f)%n",
                        one, two, two / one, control);
            }
        }
    }

    static double throughput(Session s, int threads) throws Exception {
        long dur = 2_000_000_000L;
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Long>> fs = new ArrayList<>();
        for (int k = 0; k < threads; k++) {
            fs.add(ex.submit(() -> {
                try (Tensor x = Tensor.of(new float[16], Shape.of(1, 16)); Tensor y = Tensor.of(new float[16], Shape.of(1, 16))) {
                    Map<String, Tensor> m = Map.of("a", x, "b", y);
                    go.await();
                    long end = System.nanoTime() + dur;
                    long calls = 0;
                    while (System.nanoTime() < end) {
                        try (Result r = s.run(m)) {
                            calls += r.size();
                        }
                    }
                    return calls;
                }
            }));
        }
        go.countDown();
        long total = 0;
        for (Future<Long> f : fs) {
            total += f.get();
        }
        ex.shutdown();
        return total / (dur / 1e9);
    }

    static double control(int threads) throws Exception {
        long dur = 500_000_000L;
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        List<Future<Long>> fs = new ArrayList<>();
        for (int k = 0; k < threads; k++) {
            fs.add(ex.submit(() -> {
                long end = System.nanoTime() + dur;
                long n = 0;
                double x = 1;
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 200; i++) {
                        x = Math.sqrt(x + i);
                    }
                    n++;
                }
                return n + (x < 0 ? 1 : 0);
            }));
        }
        long total = 0;
        for (Future<Long> f : fs) {
            total += f.get();
        }
        ex.shutdown();
        return total;
    }

    static long statusKiB(String key) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith(key)) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static void ocr(boolean useLane) throws Exception {
        Path model = RealModels.path("ppocr_det.onnx");
        SessionOptions cpu = SessionOptions.builder().backend(BackendKind.CPU).intraOpThreads(1).build();
        float[] x = new float[3 * 480 * 640];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.001);
        }
        long[] t = new long[10];
        try (Session s = Session.open(model, cpu); Tensor in = Tensor.of(x, Shape.of(1, 3, 480, 640))) {
            String out = s.signature().outputNames().get(0);
            Lane lane = useLane ? s.newLane(Map.of("x", Shape.of(1, 3, 480, 640))) : null;
            if (lane != null) {
                lane.input("x").buffer().asFloatBuffer().put(x);
            }
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                if (lane != null) {
                    lane.run();
                } else {
                    try (Result r = s.run(Map.of("x", in))) {
                        r.get(out);
                    }
                }
                t[i] = System.nanoTime() - t0;
            }
        }
        System.out.printf("PP-OCRv4 det 1x3x480x640, 1 intra-op thread, %s: p50 %.1f ms, VmHWM %d MiB%n",
                useLane ? "lane" : "run(Map)", p50Micros(t) / 1e3, statusKiB("VmHWM:") / 1024);
    }
}

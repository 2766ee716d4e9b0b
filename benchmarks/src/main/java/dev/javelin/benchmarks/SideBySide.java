package dev.javelin.benchmarks;

import dev.javelin.builder.demo.CacheDir;
import dev.javelin.builder.demo.SentenceEmbedder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Runs each scenario in two fresh JVMs, Javelin and the official ONNX Runtime Java API, alternating
 * rounds so both sides share the machine's noise, and prints every result line. The two sides cannot
 * share a JVM: both load {@code libonnxruntime.so.1}.
 *
 * <p>Usage: {@code SideBySide CLASSPATH_FILE MODELS_DIR [ROUNDS] [SCENARIO...]}; see {@code benchmarks/run.sh}.
 */
public final class SideBySide {
    private static final Pattern VAD = Pattern.compile("\"(lane_copy|stream|stream_specialized|stream_shapes|stream_auto)\":\\{\"count\":\\d+,\"p50_us\":([0-9.]+)");
    private static final Pattern INT8 = Pattern.compile("\"(seq\\d+_thr\\d+)\":\\{\"fp32_p50_ms\":([0-9.]+),\"int8_p50_ms\":([0-9.]+),\"speedup\":([0-9.]+)");
    private static final Pattern OFFICIAL_VAD = Pattern.compile("\"per_frame\":\\{\"count\":\\d+,\"p50_us\":([0-9.]+)");

    private SideBySide() {
    }

    public static void main(String[] args) throws Exception {
        Path classpathFile = Path.of(args[0]);
        Path models = Path.of(args[1]);
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        List<String> scenarios = args.length > 3 ? Arrays.asList(args).subList(3, args.length)
                : List.of("add-call", "add-threads", "vad", "ocr-rss", "minilm-16", "minilm-128", "minilm-int8");

        String classes = Path.of(SideBySide.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> jars = Arrays.asList(Files.readString(classpathFile).trim().split(java.io.File.pathSeparator));
        // The official jar lives under com/microsoft/onnxruntime in the local repository.
        String officialCp = classes + java.io.File.pathSeparator + jars.stream()
                .filter(j -> j.contains("com/microsoft/onnxruntime")).collect(Collectors.joining(java.io.File.pathSeparator));
        String javelinCp = classes + java.io.File.pathSeparator + jars.stream()
                .filter(j -> !j.contains("com/microsoft/onnxruntime")).collect(Collectors.joining(java.io.File.pathSeparator));

        Path add = models.resolve("add_1x16.onnx");
        if (!Files.exists(add)) {
            AddModel.write(add);
        }
        List<String> results = new ArrayList<>();
        for (String scenario : scenarios) {
            String model = switch (scenario) {
                case "add-call", "add-threads" -> add.toString();
                case "vad" -> models.resolve("silero_vad.onnx").toString();
                case "ocr-rss" -> models.resolve("ppocr_det.onnx").toString();
                // The official child JVM gets no Javelin jars, so the class-path model goes to a file first.
                case "minilm-16", "minilm-128" -> CacheDir.materialize(SideBySide.class.getClassLoader(),
                        SentenceEmbedder.MODEL_RESOURCE, models.resolve("minilm")).toString();
                // Both models, FP32 then INT8 (quantized here by the current builder), in one argument.
                case "minilm-int8" -> {
                    Path fp32 = CacheDir.materialize(SideBySide.class.getClassLoader(), SentenceEmbedder.MODEL_RESOURCE,
                            models.resolve("minilm"));
                    Path int8 = MiniLmInt8.build(fp32, models.resolve("minilm-int8").resolve("all-minilm-l6-v2.int8.onnx"),
                            models.resolve("javelin-cache"));
                    yield fp32 + java.io.File.pathSeparator + int8;
                }
                default -> throw new IllegalArgumentException("unknown scenario " + scenario);
            };
            for (int r = 0; r < rounds; r++) {
                results.add(child(javelinCp, JavelinHarness.class.getName(), scenario, model));
                results.add(child(officialCp, "dev.javelin.benchmarks.peer.OfficialOrtHarness", scenario, model));
            }
        }
        System.out.println();
        results.forEach(System.out::println);
        // Throughput ratios of the best configuration of each side, round by round.
        Pattern best = Pattern.compile("\"scenario\":\"(minilm-\\d+)\".*\"best\":\"([^\"]+)\",\"best_per_s\":([0-9.]+)");
        for (int i = 0; i + 1 < results.size(); i += 2) {
            Matcher j = best.matcher(results.get(i));
            Matcher o = best.matcher(results.get(i + 1));
            if (j.find() && o.find()) {
                System.out.printf(Locale.ROOT, "%s: javelin %s %s/s vs official %s %s/s = %.2fx%n", j.group(1), j.group(2),
                        j.group(3), o.group(2), o.group(3), Double.parseDouble(j.group(3)) / Double.parseDouble(o.group(3)));
            }
            if (results.get(i).contains("\"scenario\":\"minilm-int8\"")) {
                Matcher ji = INT8.matcher(results.get(i));
                Matcher oi = INT8.matcher(results.get(i + 1));
                while (ji.find() && oi.find()) {
                    System.out.printf(Locale.ROOT, "minilm-int8 %s: javelin fp32 %s ms, int8 %s ms = %sx; official fp32 %s ms,"
                            + " int8 %s ms = %sx%n", ji.group(1), ji.group(2), ji.group(3), ji.group(4), oi.group(2),
                            oi.group(3), oi.group(4));
                }
            }
            if (results.get(i).contains("\"scenario\":\"add-threads\"")) {
                System.out.println("add-threads 2/1 callers: javelin " + scalings(results.get(i)) + "; official "
                        + scalings(results.get(i + 1)));
            }
            Matcher jv = VAD.matcher(results.get(i));
            Matcher ov = OFFICIAL_VAD.matcher(results.get(i + 1));
            if (results.get(i).contains("\"scenario\":\"vad\"") && ov.find()) {
                double official = Double.parseDouble(ov.group(1));
                StringBuilder sb = new StringBuilder("vad per-frame p50: official " + ov.group(1) + " us");
                while (jv.find()) {
                    sb.append(String.format(Locale.ROOT, "; %s %s us = %.2fx", jv.group(1), jv.group(2),
                            Double.parseDouble(jv.group(2)) / official));
                }
                System.out.println(sb);
            }
        }
    }

    private static String child(String classpath, String main, String scenario, String model) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx1g", "-XX:+UseParallelGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", classpath, main, scenario, model);
        System.err.printf("running %s %s ...%n", main.substring(main.lastIndexOf('.') + 1), scenario);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String result = null;
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("RESULT ")) {
                    result = line.substring(7);
                } else {
                    log.append(line).append('\n');
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || result == null) {
            throw new IllegalStateException(main + " " + scenario + " failed (exit " + code + "):\n" + log);
        }
        return result;
    }

    private static final Pattern SEQUENTIAL = Pattern.compile("\"((?:lane_|default_)?scaling_2_over_1)\":([0-9.]+)");
    private static final Pattern ALTERNATING = Pattern.compile(
            "\"((?:lane_|default_)?alternating)\":\\{[^}]*\"scaling_median\":([0-9.]+),\"scaling_min\":([0-9.]+),\"scaling_max\":([0-9.]+)");

    /** An add-threads line's ratios: each sequential one, then each alternating median with its range. */
    private static String scalings(String line) {
        StringBuilder sb = new StringBuilder();
        Matcher m = SEQUENTIAL.matcher(line);
        while (m.find()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(m.group(1)).append(' ').append(m.group(2));
        }
        m = ALTERNATING.matcher(line);
        while (m.find()) {
            sb.append(", ").append(m.group(1)).append(" median ").append(m.group(2)).append(" (")
                    .append(m.group(3)).append('-').append(m.group(4)).append(')');
        }
        return sb.toString();
    }
}

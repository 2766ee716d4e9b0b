import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds Javelin's CUDA kernels during the Maven build (run by exec-maven-plugin in generate-resources with
 * the JDK's single-file source launcher, so it needs nothing but the JDK):
 *
 * <ul>
 *   <li>every {@code src/main/cuda/*.cu} becomes one fatbin with SASS for each target architecture (each from
 *       its own front-end pass) and PTX for the oldest, written as a class-path resource
 *       {@code dev/javelin/kernels/<name>.fatbin};</li>
 *   <li>{@code ptxas -v} figures (registers, spills, stack, static shared memory per kernel and architecture)
 *       and the PTX entry signatures ({@code .param} list, {@code .maxntid}) go into
 *       {@code dev/javelin/kernels/kernels.json} and a table in the build log;</li>
 *   <li>a compile error (nvcc or ptxas) fails the build with the compiler's output;</li>
 *   <li>sources are rebuilt only when they, a header, the flags or nvcc change (a stamp per source);</li>
 *   <li>without nvcc the build still succeeds: one warning, no fatbins, and kernels.json records why, so the
 *       run time can say it (and try NVRTC).</li>
 * </ul>
 *
 * Arguments: {@code SRC_DIR RESOURCE_DIR WORK_DIR ARCHS PTX_ARCH NVCC THREADS}; ARCHS like
 * {@code 75,80,86}; NVCC a path, empty (search CUDA_HOME, PATH, /usr/local/cuda) or {@code none} (act as if
 * absent).
 */
public final class BuildKernels {
    private static final String RESOURCE_PREFIX = "dev/javelin/kernels/";
    private static final Pattern ENTRY = Pattern.compile("Compiling entry function '([^']+)' for '(sm_\\d+[a-z]?)'");
    private static final Pattern PROPS = Pattern.compile(
            "(\\d+) bytes stack frame, (\\d+) bytes spill stores, (\\d+) bytes spill loads");
    private static final Pattern USED = Pattern.compile("Used (\\d+) registers(?:, used (\\d+) barriers)?(?:, (\\d+) bytes smem)?");
    private static final Pattern PTX_ENTRY = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)\\s*(\\.maxntid (\\d+), (\\d+), (\\d+))?",
            Pattern.DOTALL);
    private static final Pattern PTX_PARAM = Pattern.compile(
            "\\.param (?:\\.align (\\d+) )?\\.(u64|u32|s32|s64|f32|f64|b8|b16|b32|b64)(?: \\.ptr(?: \\.\\w+)*)? \\w+?(?:\\[(\\d+)])?\\s*(?:,|$)");

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: BuildKernels SRC_DIR RESOURCE_DIR WORK_DIR ARCHS PTX_ARCH NVCC THREADS");
            System.exit(2);
        }
        Path src = Path.of(args[0]);
        Path resources = Path.of(args[1]);
        Path work = Path.of(args[2]);
        List<String> archs = List.of(args[3].split(","));
        String ptxArch = args[4];
        String nvccArg = args[5].trim();
        int threads = Math.max(1, Integer.parseInt(args[6]));
        Path out = resources.resolve(RESOURCE_PREFIX);
        Files.createDirectories(out);
        Files.createDirectories(work);

        List<Path> sources;
        try (Stream<Path> s = Files.list(src)) {
            sources = s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
        String headers = headerText(src);

        List<String> searched = new ArrayList<>();
        Path nvcc = findNvcc(nvccArg, searched);
        if (nvcc == null) {
            String reason = nvccArg.equals("none")
                    ? "the build was told not to use nvcc (-Djavelin.nvcc=none)"
                    : "nvcc was not found at build time (looked in " + String.join(", ", searched) + ")";
            System.out.println("[WARNING] Javelin kernels: " + reason + "; building without CUDA fatbins. At run time "
                    + "the kernels are compiled with NVRTC where available, else reported unavailable. Install the CUDA "
                    + "toolkit (nvcc 13.0+, the first with sm_110) or pass -Djavelin.nvcc=/path/to/nvcc to build them.");
            // Stale fatbins from an earlier build with nvcc must not be shipped next to a "none" manifest.
            try (Stream<Path> s = Files.list(out)) {
                for (Path p : s.filter(p -> p.toString().endsWith(".fatbin")).toList()) {
                    Files.delete(p);
                }
            }
            writeJson(out.resolve("kernels.json"), unavailableJson(reason, sources, headers));
            return;
        }
        String version = nvccVersion(nvcc);
        List<String> flags = new ArrayList<>(List.of("-O3", "-std=c++17", "-Xptxas", "-v"));
        for (String a : archs) {
            flags.add("-gencode");
            flags.add("arch=compute_" + a + ",code=sm_" + a);
        }
        flags.add("-gencode");
        flags.add("arch=compute_" + ptxArch + ",code=compute_" + ptxArch);

        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        Map<String, Future<Built>> futures = new LinkedHashMap<>();
        for (Path s : sources) {
            futures.put(name(s), pool.submit(() -> build(nvcc, version, flags, ptxArch, s, headers, work, out)));
        }
        pool.shutdown();
        Map<String, Built> built = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Future<Built>> e : futures.entrySet()) {
            try {
                built.put(e.getKey(), e.getValue().get());
            } catch (java.util.concurrent.ExecutionException x) {
                failures.add(x.getCause().getMessage());
            }
        }
        pool.awaitTermination(1, TimeUnit.MINUTES);
        if (!failures.isEmpty()) {
            System.err.println(String.join("\n\n", failures));
            System.exit(1);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        writeJson(out.resolve("kernels.json"), json(version, archs, ptxArch, flags, built, headers));
        printTable(built, archs, version, seconds);
    }

    /** One compiled source. */
    record Built(String name, Path fatbin, String sourceSha256, long fatbinBytes, boolean cached,
                 Map<String, Entry> entries) {
    }

    /** One kernel: its PTX signature and the ptxas figures per architecture. */
    record Entry(String name, List<String> params, int[] maxThreads, Map<String, int[]> sass) {
    }

    private static Built build(Path nvcc, String version, List<String> flags, String ptxArch, Path source, String headers,
                               Path work, Path out) throws IOException, InterruptedException {
        String name = name(source);
        String text = Files.readString(source);
        String sourceHash = sha256(text + "\0" + headers);
        String key = sha256(version + "\0" + String.join(" ", flags) + "\0" + sourceHash);
        Path stamp = work.resolve(name + ".stamp");
        Path fatbin = work.resolve(name + ".fatbin");
        Path ptx = work.resolve(name + ".ptx");
        Path log = work.resolve(name + ".ptxas.log");
        boolean cached = Files.exists(stamp) && Files.readString(stamp).equals(key) && Files.exists(fatbin)
                && Files.exists(ptx) && Files.exists(log);
        if (!cached) {
            Files.deleteIfExists(stamp);
            List<String> cmd = new ArrayList<>(List.of(nvcc.toString(), "-fatbin"));
            cmd.addAll(flags);
            cmd.addAll(List.of("-o", fatbin.toString(), source.toString()));
            String ptxasLog = run(cmd, name);
            run(List.of(nvcc.toString(), "-ptx", "-O3", "-std=c++17", "-arch=compute_" + ptxArch, "-o", ptx.toString(),
                    source.toString()), name);
            Files.writeString(log, ptxasLog);
            Files.writeString(stamp, key);
        }
        Path resource = out.resolve(name + ".fatbin");
        Files.copy(fatbin, resource, StandardCopyOption.REPLACE_EXISTING);
        Map<String, Entry> entries = parsePtx(Files.readString(ptx));
        parsePtxas(Files.readString(log), entries, name);
        return new Built(name, resource, sourceHash, Files.size(resource), cached, entries);
    }

    private static String run(List<String> cmd, String name) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("nvcc timed out on " + name);
        }
        if (p.exitValue() != 0) {
            throw new IOException("[ERROR] Javelin kernels: compiling " + name + ".cu failed (exit " + p.exitValue() + "):\n"
                    + String.join(" ", cmd) + "\n" + output);
        }
        return output;
    }

    static Map<String, Entry> parsePtx(String ptx) {
        Map<String, Entry> entries = new TreeMap<>();
        Matcher m = PTX_ENTRY.matcher(ptx);
        while (m.find()) {
            List<String> params = new ArrayList<>();
            for (String line : m.group(2).split("\n")) {
                String l = line.trim();
                if (l.isEmpty()) {
                    continue;
                }
                Matcher pm = PTX_PARAM.matcher(l);
                if (!pm.find()) {
                    throw new IllegalStateException("unrecognised PTX parameter of " + m.group(1) + ": " + l);
                }
                params.add(pm.group(3) == null ? pm.group(2) : pm.group(2) + "[" + pm.group(3) + "]:align" + pm.group(1));
            }
            int[] maxThreads = m.group(3) == null ? null
                    : new int[] {Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6))};
            entries.put(m.group(1), new Entry(m.group(1), params, maxThreads, new TreeMap<>()));
        }
        return entries;
    }

    /** Reads the ptxas -v output: per entry and architecture {registers, stack, spill stores, spill loads, smem, barriers}. */
    static void parsePtxas(String log, Map<String, Entry> entries, String source) {
        String entry = null;
        String arch = null;
        int[] figures = null;
        for (String line : log.split("\n")) {
            Matcher e = ENTRY.matcher(line);
            if (e.find()) {
                entry = e.group(1);
                arch = e.group(2);
                figures = new int[6];
                Entry k = entries.get(entry);
                if (k == null) {
                    throw new IllegalStateException(source + ": ptxas compiled " + entry + ", which the PTX does not declare");
                }
                k.sass().put(arch, figures);
                continue;
            }
            if (figures == null) {
                continue;
            }
            Matcher p = PROPS.matcher(line);
            if (p.find()) {
                figures[1] = Integer.parseInt(p.group(1));
                figures[2] = Integer.parseInt(p.group(2));
                figures[3] = Integer.parseInt(p.group(3));
            }
            Matcher u = USED.matcher(line);
            if (u.find()) {
                figures[0] = Integer.parseInt(u.group(1));
                figures[5] = u.group(2) == null ? 0 : Integer.parseInt(u.group(2));
                figures[4] = u.group(3) == null ? 0 : Integer.parseInt(u.group(3));
            }
        }
    }

    private static Path findNvcc(String arg, List<String> searched) {
        if (arg.equals("none")) {
            return null;
        }
        if (!arg.isEmpty()) {
            searched.add(arg);
            return Files.isExecutable(Path.of(arg)) ? Path.of(arg) : null;
        }
        List<Path> candidates = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        if (home != null && !home.isBlank()) {
            candidates.add(Path.of(home, "bin", "nvcc"));
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir, "nvcc"));
                }
            }
        }
        candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
        for (Path c : candidates) {
            if (Files.isExecutable(c)) {
                return c;
            }
        }
        searched.add("$CUDA_HOME/bin");
        searched.add("PATH");
        searched.add("/usr/local/cuda/bin");
        return null;
    }

    private static String nvccVersion(Path nvcc) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(nvcc.toString(), "--version").redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Matcher m = Pattern.compile("V(\\d+\\.\\d+\\.\\d+)").matcher(text);
        return m.find() ? m.group(1) : "unknown";
    }

    private static String headerText(Path src) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(src)) {
            for (Path h : s.filter(p -> p.toString().endsWith(".cuh")).sorted().toList()) {
                sb.append(h.getFileName()).append('\0').append(Files.readString(h)).append('\0');
            }
        }
        return sb.toString();
    }

    private static String name(Path source) {
        String f = source.getFileName().toString();
        return f.substring(0, f.length() - 3);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // kernels.json (written by hand: the build step has no libraries).

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String unavailableJson(String reason, List<Path> sources, String headers) throws IOException {
        StringBuilder sb = new StringBuilder("{\n  \"schema\": 1,\n  \"fatbins\": false,\n  \"reason\": ").append(q(reason))
                .append(",\n  \"sources\": {");
        for (int i = 0; i < sources.size(); i++) {
            Path s = sources.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    ").append(q(name(s))).append(": {\"sha256\": ")
                    .append(q(sha256(Files.readString(s) + "\0" + headers))).append('}');
        }
        return sb.append("\n  }\n}\n").toString();
    }

    private static String json(String version, List<String> archs, String ptxArch, List<String> flags, Map<String, Built> built,
                               String headers) {
        StringBuilder sb = new StringBuilder("{\n  \"schema\": 1,\n  \"fatbins\": true,\n");
        sb.append("  \"nvcc\": ").append(q(version)).append(",\n");
        sb.append("  \"sass\": [").append(String.join(", ", archs.stream().map(a -> q("sm_" + a)).toList())).append("],\n");
        sb.append("  \"ptx\": ").append(q("compute_" + ptxArch)).append(",\n");
        sb.append("  \"flags\": ").append(q(String.join(" ", flags))).append(",\n");
        sb.append("  \"sources\": {");
        int i = 0;
        for (Built b : built.values()) {
            sb.append(i++ == 0 ? "\n" : ",\n").append("    ").append(q(b.name())).append(": {\"fatbin\": ")
                    .append(q(RESOURCE_PREFIX + b.name() + ".fatbin")).append(", \"bytes\": ").append(b.fatbinBytes())
                    .append(", \"sha256\": ").append(q(b.sourceSha256())).append('}');
        }
        sb.append("\n  },\n  \"kernels\": {");
        i = 0;
        for (Built b : built.values()) {
            for (Entry e : b.entries().values()) {
                sb.append(i++ == 0 ? "\n" : ",\n").append("    ").append(q(e.name())).append(": {\"source\": ").append(q(b.name()));
                sb.append(", \"params\": [").append(String.join(", ", e.params().stream().map(BuildKernels::q).toList())).append(']');
                if (e.maxThreads() != null) {
                    sb.append(", \"maxThreads\": ").append(e.maxThreads()[0] * e.maxThreads()[1] * e.maxThreads()[2]);
                }
                sb.append(", \"sass\": {");
                int j = 0;
                for (Map.Entry<String, int[]> s : e.sass().entrySet()) {
                    int[] f = s.getValue();
                    sb.append(j++ == 0 ? "" : ", ").append(q(s.getKey())).append(": {\"registers\": ").append(f[0])
                            .append(", \"stackBytes\": ").append(f[1]).append(", \"spillStoreBytes\": ").append(f[2])
                            .append(", \"spillLoadBytes\": ").append(f[3]).append(", \"sharedBytes\": ").append(f[4])
                            .append(", \"barriers\": ").append(f[5]).append('}');
                }
                sb.append("}}");
            }
        }
        return sb.append("\n  }\n}\n").toString();
    }

    private static void writeJson(Path file, String text) throws IOException {
        if (!Files.exists(file) || !Files.readString(file).equals(text)) {
            Files.writeString(file, text);
        }
    }

    private static void printTable(Map<String, Built> built, List<String> archs, String version, double seconds) {
        long cached = built.values().stream().filter(Built::cached).count();
        System.out.printf("[INFO] Javelin kernels: nvcc %s, SASS %s + PTX; %d source(s), %d unchanged, %.1f s%n", version,
                String.join(",", archs.stream().map(a -> "sm_" + a).toList()), built.size(), cached, seconds);
        if (cached == built.size()) {
            return;  // the table was printed when they were built; target/kernels-build has the logs
        }
        System.out.printf("[INFO]   %-20s %-18s %10s %8s %7s %9s %7s%n", "kernel", "source", "registers", "spills",
                "stack", "smem (B)", "max thr");
        for (Built b : built.values()) {
            for (Entry e : b.entries().values()) {
                int minR = Integer.MAX_VALUE, maxR = 0, spills = 0, stack = 0, smem = 0;
                for (int[] f : e.sass().values()) {
                    minR = Math.min(minR, f[0]);
                    maxR = Math.max(maxR, f[0]);
                    spills = Math.max(spills, f[2] + f[3]);
                    stack = Math.max(stack, f[1]);
                    smem = Math.max(smem, f[4]);
                }
                String regs = minR == maxR ? String.valueOf(minR) : minR + "-" + maxR;
                int mt = e.maxThreads() == null ? 1024 : e.maxThreads()[0] * e.maxThreads()[1] * e.maxThreads()[2];
                System.out.printf("[INFO]   %-20s %-18s %10s %8d %7d %9d %7d%n", e.name(), b.name(), regs, spills, stack, smem, mt);
            }
        }
    }
}

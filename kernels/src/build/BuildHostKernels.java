import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Builds the host build of Javelin's kernels during the Maven build (exec-maven-plugin, generate-resources, the
 * JDK's single-file launcher): {@code src/main/host/kernels_host.cpp} with {@code jk_host_prelude.hpp}
 * force-included and every {@code src/main/cuda/*.cu} included, compiled by g++ into a shared library written as
 * the class-path resource {@code dev/javelin/kernels/host/<platform>/libjavelin_kernels_host.so}. The runtime's
 * CPU emulation of partition plans runs kernel nodes on it (through JNA in the bindings module).
 *
 * <ul>
 *   <li>{@code dev/javelin/kernels/host/host.json} records the platform, the compiler and its flags, or why there
 *       is no library, so the run time can say it;</li>
 *   <li>a compile error fails the build with g++'s output;</li>
 *   <li>unchanged inputs are not rebuilt (a stamp over the sources, the flags and the g++ version);</li>
 *   <li>without g++ the build still succeeds: one warning, no library, and host.json says why.</li>
 * </ul>
 *
 * Arguments: {@code CUDA_SRC_DIR HOST_SRC_DIR RESOURCE_DIR WORK_DIR GXX}; GXX a path, empty (search PATH) or
 * {@code none} (act as if absent).
 */
public final class BuildHostKernels {
    private static final String RESOURCE_DIR = "dev/javelin/kernels/host/";
    private static final String LIBRARY = "libjavelin_kernels_host.so";
    private static final List<String> FLAGS = List.of("-std=c++20", "-O2", "-shared", "-fPIC", "-pthread", "-Wall", "-Werror");

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: BuildHostKernels CUDA_SRC_DIR HOST_SRC_DIR RESOURCE_DIR WORK_DIR GXX");
            System.exit(2);
        }
        Path cuda = Path.of(args[0]);
        Path host = Path.of(args[1]);
        Path resources = Path.of(args[2]).resolve(RESOURCE_DIR);
        Path work = Path.of(args[3]);
        String gxxArg = args[4].trim();
        String platform = platform();
        Path out = resources.resolve(platform).resolve(LIBRARY);
        Files.createDirectories(out.getParent());
        Files.createDirectories(work);

        List<String> searched = new ArrayList<>();
        Path gxx = findGxx(gxxArg, searched);
        if (gxx == null) {
            String reason = gxxArg.equals("none") ? "the build was told not to use g++ (-Djavelin.gxx=none)"
                    : "g++ was not found at build time (looked in " + String.join(", ", searched) + ")";
            System.out.println("[WARNING] Javelin kernels: " + reason + "; building without the host build of the kernels. "
                    + "The CPU emulation of partition plans (--emulate-plan) then reports kernel nodes unavailable; install "
                    + "g++ 11+ (C++20 <barrier>) or pass -Djavelin.gxx=/path/to/g++ to build it.");
            Files.deleteIfExists(out);
            Files.writeString(resources.resolve("host.json"), "{\n  \"schema\": 1,\n  \"built\": false,\n  \"reason\": "
                    + q(reason) + "\n}\n");
            return;
        }
        String version = firstLine(run(List.of(gxx.toString(), "--version")));
        Path source = host.resolve("kernels_host.cpp");
        Path prelude = host.resolve("jk_host_prelude.hpp");
        List<String> cmd = new ArrayList<>();
        cmd.add(gxx.toString());
        cmd.addAll(FLAGS);
        cmd.addAll(List.of("-I" + cuda, "-include", prelude.toString(), "-o", work.resolve(LIBRARY).toString(), source.toString()));

        String stamp = sha256(inputsText(cuda, host) + "\u0000" + String.join(" ", FLAGS) + "\u0000" + version);
        Path stampFile = work.resolve(LIBRARY + ".stamp");
        boolean cached = Files.exists(out) && Files.exists(stampFile) && Files.readString(stampFile).equals(stamp);
        long start = System.nanoTime();
        if (!cached) {
            run(cmd);
            Files.copy(work.resolve(LIBRARY), out, StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(stampFile, stamp);
        }
        String json = "{\n  \"schema\": 1,\n  \"built\": true,\n  \"platform\": " + q(platform) + ",\n  \"library\": "
                + q(RESOURCE_DIR + platform + "/" + LIBRARY) + ",\n  \"compiler\": " + q(version) + ",\n  \"flags\": "
                + q(String.join(" ", FLAGS)) + ",\n  \"sha256\": " + q(sha256(Files.readAllBytes(out))) + "\n}\n";
        Files.writeString(resources.resolve("host.json"), json);
        System.out.printf(Locale.ROOT, "[INFO] Javelin kernels: host build %s (%s, %d KiB, %s)%n", RESOURCE_DIR + platform + "/" + LIBRARY,
                version, Files.size(out) / 1024, cached ? "unchanged" : String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9));
    }

    /**
     * {@code linux-x86_64}, {@code linux-aarch64}: the JVM's os.name and os.arch, as the run time computes it. A copy of
     * HostKernels.platform(), which must stay identical: this script runs as a single-file source program before the
     * kernels module is compiled, so it cannot call that method (nor share helpers with BuildKernels.java).
     */
    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "");
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        if (arch.equals("amd64")) {
            arch = "x86_64";
        } else if (arch.equals("arm64")) {
            arch = "aarch64";
        }
        return os + "-" + arch;
    }

    private static Path findGxx(String arg, List<String> searched) {
        if (arg.equals("none")) {
            return null;
        }
        if (!arg.isEmpty()) {
            searched.add(arg);
            return Files.isExecutable(Path.of(arg)) ? Path.of(arg) : null;
        }
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, "g++");
            searched.add(p.toString());
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Every source the library is made of (the .cu/.cuh sources and the host files), with their names. */
    private static String inputsText(Path cuda, Path host) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path dir : List.of(cuda, host)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    sb.append(p.getFileName()).append('\u0000').append(Files.readString(p)).append('\u0000');
                }
            }
        }
        return sb.toString();
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " timed out");
        }
        if (p.exitValue() != 0) {
            System.err.println("[ERROR] Javelin kernels: the host build failed:\n" + String.join(" ", cmd) + "\n" + log);
            System.exit(1);
        }
        return log;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    private static String sha256(String s) {
        return sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}

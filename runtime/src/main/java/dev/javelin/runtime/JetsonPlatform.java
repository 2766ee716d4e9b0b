package dev.javelin.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Jetson board runs, read from plain files (so fixtures test it), and whether the native stack this
 * build of Javelin was compiled against fits it.
 *
 * <p>Sources: {@code /etc/nv_tegra_release} (the L4T release), the dpkg database
 * ({@code /var/lib/dpkg/status}: {@code nvidia-l4t-core}, {@code nvidia-jetpack}, the CUDA runtime, TensorRT and
 * cuDNN packages JetPack installs), and {@code /usr/local/cuda/version.json} when CUDA was not installed by dpkg.
 * The L4T-to-JetPack table is NVIDIA's JetPack release history.
 */
final class JetsonPlatform {
    /** The two native lines a build can be compiled for (see {@code NativeStackLine} in bindings). */
    static final String LINE_DEFAULT = "cuda13";
    static final String LINE_JETPACK6 = "jetpack6";

    private JetsonPlatform() {
    }

    /**
     * One JetPack release.
     *
     * @param jetPack  JetPack version, e.g. {@code 6.2}
     * @param cuda     CUDA version it ships, e.g. {@code 12.6}
     * @param tensorRt TensorRT version it ships, e.g. {@code 10.3}, or {@code null} when not fixed here
     * @param line     the native line that fits it ({@link #LINE_JETPACK6}, {@link #LINE_DEFAULT}), or {@code null} if none
     */
    record Release(String jetPack, String cuda, String tensorRt, String line) {
    }

    /**
     * The JetPack release of an L4T version ({@code major.minor.patch}), or {@code null} if the version is not
     * one Javelin knows. L4T r36.4.x all ship CUDA 12.6 and TensorRT 10.3 (JetPack 6.1, 6.2, 6.2.1); r36.2/r36.3
     * (JetPack 6.0) ship CUDA 12.2 and TensorRT 8.6; r38 (JetPack 7, Jetson Thor) ships CUDA 13.0.
     */
    static Release release(String l4t) {
        int[] v = parseVersion(l4t);
        if (v == null) {
            return null;
        }
        int major = v[0];
        int minor = v[1];
        int patch = v[2];
        return switch (major) {
            case 32 -> new Release("4.x", "10.2", "8.x", null);
            case 34, 35 -> new Release("5.x", "11.4", "8.5", null);
            case 36 -> switch (minor) {
                case 2 -> new Release("6.0 DP", "12.2", "8.6", null);
                case 3 -> new Release("6.0", "12.2", "8.6", null);
                case 4 -> new Release(patch <= 2 ? "6.1" : patch == 3 ? "6.2" : "6.2.1", "12.6", "10.3", LINE_JETPACK6);
                default -> minor > 4 ? new Release("6.x", null, null, LINE_JETPACK6) : null;
            };
            case 38 -> switch (minor) {
                case 2 -> new Release("7.0", "13.0", null, LINE_DEFAULT);
                case 4 -> new Release("7.1", "13.0", null, LINE_DEFAULT);
                default -> new Release("7.x", "13", null, LINE_DEFAULT);
            };
            default -> null;
        };
    }

    /** {@code 36.4.3-20250107174145} or {@code 36.4.3} gives {3, ...}: major, minor, patch; {@code null} if not a version. */
    static int[] parseVersion(String version) {
        if (version == null) {
            return null;
        }
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?").matcher(version.trim());
        if (!m.find()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3))};
    }

    /**
     * The installed versions of the named packages in a dpkg status file ({@code Package:} / {@code Status:} /
     * {@code Version:} stanzas); packages that are absent or not fully installed are left out.
     */
    static Map<String, String> dpkgVersions(String status, Set<String> packages) {
        Map<String, String> found = new LinkedHashMap<>();
        if (status == null) {
            return found;
        }
        for (String stanza : status.split("\\R\\s*\\R")) {
            String name = null;
            String version = null;
            boolean installed = false;
            for (String line : stanza.split("\\R")) {
                if (line.startsWith("Package: ")) {
                    name = line.substring(9).trim();
                } else if (line.startsWith("Version: ")) {
                    version = line.substring(9).trim();
                } else if (line.startsWith("Status: ")) {
                    installed = line.trim().endsWith(" installed");
                }
            }
            if (name != null && version != null && installed && packages.contains(name)) {
                found.put(name, version);
            }
        }
        return found;
    }

    private static final Pattern CUDART_PACKAGE = Pattern.compile("cuda-cudart-(\\d+)-(\\d+)");

    /** The dpkg packages whose versions the doctor reports. */
    static boolean interesting(String name) {
        return name.equals("nvidia-l4t-core") || name.equals("nvidia-jetpack") || name.startsWith("libnvinfer")
                || name.startsWith("cuda-cudart-") || name.startsWith("libcudnn");
    }

    /** Every installed package in {@code status} that {@link #interesting} selects. */
    static Map<String, String> interestingPackages(String status) {
        Map<String, String> all = new LinkedHashMap<>();
        if (status == null) {
            return all;
        }
        Matcher m = Pattern.compile("(?m)^Package: (\\S+)").matcher(status);
        java.util.Set<String> names = new java.util.HashSet<>();
        while (m.find()) {
            if (interesting(m.group(1))) {
                names.add(m.group(1));
            }
        }
        all.putAll(dpkgVersions(status, names));
        return all;
    }

    /**
     * The CUDA runtime version from the packages ({@code cuda-cudart-12-6 12.6.68-1} gives {@code 12.6.68}),
     * else from {@code version.json} ({@code "cuda" : { "version" : "12.6.68" }}); {@code null} if neither says.
     */
    static String cudaVersion(Map<String, String> packages, String versionJson) {
        String best = null;
        for (Map.Entry<String, String> e : packages.entrySet()) {
            if (CUDART_PACKAGE.matcher(e.getKey()).matches()) {
                String v = upstream(e.getValue());
                if (best == null || compare(v, best) > 0) {
                    best = v;
                }
            }
        }
        if (best == null && versionJson != null) {
            Matcher m = Pattern.compile("\"cuda\"\\s*:\\s*\\{[^}]*\"version\"\\s*:\\s*\"([0-9.]+)\"").matcher(versionJson);
            if (m.find()) {
                best = m.group(1);
            }
        }
        return best;
    }

    /** TensorRT from {@code libnvinfer10 10.3.0.30-1+cuda12.5} (or libnvinfer8 on older boards): {@code 10.3.0.30}. */
    static String tensorRtVersion(Map<String, String> packages) {
        for (String p : List.of("libnvinfer10", "libnvinfer11", "libnvinfer8")) {
            if (packages.containsKey(p)) {
                return upstream(packages.get(p));
            }
        }
        return null;
    }

    /** cuDNN from {@code libcudnn9-cuda-12 9.3.0.75-1} (or {@code libcudnn8}): {@code 9.3.0.75}. */
    static String cudnnVersion(Map<String, String> packages) {
        for (Map.Entry<String, String> e : packages.entrySet()) {
            if (e.getKey().matches("libcudnn\\d+(-cuda-\\d+)?")) {
                return upstream(e.getValue());
            }
        }
        return null;
    }

    /** The upstream part of a Debian version: {@code 1:10.3.0.30-1+cuda12.5} gives {@code 10.3.0.30}. */
    static String upstream(String debVersion) {
        String v = debVersion;
        int colon = v.indexOf(':');
        if (colon >= 0) {
            v = v.substring(colon + 1);
        }
        int dash = v.indexOf('-');
        if (dash >= 0) {
            v = v.substring(0, dash);
        }
        int plus = v.indexOf('+');
        return plus >= 0 ? v.substring(0, plus) : v;
    }

    /** Numeric comparison of dotted versions ({@code 12.10 > 12.9}); missing parts count as 0. */
    static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int p = i < x.length ? leadingInt(x[i]) : 0;
            int q = i < y.length ? leadingInt(y[i]) : 0;
            if (p != q) {
                return Integer.compare(p, q);
            }
        }
        return 0;
    }

    private static int leadingInt(String s) {
        Matcher m = Pattern.compile("^\\d+").matcher(s);
        return m.find() ? Integer.parseInt(m.group()) : 0;
    }

    /**
     * The native line this build was compiled for, as the doctor needs it.
     *
     * @param id               {@code cuda13} or {@code jetpack6}
     * @param javacpp          bytedeco release, e.g. {@code 1.5.11}
     * @param cudaMajor        CUDA major of the cuda JNI (the libcudart soname)
     * @param cuda             CUDA version the JNI was built for
     * @param tensorRtMajor    TensorRT major it loads
     * @param tensorRtMinMinor oldest TensorRT minor it accepts
     */
    record Line(String id, String javacpp, int cudaMajor, String cuda, int tensorRtMajor, int tensorRtMinMinor) {
        String describe() {
            return "bytedeco " + javacpp + " (" + id + ": CUDA " + cuda + ", TensorRT >= " + tensorRtMajor + "."
                    + tensorRtMinMinor + ")";
        }
    }

    /**
     * Compares the build's line with the board.
     *
     * @param l4t      L4T version, or {@code null} if unknown
     * @param cuda     CUDA runtime version found on the board (packages or loaded library), or {@code null}
     * @param tensorRt TensorRT version found (loaded library or packages), or {@code null}
     * @param line     the line this build was compiled for
     */
    static SystemInfo.JetsonCheck check(String l4t, String cuda, String tensorRt, Line line) {
        Release r = release(l4t);
        if (l4t == null) {
            return new SystemInfo.JetsonCheck(false, null, "the L4T release is unknown (no /etc/nv_tegra_release and no nvidia-l4t-core "
                    + "package)", "run on the board itself, or mount /etc/nv_tegra_release into the container "
                    + "(docker run --runtime nvidia does this on JetPack)");
        }
        if (r == null || r.line() == null) {
            String jp = r == null ? "an L4T release Javelin does not know" : "JetPack " + r.jetPack()
                    + (r.tensorRt() == null ? "" : " (CUDA " + r.cuda() + ", TensorRT " + r.tensorRt() + ")");
            return new SystemInfo.JetsonCheck(false, null, "L4T " + l4t + " is " + jp + "; Javelin's GPU backends need CUDA 12.6 + "
                    + "TensorRT 10.3 (JetPack 6.1 or newer on Orin) or CUDA 13 (JetPack 7 on Thor)",
                    "flash JetPack 6.1 or newer (L4T r36.4) on Jetson Orin and build with -Pjetpack6; older boards "
                            + "(Xavier, Nano) can use the ONNX Runtime CPU backend only");
        }
        String board = "JetPack " + r.jetPack() + " (L4T " + l4t + ")";
        String found = " found CUDA " + (cuda == null ? "?" : cuda) + ", TensorRT " + (tensorRt == null ? "?" : tensorRt);
        if (!r.line().equals(line.id())) {
            String fix = r.line().equals(LINE_JETPACK6)
                    ? "rebuild with the JetPack 6 line: ./mvnw -Pjetpack6 -DskipTests package (or build "
                            + "docker/Dockerfile.jetson)"
                    : "rebuild with the default line, without -Pjetpack6: ./mvnw -DskipTests package";
            return new SystemInfo.JetsonCheck(false, r.line(), board + " needs the " + r.line() + " line, but this build uses "
                    + line.describe() + ";" + found, fix);
        }
        int[] c = parseVersion(cuda);
        if (c != null && c[0] != line.cudaMajor()) {
            return new SystemInfo.JetsonCheck(false, r.line(), board + ":" + found + ", but " + line.describe() + " needs CUDA "
                    + line.cudaMajor() + ".x", "install the CUDA " + line.cuda() + " runtime JetPack "
                    + r.jetPack() + " ships (apt-get install nvidia-cuda)");
        }
        int[] t = parseVersion(tensorRt);
        if (tensorRt == null) {
            return new SystemInfo.JetsonCheck(false, r.line(), board + ":" + found + "; TensorRT is not installed", "install TensorRT "
                    + (r.tensorRt() == null ? line.tensorRtMajor() + "." + line.tensorRtMinMinor() + " or newer"
                            : r.tensorRt()) + " (apt-get install nvidia-tensorrt, part of nvidia-jetpack)");
        }
        if (t == null || t[0] != line.tensorRtMajor() || t[1] < line.tensorRtMinMinor()) {
            return new SystemInfo.JetsonCheck(false, r.line(), board + ":" + found + ", but " + line.describe() + " needs TensorRT "
                    + line.tensorRtMajor() + "." + line.tensorRtMinMinor() + " or a newer " + line.tensorRtMajor() + ".x",
                    "install TensorRT " + line.tensorRtMajor() + "." + line.tensorRtMinMinor() + " or newer for CUDA "
                            + line.cudaMajor() + (LINE_DEFAULT.equals(line.id())
                                    ? " (Thor runs the aarch64 SBSA packages since JetPack 7)" : ""));
        }
        return new SystemInfo.JetsonCheck(true, r.line(), board + ":" + found + "; " + line.describe() + " fits", null);
    }
}

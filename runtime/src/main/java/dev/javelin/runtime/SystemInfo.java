package dev.javelin.runtime;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.core.NativeStackLine;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.cuda.CudaDriver;
import dev.javelin.bindings.trt.TensorRt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What this machine offers Javelin: platform, JVM, Jetson board, NVIDIA driver and CUDA versions, GPUs,
 * the native stacks (found versions against expected ones) and, per backend, whether it is usable and
 * why not. This is what {@code javelin doctor} prints; collecting it never throws because a GPU or a
 * library is missing.
 *
 * @param os               operating system and CPU
 * @param jvm              the running Java VM
 * @param jetson           the Jetson (Tegra) board, or {@code null} on other machines
 * @param nvidiaDriver     NVIDIA kernel driver version (e.g. {@code 580.65.06}), or {@code null} if none is loaded
 * @param cudaDriver       CUDA version the driver supports (e.g. {@code 13.1}), or {@code null}
 * @param gpus             CUDA devices, empty without a usable driver
 * @param tensorRt         TensorRT version loaded, or {@code null}
 * @param tensorRtBuiltFor TensorRT version the bundled bindings were built for
 * @param onnxRuntime      ONNX Runtime version loaded, or {@code null}
 * @param nativeLine       the native stack line this build was compiled for ({@code -Pjetpack6} or the default)
 * @param nativeStacks     each native library stack Javelin loads, with what was found and expected
 * @param backends         each backend in rank order (TensorRT, ONNX Runtime CUDA, CPU), usable or not, and why
 */
public record SystemInfo(Os os, Jvm jvm, Jetson jetson, String nvidiaDriver, String cudaDriver, List<Gpu> gpus,
                         String tensorRt, String tensorRtBuiltFor, String onnxRuntime, NativeLine nativeLine,
                         List<NativeStack> nativeStacks,
                         List<BackendStatus> backends) {

    public SystemInfo {
        gpus = List.copyOf(gpus);
        nativeStacks = List.copyOf(nativeStacks);
        backends = List.copyOf(backends);
    }

    /**
     * Operating system and CPU.
     *
     * @param name    e.g. {@code Linux}
     * @param version kernel or OS version
     * @param arch    e.g. {@code amd64}, {@code aarch64}
     * @param cpus    logical processors available to the JVM
     */
    public record Os(String name, String version, String arch, int cpus) {
    }

    /**
     * The running JVM.
     *
     * @param vendor       e.g. {@code Eclipse Adoptium}
     * @param version      e.g. {@code 17.0.15+6}
     * @param vm           VM name
     * @param maxHeapBytes {@code Runtime.maxMemory()}
     */
    public record Jvm(String vendor, String version, String vm, long maxHeapBytes) {
    }

    /**
     * A Jetson board.
     *
     * @param model    board model from the device tree, e.g. {@code NVIDIA Jetson AGX Orin Developer Kit}, or {@code null}
     * @param l4t      Jetson Linux (L4T) release, e.g. {@code 36.4.3}, from {@code /etc/nv_tegra_release} or else the
     *                 {@code nvidia-l4t-core} package, or {@code null}
     * @param jetPack  the JetPack release of that L4T, e.g. {@code 6.2} (or only the line, e.g. {@code 5.x}), or {@code null}
     * @param packages installed versions of the JetPack packages that matter ({@code nvidia-l4t-core},
     *                 {@code nvidia-jetpack}, {@code cuda-cudart-*}, {@code libnvinfer*}, {@code libcudnn*})
     * @param cuda     CUDA runtime version installed (packages or {@code /usr/local/cuda/version.json}), or {@code null}
     * @param tensorRt TensorRT version: the loaded library's, else the installed package's, or {@code null}
     * @param cudnn    cuDNN version installed, or {@code null}
     * @param check    whether this build's native line fits the board, and the fix if not
     */
    public record Jetson(String model, String l4t, String jetPack, Map<String, String> packages, String cuda,
                         String tensorRt, String cudnn, JetsonCheck check) {
        public Jetson {
            packages = packages == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(packages));
        }

        /** A board known only by model and L4T release. */
        public Jetson(String model, String l4t, String jetPack) {
            this(model, l4t, jetPack, Map.of(), null, null, null, null);
        }
    }

    /**
     * Whether the native line this build was compiled for fits a Jetson board.
     *
     * @param matches      the line's CUDA and TensorRT are the board's
     * @param expectedLine the line that fits the board's JetPack ({@code jetpack6} or {@code cuda13}), or {@code null}
     *                     if none does
     * @param detail       what was compared
     * @param fix          the exact fix (e.g. rebuild with {@code -Pjetpack6}), or {@code null} when it matches
     */
    public record JetsonCheck(boolean matches, String expectedLine, String detail, String fix) {
    }

    /**
     * The native stack line this build was compiled for (bindings' {@code NativeStackLine}).
     *
     * @param id           {@code cuda13} (default) or {@code jetpack6}
     * @param mavenProfile how it is selected
     * @param javacpp      bytedeco release
     * @param cuda         CUDA version of the cuda JNI
     * @param tensorRt     TensorRT version of the tensorrt JNI
     * @param tensorRtMin  oldest TensorRT it loads
     * @param onnxRuntime  ONNX Runtime version it bundles
     * @param targets      platforms it is meant for
     */
    public record NativeLine(String id, String mavenProfile, String javacpp, String cuda, String tensorRt,
                             String tensorRtMin, String onnxRuntime, String targets) {
        static NativeLine ofThisBuild() {
            return new NativeLine(NativeStackLine.ID, NativeStackLine.MAVEN_PROFILE, NativeStackLine.JAVACPP,
                    NativeStackLine.CUDA, NativeStackLine.TENSORRT_BUILT,
                    NativeStackLine.TENSORRT_MAJOR + "." + NativeStackLine.TENSORRT_MIN_MINOR, NativeStackLine.ONNXRUNTIME,
                    NativeStackLine.TARGETS);
        }

        JetsonPlatform.Line asLine() {
            int[] c = JetsonPlatform.parseVersion(cuda);
            int[] t = JetsonPlatform.parseVersion(tensorRtMin);
            return new JetsonPlatform.Line(id, javacpp, c == null ? 0 : c[0], cuda, t == null ? 0 : t[0], t == null ? 0 : t[1]);
        }
    }

    /**
     * One CUDA device.
     *
     * @param index             device ordinal
     * @param name              e.g. {@code NVIDIA A10G}
     * @param computeCapability e.g. {@code 8.6}
     * @param totalMemoryBytes  device memory
     * @param freeMemoryBytes   free device memory when collected, or -1 if it could not be read
     * @param multiprocessors   streaming multiprocessors
     * @param integrated        whether the GPU shares host memory (Jetson)
     */
    public record Gpu(int index, String name, String computeCapability, long totalMemoryBytes, long freeMemoryBytes,
                      int multiprocessors, boolean integrated) {
    }

    /**
     * A native library stack.
     *
     * @param name      e.g. {@code CUDA driver}
     * @param available whether it loaded
     * @param version   version found, or {@code null}
     * @param expected  libraries and versions Javelin needs
     * @param detail    what was loaded, or why not
     * @param tried     every mechanism and path tried, with its outcome (for a stack that failed because another
     *                  did, that one's list)
     */
    public record NativeStack(String name, boolean available, String version, String expected, String detail,
                              List<String> tried) {
        public NativeStack {
            tried = List.copyOf(tried);
        }
    }

    /**
     * A backend's status.
     *
     * @param name   {@code tensorrt}, {@code cuda} or {@code cpu}
     * @param usable whether sessions can be opened on it
     * @param detail what it runs on, or why it cannot run and how to fix that
     */
    public record BackendStatus(String name, boolean usable, String detail) {
    }

    /** Collects the information for this machine. */
    public static SystemInfo collect() {
        return collect(Path.of("/"));
    }

    /** As {@link #collect()}, reading system files ({@code /etc}, {@code /proc}) under {@code root}. */
    static SystemInfo collect(Path root) {
        Os os = new Os(System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors());
        Jvm jvm = new Jvm(System.getProperty("java.vendor"), System.getProperty("java.runtime.version",
                System.getProperty("java.version")), System.getProperty("java.vm.name"), Runtime.getRuntime().maxMemory());

        List<NativeStack> stacks = new ArrayList<>();
        for (NativeLoader.Stack s : NativeLoader.Stack.values()) {
            NativeLoader.Probe p = NativeLoader.probe(s);
            stacks.add(new NativeStack(s.label(), p.available(), p.version(), s.expected(), p.detail(), p.attempts()));
        }
        String cudaDriver = null;
        List<Gpu> gpus = new ArrayList<>();
        if (NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).available()) {
            try {
                CudaDriver driver = CudaDriver.get();
                cudaDriver = driver.versionString();
                for (CudaDeviceInfo d : driver.devices()) {
                    long free = -1;
                    try {
                        free = driver.memoryInfo(d.ordinal())[0];
                    } catch (RuntimeException e) {
                        // a device that cannot create a context still gets listed
                    }
                    gpus.add(new Gpu(d.ordinal(), d.name(), d.computeCapabilityString(), d.totalMemory(), free,
                            d.multiprocessors(), d.integrated()));
                }
            } catch (RuntimeException e) {
                // cuInit failed: the CUDA driver stack entry and the backends say why
                cudaDriver = NativeLoader.probe(NativeLoader.Stack.CUDA_DRIVER).version();
            }
        }
        NativeLoader.Probe trt = NativeLoader.probe(NativeLoader.Stack.TENSORRT);
        NativeLoader.Probe ort = NativeLoader.probe(NativeLoader.Stack.ONNX_RUNTIME);

        List<BackendStatus> backends = new ArrayList<>();
        List<BackendSelector.Candidate> found;
        try {
            found = BackendSelector.survey(SessionOptions.defaults());
        } catch (RuntimeException | LinkageError e) {
            // Another backend breaking its never-throw contract must not take the diagnostics down with it.
            found = List.of();
        }
        for (BackendKind kind : List.of(BackendKind.TENSORRT, BackendKind.CUDA, BackendKind.CPU)) {
            BackendStatus status = new BackendStatus(kind.label(), false, "no implementation on the class path");
            for (BackendSelector.Candidate c : found) {
                if (c.backend().kind() == kind) {
                    status = new BackendStatus(kind.label(), c.availability().usable(), c.availability().detail());
                }
            }
            backends.add(status);
        }
        NativeLine line = NativeLine.ofThisBuild();
        return new SystemInfo(os, jvm, readJetson(root, trt.available() ? trt.version() : null, line),
                readNvidiaDriver(root), cudaDriver, gpus, trt.available() ? trt.version() : null, TensorRt.builtVersion(),
                ort.available() ? ort.version() : null, line, stacks, backends);
    }

    // ---------------------------------------------------------------------------------------------
    // System files.

    private static final Pattern TEGRA_RELEASE = Pattern.compile("#\\s*R(\\d+)\\s*\\(release\\),\\s*REVISION:\\s*([0-9.]+)");
    private static final Pattern NVRM_VERSION = Pattern.compile("Kernel Module(?:\\s+for\\s+\\S+)?\\s+(\\d+(?:\\.\\d+)+)");

    /** The Jetson board under {@code root}, checked against this build's native line; see {@link #readJetson(Path, String, NativeLine)}. */
    static Jetson readJetson(Path root) {
        return readJetson(root, null, NativeLine.ofThisBuild());
    }

    /**
     * The Jetson board under {@code root}, or {@code null}: {@code /etc/nv_tegra_release}, the device-tree model,
     * the dpkg database and {@code /usr/local/cuda/version.json}, with the check of {@code line} against it.
     *
     * @param loadedTensorRt the TensorRT version actually loaded (preferred over the package's), or {@code null}
     */
    static Jetson readJetson(Path root, String loadedTensorRt, NativeLine line) {
        String release = readText(root.resolve("etc/nv_tegra_release"));
        String model = readText(root.resolve("proc/device-tree/model"));
        String compatible = readText(root.resolve("proc/device-tree/compatible"));
        model = model == null ? null : model.replace("\0", "").trim();
        Map<String, String> packages = JetsonPlatform.interestingPackages(readText(root.resolve("var/lib/dpkg/status")));
        boolean tegra = release != null || (model != null && model.contains("Jetson"))
                || (compatible != null && compatible.contains("nvidia,tegra")) || packages.containsKey("nvidia-l4t-core");
        if (!tegra) {
            return null;
        }
        String l4t = release == null ? null : parseL4t(release);
        if (l4t == null && packages.containsKey("nvidia-l4t-core")) {
            // Containers often lack /etc/nv_tegra_release but keep the package database of their L4T base.
            int[] v = JetsonPlatform.parseVersion(packages.get("nvidia-l4t-core"));
            l4t = v == null ? null : v[0] + "." + v[1] + "." + v[2];
        }
        JetsonPlatform.Release r = JetsonPlatform.release(l4t);
        String jetPack = r != null ? r.jetPack() : l4t == null ? null : jetPackLine(l4t);
        String cuda = JetsonPlatform.cudaVersion(packages, readText(root.resolve("usr/local/cuda/version.json")));
        String tensorRt = loadedTensorRt != null ? loadedTensorRt : JetsonPlatform.tensorRtVersion(packages);
        return new Jetson(model == null || model.isEmpty() ? null : model, l4t, jetPack, packages, cuda, tensorRt,
                JetsonPlatform.cudnnVersion(packages), JetsonPlatform.check(l4t, cuda, tensorRt, line.asLine()));
    }

    /** {@code "# R36 (release), REVISION: 4.3, ..."} gives {@code 36.4.3}; {@code null} if not in that form. */
    static String parseL4t(String nvTegraRelease) {
        Matcher m = TEGRA_RELEASE.matcher(nvTegraRelease);
        return m.find() ? m.group(1) + "." + m.group(2) : null;
    }

    /** The JetPack major line of an L4T release: R32 is JetPack 4, R34-R35 JetPack 5, R36 JetPack 6, R38 JetPack 7. */
    static String jetPackLine(String l4t) {
        int major = Integer.parseInt(l4t.substring(0, l4t.indexOf('.')));
        return switch (major) {
            case 32 -> "4.x";
            case 34, 35 -> "5.x";
            case 36 -> "6.x";
            case 38 -> "7.x";
            default -> null;
        };
    }

    /** The loaded NVIDIA kernel driver's version from {@code /proc/driver/nvidia/version}, or {@code null}. */
    static String readNvidiaDriver(Path root) {
        String text = readText(root.resolve("proc/driver/nvidia/version"));
        return text == null ? null : parseNvidiaDriver(text);
    }

    /** {@code "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 ..."} gives {@code 580.65.06}. */
    static String parseNvidiaDriver(String procVersion) {
        Matcher m = NVRM_VERSION.matcher(procVersion);
        return m.find() ? m.group(1) : null;
    }

    private static String readText(Path file) {
        try {
            return Files.isReadable(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : null;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reports.

    /**
     * The information as nested maps and lists with stable snake_case keys, for JSON: {@code os}, {@code jvm},
     * {@code jetson}, {@code nvidia_driver}, {@code cuda_driver}, {@code devices}, {@code tensorrt},
     * {@code onnxruntime}, {@code native_line}, {@code native}, {@code backends}. Absent values are {@code null}, never omitted.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("os", ordered("name", os.name(), "version", os.version(), "arch", os.arch(), "cpus", os.cpus()));
        m.put("jvm", ordered("vendor", jvm.vendor(), "version", jvm.version(), "vm", jvm.vm(),
                "max_heap_bytes", jvm.maxHeapBytes()));
        m.put("jetson", jetson == null ? null : ordered("model", jetson.model(), "l4t", jetson.l4t(), "jetpack", jetson.jetPack(),
                "cuda", jetson.cuda(), "tensorrt", jetson.tensorRt(), "cudnn", jetson.cudnn(), "packages", jetson.packages(),
                "native_line_matches", jetson.check() == null ? null : jetson.check().matches(),
                "expected_line", jetson.check() == null ? null : jetson.check().expectedLine(),
                "check", jetson.check() == null ? null : jetson.check().detail(),
                "fix", jetson.check() == null ? null : jetson.check().fix()));
        m.put("nvidia_driver", nvidiaDriver);
        m.put("cuda_driver", cudaDriver);
        List<Object> devices = new ArrayList<>();
        for (Gpu g : gpus) {
            devices.add(ordered("index", g.index(), "name", g.name(), "compute_capability", g.computeCapability(),
                    "memory_total_bytes", g.totalMemoryBytes(), "memory_free_bytes", g.freeMemoryBytes() < 0 ? null : g.freeMemoryBytes(),
                    "multiprocessors", g.multiprocessors(), "integrated", g.integrated()));
        }
        m.put("devices", devices);
        m.put("tensorrt", ordered("version", tensorRt, "built_for", tensorRtBuiltFor));
        m.put("onnxruntime", ordered("version", onnxRuntime));
        m.put("native_line", ordered("id", nativeLine.id(), "maven_profile", nativeLine.mavenProfile(), "javacpp",
                nativeLine.javacpp(), "cuda", nativeLine.cuda(), "tensorrt_built_for", nativeLine.tensorRt(),
                "tensorrt_min", nativeLine.tensorRtMin(), "onnxruntime", nativeLine.onnxRuntime(),
                "targets", nativeLine.targets()));
        List<Object> stacks = new ArrayList<>();
        for (NativeStack s : nativeStacks) {
            stacks.add(ordered("name", s.name(), "available", s.available(), "version", s.version(), "expected", s.expected(),
                    "detail", s.detail(), "tried", s.tried()));
        }
        m.put("native", stacks);
        List<Object> bs = new ArrayList<>();
        for (BackendStatus b : backends) {
            bs.add(ordered("name", b.name(), "usable", b.usable(), "detail", b.detail()));
        }
        m.put("backends", bs);
        return m;
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** A human-readable report, one fact per line, ending with the backends and their reasons. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        line(sb, "OS", os.name() + " " + os.version() + " (" + os.arch() + ", " + os.cpus() + " CPUs)");
        line(sb, "JVM", jvm.vendor() + " " + jvm.version() + " (" + jvm.vm() + ", max heap " + mib(jvm.maxHeapBytes()) + ")");
        line(sb, "Jetson", jetson == null ? "no" : (jetson.model() == null ? "Tegra board" : jetson.model())
                + (jetson.l4t() == null ? "" : ", L4T " + jetson.l4t())
                + (jetson.jetPack() == null ? "" : " (JetPack " + jetson.jetPack() + ")"));
        if (jetson != null) {
            line(sb, "JetPack stack", "CUDA " + orUnknown(jetson.cuda()) + ", TensorRT " + orUnknown(jetson.tensorRt())
                    + ", cuDNN " + orUnknown(jetson.cudnn()));
            if (jetson.check() != null) {
                line(sb, "Native line", (jetson.check().matches() ? "matches: " : "MISMATCH: ") + jetson.check().detail());
                if (jetson.check().fix() != null) {
                    line(sb, "Fix", jetson.check().fix());
                }
            }
        }
        line(sb, "NVIDIA driver", nvidiaDriver == null ? "not found" : nvidiaDriver);
        line(sb, "CUDA driver", cudaDriver == null ? "not found" : "CUDA " + cudaDriver);
        if (gpus.isEmpty()) {
            line(sb, "GPUs", "none");
        }
        for (Gpu g : gpus) {
            line(sb, "GPU " + g.index(), g.name() + ", compute " + g.computeCapability() + ", " + mib(g.totalMemoryBytes())
                    + (g.freeMemoryBytes() >= 0 ? " (" + mib(g.freeMemoryBytes()) + " free)" : "")
                    + ", " + g.multiprocessors() + " SMs" + (g.integrated() ? ", integrated" : ""));
        }
        line(sb, "TensorRT", (tensorRt == null ? "not loaded" : tensorRt) + " (bindings built for " + tensorRtBuiltFor + ")");
        line(sb, "ONNX Runtime", onnxRuntime == null ? "not loaded" : onnxRuntime);
        line(sb, "Built for", "bytedeco " + nativeLine.javacpp() + " (" + nativeLine.id() + ", " + nativeLine.mavenProfile()
                + "): CUDA " + nativeLine.cuda() + ", TensorRT " + nativeLine.tensorRt() + " (loads >= "
                + nativeLine.tensorRtMin() + "), ONNX Runtime " + nativeLine.onnxRuntime());
        sb.append('\n').append("Native libraries:\n");
        java.util.Set<List<String>> shown = new java.util.HashSet<>();
        String indent = " ".repeat(17);
        for (NativeStack s : nativeStacks) {
            if (s.available()) {
                sb.append(String.format(Locale.ROOT, "  %-14s ok: %s%n", s.name(), s.detail()));
                continue;
            }
            sb.append(String.format(Locale.ROOT, "  %-14s unavailable: %s%n", s.name(), s.detail()));
            sb.append(indent).append("expected ").append(s.expected()).append('\n');
            if (!s.tried().isEmpty() && shown.add(s.tried())) {
                for (int i = 0; i < s.tried().size(); i++) {
                    sb.append(indent).append(i == 0 ? "tried: " : "       ").append(s.tried().get(i)).append('\n');
                }
            }
        }
        sb.append('\n').append("Backends (in the order auto tries them):\n");
        for (BackendStatus b : backends) {
            sb.append(String.format(Locale.ROOT, "  %-9s %-4s %s%n", b.name(), b.usable() ? "yes" : "no", b.detail()));
        }
        return sb.toString();
    }

    private static String orUnknown(String v) {
        return v == null ? "not found" : v;
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(String.format(Locale.ROOT, "%-14s %s%n", key + ":", value));
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (1024.0 * 1024.0));
    }
}

package dev.javelin.runtime.bundle;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which of a bundle's engine plans the TensorRT backend may load on a machine, decided in plain Java. A
 * TensorRT plan runs only on the TensorRT version that built it and on GPUs of the compute capability it was
 * built for (Javelin builds without TensorRT's version- or hardware-compatibility modes, which cost speed), so:
 * <ul>
 *   <li>a plan whose TensorRT version and compute capability both match is used;</li>
 *   <li>a bundle without any plan (built with {@code --onnx-only}, or where no GPU was present) is built from its
 *       {@code model.onnx} through the engine cache, as opening the .onnx file would;</li>
 *   <li>plans that all mismatch are refused with a message naming both sides, unless the caller asked to rebuild,
 *       in which case the engine is built from {@code model.onnx} with the bundle's profile and settings.</li>
 * </ul>
 */
public final class EngineSelection {
    private EngineSelection() {
    }

    /**
     * What this machine offers.
     *
     * @param tensorRtVersion   loaded TensorRT version, e.g. {@code 10.15.1}
     * @param computeCapability the device's compute capability, e.g. {@code 8.9}
     * @param device            the device's name and ordinal, for messages
     */
    public record Host(String tensorRtVersion, String computeCapability, String device) {
        public Host {
            Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
            Objects.requireNonNull(computeCapability, "computeCapability");
            device = device == null ? "" : device;
        }
    }

    /** The decision. */
    public sealed interface Choice permits UsePlan, BuildFromModel, Refuse {
    }

    /** Load this plan. */
    public record UsePlan(BundleManifest.EngineRecord engine, BundleManifest.Profile profile) implements Choice {
    }

    /**
     * Build an engine from the bundle's model with this profile ({@code null} when the model has no dynamic
     * input) and the bundle's build settings.
     */
    public record BuildFromModel(BundleManifest.Profile profile, String reason) implements Choice {
    }

    /** Do not load anything; the message says why and what to do. */
    public record Refuse(String message) implements Choice {
    }

    /**
     * Why {@code engine} cannot load on {@code host}, naming both sides, or {@code null} if it can.
     */
    public static String incompatibility(BundleManifest.EngineRecord engine, Host host) {
        List<String> problems = new ArrayList<>();
        if (!engine.tensorRtVersion().equals(host.tensorRtVersion())) {
            problems.add("it was built with TensorRT " + engine.tensorRtVersion() + " but this machine has TensorRT "
                    + host.tensorRtVersion());
        }
        if (!engine.computeCapability().equals(host.computeCapability())) {
            problems.add("it was built for GPU compute capability " + engine.computeCapability()
                    + (engine.device().isEmpty() ? "" : " (" + engine.device() + ")") + " but "
                    + (host.device().isEmpty() ? "this GPU" : host.device()) + " has compute capability " + host.computeCapability());
        }
        return problems.isEmpty() ? null : String.join(", and ", problems);
    }

    /**
     * The choice for a bundle on a host.
     *
     * @param bundle  what to call the bundle in messages (its folder)
     * @param rebuild whether to build from {@code model.onnx} when every plan mismatches
     */
    public static Choice choose(BundleManifest m, String bundle, Host host, boolean rebuild) {
        if (m.engines().isEmpty()) {
            return new BuildFromModel(m.profiles().isEmpty() ? null : m.profiles().get(0), "bundle " + bundle
                    + " has no TensorRT plan (" + (m.tensorRt().detail().isEmpty() ? "none was built" : m.tensorRt().detail())
                    + "); building one from " + m.model().file() + " through the engine cache");
        }
        List<String> refusals = new ArrayList<>();
        for (BundleManifest.EngineRecord e : m.engines()) {
            String why = incompatibility(e, host);
            if (why == null) {
                return new UsePlan(e, m.profile(e.profile()).orElseThrow());
            }
            refusals.add(e.file() + ": " + why);
        }
        String all = String.join("; ", refusals);
        if (rebuild) {
            BundleManifest.EngineRecord first = m.engines().get(0);
            return new BuildFromModel(m.profile(first.profile()).orElseThrow(), "bundle " + bundle + " has no TensorRT plan"
                    + " for this machine (" + all + "); rebuilding from " + m.model().file() + " with profile '"
                    + first.profile() + "' through the engine cache");
        }
        return new Refuse("bundle " + bundle + " has no TensorRT plan this machine can load: " + all + ". Rebuild the"
                + " bundle here with 'javelin build', or let Javelin build the engine from the bundle's " + m.model().file()
                + " (SessionOptions.builder().rebuildEngines(true), 'javelin run --rebuild-engines')");
    }
}

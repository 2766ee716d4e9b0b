package dev.javelin.runtime.trt;

import dev.javelin.bindings.core.NativeLoader;
import dev.javelin.bindings.cuda.CudaDeviceInfo;
import dev.javelin.bindings.cuda.CudaDriver;
import dev.javelin.bindings.trt.TensorRt;
import dev.javelin.runtime.BackendKind;
import dev.javelin.runtime.BackendUnavailableException;
import dev.javelin.runtime.ModelException;
import dev.javelin.runtime.SessionOptions;
import dev.javelin.runtime.bundle.Bundle;
import dev.javelin.runtime.bundle.BundleManifest;
import dev.javelin.runtime.bundle.EngineSelection;
import dev.javelin.runtime.plan.PartitionPlan;
import dev.javelin.runtime.spi.Availability;
import dev.javelin.runtime.spi.Backend;
import dev.javelin.runtime.spi.CompiledModel;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs models as TensorRT engines on an NVIDIA GPU. {@link #compile} parses the ONNX file with TensorRT's
 * parser into a strongly typed network (precision comes from the graph), derives an optimisation profile
 * for dynamic dimensions ({@link ProfileDerivation}), builds the engine, and caches it by model, TensorRT
 * version, compute capability and options ({@link EngineCache}, under {@link SessionOptions#engineCacheDir()}
 * or {@code -Djavelin.engine.cache.dir}, {@code $JAVELIN_ENGINE_CACHE}, {@code ~/.cache/javelin/engines}).
 *
 * <p>Needs: an NVIDIA driver for CUDA 13 (R580+), a GPU of compute capability 7.5 or newer, and the CUDA
 * 13.1 / cuDNN 9 / TensorRT 10.15 libraries (installed, or bundled by the {@code -Pgpu-redist} profile).
 * Construction loads nothing; {@link #availability} says which of these is missing.
 */
public final class TensorRtBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtBackend.class);

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public TensorRtBackend() {
    }

    @Override
    public BackendKind kind() {
        return BackendKind.TENSORRT;
    }

    @Override
    public Availability availability(SessionOptions options) {
        try {
            return TensorRtAvailability.evaluate(GpuFacts.collect(), options.deviceId());
        } catch (RuntimeException e) {
            // Native loading failures are already typed by NativeLoader; this guards the contract (never throw).
            return Availability.unusable("TensorRT availability check failed: " + e);
        }
    }

    @Override
    public CompiledModel compile(Path model, SessionOptions options) {
        requireUsable(options);
        return TensorRtModel.compile(model, options.deviceId(), CudaDriver.get().device(options.deviceId()),
                TensorRtOptions.fromSystemProperties(), new EngineCache(EngineCache.dirFor(options)));
    }

    /**
     * Loads the bundle's plan built for this TensorRT version and compute capability; builds from the bundle's
     * model.onnx (through the engine cache, with the bundle's profile and settings) when it has no plan, or when
     * every plan mismatches and {@link SessionOptions#rebuildEngines()} is set; otherwise refuses, naming both
     * sides ({@link EngineSelection}).
     */
    @Override
    public CompiledModel compile(Bundle bundle, SessionOptions options) {
        requireUsable(options);
        CudaDeviceInfo device = CudaDriver.get().device(options.deviceId());
        BundleManifest m = bundle.manifest();
        if (m.partitionPlan() != null) {
            // The model has ops TensorRT cannot build that Javelin kernels run: the plan's segments become engines.
            Path planFile = bundle.dir().resolve(m.partitionPlan());
            return compilePlan(planFile, PartitionPlan.read(planFile), options);
        }
        EngineSelection.Host host = new EngineSelection.Host(TensorRt.loadedVersion(), device.computeCapabilityString(),
                "cuda:" + options.deviceId() + " " + device.name());
        EngineSelection.Choice choice = EngineSelection.choose(m, bundle.dir().toString(), host, options.rebuildEngines());
        TensorRtOptions base = TensorRtOptions.fromSystemProperties();
        if (choice instanceof EngineSelection.UsePlan use) {
            return TensorRtModel.fromPlan(bundle.readPlan(use.engine()), m.signature(), use.profile().profile(),
                    "plan " + bundle.planFile(use.engine()), options.deviceId(), device, base);
        }
        if (choice instanceof EngineSelection.BuildFromModel build) {
            LOG.info("{}", build.reason());
            OptimizationProfile profile = build.profile() == null ? new OptimizationProfile(java.util.Map.of())
                    : build.profile().profile();
            TensorRtOptions rebuild = m.build().options(profile);
            rebuild = new TensorRtOptions(rebuild.profile(), rebuild.shapes(), rebuild.workspaceBytes(),
                    rebuild.optimizationLevel(), base.timingCache(), base.contexts());
            return TensorRtModel.compile(bundle.modelFile(), options.deviceId(), device, rebuild,
                    new EngineCache(EngineCache.dirFor(options)));
        }
        throw new ModelException(((EngineSelection.Refuse) choice).message());
    }

    private void requireUsable(SessionOptions options) {
        Availability a = availability(options);
        if (!a.usable()) {
            // The loader's exception, with every path tried, rides along as the cause (shown with --verbose).
            NativeLoader.Probe trt = NativeLoader.probe(NativeLoader.Stack.TENSORRT);
            throw new BackendUnavailableException(kind().label(), a.detail(), trt.available() ? null : trt.failure());
        }
    }

    /**
     * Prepares a partition plan on this GPU: each engine segment is built (or taken from the engine cache) as a
     * TensorRT engine, the Javelin kernels its kernel nodes need are loaded, and runs queue every step on one stream.
     * The caller owns the result.
     *
     * @throws BackendUnavailableException if TensorRT cannot run here, or a kernel the plan needs cannot be loaded
     * @throws dev.javelin.runtime.ModelException if a segment model or the plan's constants cannot be read
     */
    public CompiledModel compilePlan(Path planFile, PartitionPlan plan, SessionOptions options) {
        Availability a = availability(options);
        if (!a.usable()) {
            NativeLoader.Probe trt = NativeLoader.probe(NativeLoader.Stack.TENSORRT);
            throw new BackendUnavailableException(kind().label(), a.detail(), trt.available() ? null : trt.failure());
        }
        return TensorRtPlanModel.compile(planFile, plan, options.deviceId(), CudaDriver.get().device(options.deviceId()),
                TensorRtOptions.fromSystemProperties(), new EngineCache(EngineCache.dirFor(options)));
    }

    @Override
    public String toString() {
        return "TensorRT backend";
    }
}

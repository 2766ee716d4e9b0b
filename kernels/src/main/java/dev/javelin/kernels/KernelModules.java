package dev.javelin.kernels;

import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.cuda.CudaContext;
import dev.javelin.bindings.cuda.CudaDriver;
import dev.javelin.bindings.cuda.CudaFunction;
import dev.javelin.bindings.cuda.CudaModule;
import dev.javelin.bindings.cuda.Nvrtc;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernels' CUDA modules in one context, loaded on first use and unloaded on {@link #close()} (after the
 * streams using them have been synchronised).
 *
 * <p>Where a module comes from, in order:
 * <ol>
 *   <li>the fatbin built at compile time: SASS for the GPU's architecture, else the driver JIT-compiles the
 *       compute_75 PTX;</li>
 *   <li>if the driver rejects the fatbin because it is older than the PTX ({@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}:
 *       nvcc 13's PTX ISA 9.0 needs an R580+ driver), has no binary for the GPU ({@code CUDA_ERROR_NO_BINARY_FOR_GPU})
 *       or has no JIT ({@code CUDA_ERROR_JIT_COMPILER_NOT_FOUND}) — or if the build had no nvcc — the shipped
 *       {@code .cu} source compiled by the machine's NVRTC into a cubin for exactly this GPU, cached on disk
 *       ({@link NvrtcCompiler});</li>
 *   <li>otherwise a {@link KernelUnavailableException} saying what failed at each step. A failure is remembered:
 *       later calls fail fast with the same message.</li>
 * </ol>
 */
public final class KernelModules implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KernelModules.class);

    private record Loaded(CudaModule module, String origin) {
    }

    private final CudaContext context;
    private final KernelCatalogue catalogue;
    private final Supplier<Nvrtc> nvrtc;
    private final NvrtcCompiler compiler;
    private final Map<KernelSource, Loaded> loaded = new EnumMap<>(KernelSource.class);
    private final Map<KernelSource, KernelUnavailableException> failed = new EnumMap<>(KernelSource.class);
    private boolean closed;

    KernelModules(CudaContext context, KernelCatalogue catalogue, Supplier<Nvrtc> nvrtc, NvrtcCompiler compiler) {
        this.context = context;
        this.catalogue = catalogue;
        this.nvrtc = nvrtc;
        this.compiler = compiler;
    }

    /** The kernels of the class path's catalogue in {@code context} (borrowed: it must outlive this object). */
    public static KernelModules create(CudaContext context) {
        return new KernelModules(context, KernelCatalogue.get(), Nvrtc::get, SHARED_COMPILER);
    }

    private static final NvrtcCompiler SHARED_COMPILER = new NvrtcCompiler(NvrtcCompiler.defaultCacheDir());

    /**
     * The kernel {@code entry}, loading its module first if needed.
     *
     * @throws KernelUnavailableException if its module cannot be loaded on this machine
     */
    public CudaFunction function(KernelEntry entry) {
        return module(entry.source()).function(entry.symbol());
    }

    /**
     * The loaded module of {@code source}.
     *
     * @throws KernelUnavailableException if it cannot be loaded on this machine (the reason covers every step tried)
     */
    public synchronized CudaModule module(KernelSource source) {
        if (closed) {
            throw new IllegalStateException("the kernel modules of device " + context.ordinal() + " are closed");
        }
        Loaded l = loaded.get(source);
        if (l != null) {
            return l.module();
        }
        KernelUnavailableException f = failed.get(source);
        if (f != null) {
            throw new KernelUnavailableException(f.getMessage(), f);
        }
        try {
            l = load(source);
        } catch (KernelUnavailableException e) {
            failed.put(source, e);
            throw e;
        }
        loaded.put(source, l);
        LOG.debug("{}.cu loaded on device {} from {}", source.baseName(), context.ordinal(), l.origin());
        return l.module();
    }

    /** Where {@code source}'s module came from ({@code "fatbin"} or {@code "NVRTC 13.0 cubin sm_86"}), or {@code null} if not loaded. */
    public synchronized String origin(KernelSource source) {
        Loaded l = loaded.get(source);
        return l == null ? null : l.origin();
    }

    private Loaded load(KernelSource source) {
        String what = source.baseName() + ".cu";
        String fatbinProblem;
        var image = catalogue.fatbin(source);
        if (image.isPresent()) {
            try {
                return new Loaded(CudaModule.load(context, image.get(), source.fatbinResource()), "fatbin");
            } catch (NativeCallException e) {
                if (!CudaDriver.isToolchainMismatch(e.code())) {
                    throw new KernelUnavailableException("the kernels of " + what + " cannot be loaded: " + e.getMessage(), e);
                }
                fatbinProblem = "the driver cannot load the fatbin: " + e.getMessage() + " (the fatbin holds SASS for "
                        + String.join(", ", catalogue.sassTargets()) + " and " + catalogue.ptxTarget() + " PTX of ISA 9.0, "
                        + "which needs an R580+ driver)";
                LOG.info("{}; compiling {} with NVRTC instead", fatbinProblem, what);
            }
        } else {
            fatbinProblem = catalogue.hasFatbins() ? source.fatbinResource() + " is missing from the class path"
                    : "no fatbins were built: " + catalogue.reason();
        }
        Nvrtc n;
        try {
            n = nvrtc.get();
        } catch (NativeLibraryUnavailableException e) {
            throw new KernelUnavailableException("the kernels of " + what + " are unavailable: " + fatbinProblem
                    + "; the NVRTC fallback is unavailable too: " + e.getMessage(), e);
        }
        int cc = CudaDriver.get().device(context.ordinal()).computeCapability();
        byte[] cubin;
        try {
            cubin = compiler.cubin(n, catalogue, source, cc);
        } catch (NativeCallException e) {
            throw new KernelUnavailableException("the kernels of " + what + " are unavailable: " + fatbinProblem
                    + "; NVRTC " + n.version() + " failed to compile the source for sm_" + cc + ": " + e.getMessage(), e);
        }
        String origin = "NVRTC " + n.version() + " cubin sm_" + cc;
        try {
            return new Loaded(CudaModule.load(context, cubin, what + " (" + origin + ")"), origin);
        } catch (NativeCallException e) {
            throw new KernelUnavailableException("the kernels of " + what + " are unavailable: " + fatbinProblem + "; the cubin "
                    + "NVRTC " + n.version() + " built for sm_" + cc + " does not load either: " + e.getMessage(), e);
        }
    }

    /** NVRTC compiles done so far by the compiler behind this object (cache misses). */
    int nvrtcCompiles() {
        return compiler.compiles();
    }

    /** Unloads every module, last loaded first; a failing unload is logged and the others still unload. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Loaded> all = new ArrayList<>(loaded.values());
        for (int i = all.size() - 1; i >= 0; i--) {
            all.get(i).module().close();
        }
        loaded.clear();
    }
}

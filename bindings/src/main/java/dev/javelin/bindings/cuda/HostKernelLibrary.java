package dev.javelin.bindings.cuda;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host build of Javelin's kernels (the same {@code .cu} sources compiled by g++, one host thread per CUDA
 * thread): a stand-in for a loaded CUDA module that runs a launch on the CPU, synchronously, with the parameter
 * block {@code cuLaunchKernel} would get. "Device" pointers are host addresses. The library serialises launches
 * itself. Used to emulate partition plans on machines without a GPU.
 *
 * <p>The library's C interface ({@code kernels/src/main/host/kernels_host.cpp}): {@code jk_host_find(name)} returns
 * an entry or null; {@code jk_host_launch(entry, grid[3], block[3], sharedBytes, kernelParams)} returns 0 on
 * success. Entries are static data of the library: never freed.
 */
public final class HostKernelLibrary {
    private static final Map<Path, HostKernelLibrary> LOADED = new ConcurrentHashMap<>();

    private final Path file;
    private final Function find;
    private final Function launch;
    private final Map<String, Pointer> entries = new ConcurrentHashMap<>();

    private HostKernelLibrary(Path file, NativeLibrary lib) {
        this.file = file;
        this.find = lib.getFunction("jk_host_find");
        this.launch = lib.getFunction("jk_host_launch");
    }

    /**
     * Loads the library at {@code file} (once per JVM and path; a library cannot be unloaded safely while its
     * threads may run, so it stays loaded).
     *
     * @throws NativeLibraryUnavailableException if the file is missing or does not load, or lacks the entry points
     */
    public static HostKernelLibrary load(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        return LOADED.computeIfAbsent(abs, HostKernelLibrary::open);
    }

    private static HostKernelLibrary open(Path file) {
        String expected = "libjavelin_kernels_host.so built by g++ from kernels/src/main/host";
        if (!Files.isRegularFile(file)) {
            throw new NativeLibraryUnavailableException("the host build of the kernels", "no such file " + file, expected,
                    List.of(file.toString()), null);
        }
        try {
            // Loaded for the life of the JVM (see load()).
            return new HostKernelLibrary(file, NativeLibrary.getInstance(file.toString()));
        } catch (UnsatisfiedLinkError e) {
            throw new NativeLibraryUnavailableException("the host build of the kernels", e.getMessage(), expected,
                    List.of(file.toString()), e);
        }
    }

    /** Whether the library has a kernel named {@code symbol}. */
    public boolean has(String symbol) {
        return entry(symbol) != null;
    }

    private Pointer entry(String symbol) {
        Pointer p = entries.get(symbol);
        if (p == null) {
            // Borrowed: a pointer into the library's static entry table.
            p = find.invokePointer(new Object[] {symbol});
            if (p == null) {
                return null;
            }
            entries.put(symbol, p);
        }
        return p;
    }

    /**
     * Runs one launch to completion on the calling thread (with one host thread per CUDA thread of a block).
     *
     * @throws IllegalArgumentException if the library has no kernel {@code symbol}
     * @throws NativeCallException      if the library refuses the geometry
     */
    public void launch(String symbol, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        Pointer k = entry(symbol);
        if (k == null) {
            throw new IllegalArgumentException("the host build of the kernels (" + file + ") has no kernel '" + symbol + "'");
        }
        Memory params = args.marshal();
        try {
            int status = launch.invokeInt(new Object[] {k, new int[] {grid.x(), grid.y(), grid.z()},
                new int[] {block.x(), block.y(), block.z()}, sharedBytes, new Pointer(args.pointerArray(params))});
            if (status != 0) {
                throw new NativeCallException("jk_host_launch(" + symbol + ", grid " + grid + ", block " + block + ")",
                        "JK_HOST_BAD_GEOMETRY", status, "the host build runs 1..1024 threads per block");
            }
        } finally {
            // The kernel reads the parameter values during the call.
            Reference.reachabilityFence(params);
        }
    }

    /** The library file. */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "host build of the kernels (" + file + ")";
    }
}

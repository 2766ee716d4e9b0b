package dev.javelin.bindings.cuda;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.javelin.bindings.core.NativeCallException;
import dev.javelin.bindings.core.NativeLibraryUnavailableException;
import dev.javelin.bindings.core.NativeLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NVRTC, the CUDA runtime compiler, bound with JNA (through {@link NativeLoader#nvrtcLibrary()}): CUDA C++
 * source in, PTX or a cubin out, on a machine that has the CUDA libraries but not nvcc. Javelin uses it when
 * the driver cannot load the fatbins built with the project's nvcc (their PTX is too new for it, or no SASS
 * fits the GPU).
 *
 * <p>Why function lookups and not direct mapping: {@code nvrtcCreateProgram} takes arrays of strings, which
 * JNA's direct mapping cannot pass; a compile takes seconds, so the per-call cost of {@link Function#invoke}
 * is irrelevant here. Every program is destroyed in the call that created it.
 */
public final class Nvrtc {
    /** {@code NVRTC_SUCCESS}. */
    private static final int SUCCESS = 0;
    /** {@code NVRTC_ERROR_COMPILATION}: the source did not compile; the log says why. */
    public static final int ERROR_COMPILATION = 6;

    private static volatile Nvrtc instance;

    private final NativeLibrary lib;
    private final int major;
    private final int minor;

    private Nvrtc(NativeLibrary lib, int major, int minor) {
        this.lib = lib;
        this.major = major;
        this.minor = minor;
    }

    /**
     * The loaded NVRTC.
     *
     * @throws NativeLibraryUnavailableException if no NVRTC library can be found (with every path tried)
     */
    public static Nvrtc get() {
        Nvrtc n = instance;
        if (n != null) {
            return n;
        }
        synchronized (Nvrtc.class) {
            if (instance == null) {
                NativeLibrary lib = NativeLoader.nvrtcLibrary();
                IntByReference ma = new IntByReference();
                IntByReference mi = new IntByReference();
                int status = lib.getFunction("nvrtcVersion").invokeInt(new Object[] {ma, mi});
                if (status != SUCCESS) {
                    throw new NativeCallException("nvrtcVersion", name(lib, status), status, null);
                }
                instance = new Nvrtc(lib, ma.getValue(), mi.getValue());
            }
            return instance;
        }
    }

    /** NVRTC's version, e.g. {@code "13.0"}. */
    public String version() {
        return major + "." + minor;
    }

    /** Major version. */
    public int major() {
        return major;
    }

    /** Minor version. */
    public int minor() {
        return minor;
    }

    /**
     * What a compile produced.
     *
     * @param image the cubin (if {@code cubin}) or the NUL-terminated PTX, ready for {@code cuModuleLoadData}
     * @param cubin whether {@code image} is a cubin (SASS) rather than PTX
     * @param log   NVRTC's log (warnings), possibly empty
     */
    public record Output(byte[] image, boolean cubin, String log) {
    }

    /**
     * Compiles {@code source}. Headers are given by include name (what the source writes in
     * {@code #include "..."}) and text; nothing is read from disk. With an {@code -arch=sm_XY} option the result
     * is a cubin, with {@code -arch=compute_XY} PTX.
     *
     * @throws NativeCallException {@code NVRTC_ERROR_COMPILATION} with the compiler log as its detail when the
     *                             source does not compile, or the failing call's status otherwise
     */
    public Output compile(String source, String name, Map<String, String> headers, List<String> options) {
        List<String> includeNames = new ArrayList<>(headers.keySet());
        List<String> headerTexts = new ArrayList<>();
        for (String h : includeNames) {
            headerTexts.add(headers.get(h));
        }
        PointerByReference prog = new PointerByReference();
        // Owned: destroyed in the finally block with nvrtcDestroyProgram.
        call("nvrtcCreateProgram(" + name + ")", prog, source, name, includeNames.size(),
                includeNames.isEmpty() ? null : headerTexts.toArray(String[]::new),
                includeNames.isEmpty() ? null : includeNames.toArray(String[]::new));
        Pointer p = prog.getValue();
        try {
            int status = fn("nvrtcCompileProgram").invokeInt(new Object[] {p, options.size(),
                    options.isEmpty() ? null : options.toArray(String[]::new)});
            String log = log(p);
            if (status != SUCCESS) {
                throw new NativeCallException("nvrtcCompileProgram(" + name + ", " + String.join(" ", options) + ")",
                        name(lib, status), status, log.isBlank() ? null : log.strip());
            }
            boolean cubin = options.stream().anyMatch(o -> o.matches("(-arch|--gpu-architecture)[= ]?sm_\\d+[a-z]?"));
            String sizeFn = cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize";
            String getFn = cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX";
            LongByReference size = new LongByReference();
            call(sizeFn + "(" + name + ")", p, size);
            byte[] image = new byte[(int) size.getValue()];
            call(getFn + "(" + name + ")", p, image);
            return new Output(image, cubin, log);
        } finally {
            fn("nvrtcDestroyProgram").invokeInt(new Object[] {new PointerByReference(p)});
        }
    }

    private String log(Pointer prog) {
        LongByReference size = new LongByReference();
        if (fn("nvrtcGetProgramLogSize").invokeInt(new Object[] {prog, size}) != SUCCESS || size.getValue() <= 1) {
            return "";
        }
        byte[] text = new byte[(int) size.getValue()];
        if (fn("nvrtcGetProgramLog").invokeInt(new Object[] {prog, text}) != SUCCESS) {
            return "";
        }
        return new String(text, 0, text.length - 1, StandardCharsets.UTF_8);
    }

    private void call(String what, Object... args) {
        String fnName = what.substring(0, what.indexOf('('));
        int status = fn(fnName).invokeInt(args);
        if (status != SUCCESS) {
            throw new NativeCallException(what, name(lib, status), status, null);
        }
    }

    private Function fn(String name) {
        return lib.getFunction(name);
    }

    /** NVRTC's own name for a status ({@code nvrtcGetErrorString} returns a static string; never freed). */
    private static String name(NativeLibrary lib, int status) {
        try {
            String s = lib.getFunction("nvrtcGetErrorString").invokeString(new Object[] {status}, false);
            return s == null ? "NVRTC_ERROR_" + status : s;
        } catch (UnsatisfiedLinkError e) {
            return "NVRTC_ERROR_" + status;
        }
    }

    @Override
    public String toString() {
        return "NVRTC " + version();
    }
}

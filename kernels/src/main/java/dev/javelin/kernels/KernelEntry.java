package dev.javelin.kernels;

import static dev.javelin.bindings.cuda.KernelArgs.Kind.FLOAT32;
import static dev.javelin.bindings.cuda.KernelArgs.Kind.INT32;
import static dev.javelin.bindings.cuda.KernelArgs.Kind.INT64;
import static dev.javelin.bindings.cuda.KernelArgs.Kind.POINTER;
import static dev.javelin.bindings.cuda.KernelArgs.Kind.STRUCT;

import dev.javelin.bindings.cuda.KernelArgs;
import java.util.List;

/**
 * Every kernel entry point (an {@code extern "C" __global__} function) with its source, its parameter list as
 * the launchers marshal it, and the block size its {@code __launch_bounds__} allows. The tests check this table
 * against the PTX nvcc produced (names, parameter types and order, {@code .maxntid}) and against the host build.
 */
public enum KernelEntry {
    DQL_REDUCE_F32(KernelSource.DYNAMIC_QUANTIZE_LINEAR, "dql_reduce_f32", 256, POINTER, INT64, POINTER),
    DQL_REDUCE_F16(KernelSource.DYNAMIC_QUANTIZE_LINEAR, "dql_reduce_f16", 256, POINTER, INT64, POINTER),
    DQL_PARAMS(KernelSource.DYNAMIC_QUANTIZE_LINEAR, "dql_params", 256, POINTER, INT32, POINTER, POINTER),
    DQL_QUANTIZE_F32(KernelSource.DYNAMIC_QUANTIZE_LINEAR, "dql_quantize_f32", 256, POINTER, INT64, POINTER, POINTER, POINTER),
    DQL_QUANTIZE_F16(KernelSource.DYNAMIC_QUANTIZE_LINEAR, "dql_quantize_f16", 256, POINTER, INT64, POINTER, POINTER, POINTER),

    MATMUL_INTEGER(KernelSource.MATMUL_INTEGER, "matmul_integer", 256, POINTER, POINTER, POINTER, POINTER, POINTER, INT64, INT64,
            INT64, INT32, INT64, INT64, STRUCT),

    DFT_RADIX2_F32(KernelSource.DFT, "dft_radix2_f32", 256, POINTER, POINTER, INT64, INT32, INT32, INT32, INT32, INT32),
    DFT_RADIX2_F16(KernelSource.DFT, "dft_radix2_f16", 256, POINTER, POINTER, INT64, INT32, INT32, INT32, INT32, INT32),
    DFT_BLUESTEIN_F32(KernelSource.DFT, "dft_bluestein_f32", 256, POINTER, POINTER, INT64, INT32, INT32, INT32, INT32, INT32),
    DFT_BLUESTEIN_F16(KernelSource.DFT, "dft_bluestein_f16", 256, POINTER, POINTER, INT64, INT32, INT32, INT32, INT32, INT32),
    DFT_DIRECT_F32(KernelSource.DFT, "dft_direct_f32", 256, POINTER, POINTER, INT64, INT32, INT32, INT32, INT32, INT32),
    DFT_DIRECT_F16(KernelSource.DFT, "dft_direct_f16", 256, POINTER, POINTER, INT64, INT32, INT32, INT32, INT32, INT32),

    AFFINE_GRID_2D_F32(KernelSource.AFFINE_GRID, "affine_grid_2d_f32", 256, POINTER, POINTER, INT64, INT64, INT64, INT32),
    AFFINE_GRID_2D_F16(KernelSource.AFFINE_GRID, "affine_grid_2d_f16", 256, POINTER, POINTER, INT64, INT64, INT64, INT32),
    AFFINE_GRID_3D_F32(KernelSource.AFFINE_GRID, "affine_grid_3d_f32", 256, POINTER, POINTER, INT64, INT64, INT64, INT64, INT32),
    AFFINE_GRID_3D_F16(KernelSource.AFFINE_GRID, "affine_grid_3d_f16", 256, POINTER, POINTER, INT64, INT64, INT64, INT64, INT32),

    UNIQUE_KEYS(KernelSource.UNIQUE, "unique_keys", 256, POINTER, INT64, INT32, POINTER),
    UNIQUE_SORT_TILES(KernelSource.UNIQUE, "unique_sort_tiles", 512, POINTER, INT64),
    UNIQUE_MERGE(KernelSource.UNIQUE, "unique_merge", 256, POINTER, POINTER, INT64, INT64),
    UNIQUE_FLAGS(KernelSource.UNIQUE, "unique_flags", 256, POINTER, INT64, POINTER),
    SCAN_TILES(KernelSource.UNIQUE, "scan_tiles", 256, POINTER, INT64, POINTER),
    SCAN_SUMS(KernelSource.UNIQUE, "scan_sums", 256, POINTER, INT64),
    SCAN_ADD(KernelSource.UNIQUE, "scan_add", 256, POINTER, INT64, POINTER),
    UNIQUE_HEADS(KernelSource.UNIQUE, "unique_heads", 256, POINTER, POINTER, INT64, POINTER, POINTER),
    UNIQUE_FILL(KernelSource.UNIQUE, "unique_fill", 256, POINTER, INT64, INT64),
    UNIQUE_MARK(KernelSource.UNIQUE, "unique_mark", 256, POINTER, INT64, POINTER),
    UNIQUE_OUTPUTS(KernelSource.UNIQUE, "unique_outputs", 256, POINTER, INT32, POINTER, POINTER, POINTER, INT64, INT64, POINTER,
            POINTER, POINTER),
    UNIQUE_INVERSE(KernelSource.UNIQUE, "unique_inverse", 256, POINTER, POINTER, POINTER, POINTER, INT64, POINTER);

    private final KernelSource source;
    private final String symbol;
    private final int maxThreads;
    private final List<KernelArgs.Kind> params;

    KernelEntry(KernelSource source, String symbol, int maxThreads, KernelArgs.Kind... params) {
        this.source = source;
        this.symbol = symbol;
        this.maxThreads = maxThreads;
        this.params = List.of(params);
    }

    /** The source (module) holding the kernel. */
    public KernelSource source() {
        return source;
    }

    /** The {@code extern "C"} entry name. */
    public String symbol() {
        return symbol;
    }

    /** Threads per block allowed by the kernel's {@code __launch_bounds__}. */
    public int maxThreads() {
        return maxThreads;
    }

    /** Parameter kinds in declaration order. */
    public List<KernelArgs.Kind> params() {
        return params;
    }

    /** The entry with this symbol, or {@code null}. */
    public static KernelEntry bySymbol(String symbol) {
        for (KernelEntry e : values()) {
            if (e.symbol.equals(symbol)) {
                return e;
            }
        }
        return null;
    }
}

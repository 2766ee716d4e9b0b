// ONNX Unique (opset 11) over the flattened input (axis not given): Y (sorted ascending or in order of first
// occurrence), indices (first occurrence of each Y in X), inverse_indices (for each X, its index in Y) and
// counts. The number of unique values is data dependent, so the work is split in two passes the executor
// runs with a host read in between:
//
//  count pass: unique_keys      x -> (key, index) pairs; the key is an order-preserving 64-bit image of the
//                               value (floats: -0 == +0, every NaN equal and after +inf, as numpy does)
//              unique_sort_tiles  bitonic sort of 1024-pair tiles in shared memory (512 threads)
//              unique_merge     merge sorted runs pairwise (run, 2 run, ...) by rank: each pair finds its place
//                               in the partner run by binary search; pairs are distinct, so it is stable
//              unique_flags     1 where a new key starts
//              scan_*           inclusive prefix sum of the flags (tile scan with warp shuffles, a one-block
//                               scan of the tile sums, then the tile offsets added): seg[i] = 1 + index of
//                               sorted element i's value in the sorted Y; U = seg[n - 1]
//  fill pass:  unique_heads     start position and first index (smallest X index) of every unique value
//              (unsorted only)  unique_fill + unique_mark + scan_*: rank of each first occurrence among them
//              unique_outputs   Y, indices, counts; unique_inverse: inverse_indices
#include "jk_common.cuh"

namespace jk {

constexpr int UNIQUE_THREADS = 256;
constexpr int SORT_THREADS = 512;
constexpr int SORT_TILE = 1024;
constexpr int SCAN_THREADS = 256;
constexpr int SCAN_ITEMS = 4;
constexpr int SCAN_TILE = SCAN_THREADS * SCAN_ITEMS;

/** ONNX element types the kernels read. */
constexpr int DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_INT32 = 6, DT_INT64 = 7, DT_FLOAT16 = 10, DT_DOUBLE = 11;

struct UEntry {
    u64 key;
    i64 idx;
};

JK_HD bool entry_less(const UEntry& a, const UEntry& b) { return a.key < b.key || (a.key == b.key && a.idx < b.idx); }

constexpr u64 NAN_KEY = 0xFFFFFFFFFFFFFFFFull;

/** Order-preserving key of element i; values that compare equal get equal keys. */
JK_HD u64 unique_key(const void* x, i64 i, int dtype) {
    switch (dtype) {
        case DT_FLOAT: {
            u32 b = float_bits(((const float*) x)[i]);
            if ((b & 0x7FFFFFFFu) > 0x7F800000u) return NAN_KEY;
            if (b == 0x80000000u) b = 0;  // -0 == +0
            return (u64) ((b & 0x80000000u) ? ~b : (b | 0x80000000u));
        }
        case DT_FLOAT16: {
            u32 b = ((const u16*) x)[i];
            if ((b & 0x7FFFu) > 0x7C00u) return NAN_KEY;
            if (b == 0x8000u) b = 0;
            return (u64) ((b & 0x8000u) ? (~b & 0xFFFFu) : (b | 0x8000u));
        }
        case DT_DOUBLE: {
            u64 b = double_bits(((const double*) x)[i]);
            if ((b & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull) return NAN_KEY;
            if (b == 0x8000000000000000ull) b = 0;
            return (b & 0x8000000000000000ull) ? ~b : (b | 0x8000000000000000ull);
        }
        case DT_UINT8:
            return (u64) ((const u8*) x)[i];
        case DT_INT8:
            return (u64) (i64) ((const i8*) x)[i] ^ 0x8000000000000000ull;
        case DT_INT32:
            return (u64) (i64) ((const i32*) x)[i] ^ 0x8000000000000000ull;
        case DT_INT64:
        default:  // the launcher admits no other type
            return (u64) ((const i64*) x)[i] ^ 0x8000000000000000ull;
    }
}

/** Inclusive scan of one value per thread over a warp (whole warps call it). */
__device__ i64 warp_inclusive_scan(i64 v) {
    const unsigned lane = threadIdx.x & 31u;
    for (int d = 1; d < 32; d <<= 1) {
        const i64 o = __shfl_up_sync(0xFFFFFFFFu, v, d);
        if (lane >= (unsigned) d) {
            v += o;
        }
    }
    return v;
}

/** Exclusive scan of one value per thread over the block (every thread calls it); total gets the sum. */
__device__ i64 block_exclusive_scan(i64 v, i64* warp_sums, i64* total) {
    const unsigned lane = threadIdx.x & 31u;
    const unsigned warp = threadIdx.x >> 5;
    const i64 inc = warp_inclusive_scan(v);
    if (lane == 31) {
        warp_sums[warp] = inc;
    }
    __syncthreads();
    if (warp == 0) {
        const unsigned warps = blockDim.x >> 5;
        const i64 w = lane < warps ? warp_sums[lane] : 0;
        const i64 wi = warp_inclusive_scan(w);
        warp_sums[lane] = wi - w;  // exclusive per warp
        if (lane == 31) {
            warp_sums[32] = wi;
        }
    }
    __syncthreads();
    const i64 r = warp_sums[warp] + inc - v;
    *total = warp_sums[32];
    __syncthreads();
    return r;
}

}  // namespace jk

using jk::i64;
using jk::UEntry;

extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_keys(const void* x, long long n, int dtype, UEntry* pairs) {
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x) {
        UEntry e;
        e.key = jk::unique_key(x, i, dtype);
        e.idx = i;
        pairs[i] = e;
    }
}

/** grid = ceil(n / 1024) tiles, block = 512: sorts each tile of pairs in place. */
extern "C" __global__ void __launch_bounds__(jk::SORT_THREADS)
unique_sort_tiles(UEntry* pairs, long long n) {
    __shared__ UEntry s[jk::SORT_TILE];
    const i64 base = (i64) blockIdx.x * jk::SORT_TILE;
    for (int i = threadIdx.x; i < jk::SORT_TILE; i += blockDim.x) {
        if (base + i < n) {
            s[i] = pairs[base + i];
        } else {
            s[i].key = jk::NAN_KEY;  // padding sorts after everything (its index is larger than any real one)
            s[i].idx = 0x7FFFFFFFFFFFFFFFll;
        }
    }
    __syncthreads();
    for (int k = 2; k <= jk::SORT_TILE; k <<= 1) {
        for (int j = k >> 1; j > 0; j >>= 1) {
            for (int t = threadIdx.x; t < jk::SORT_TILE / 2; t += blockDim.x) {
                const int i = 2 * t - (t & (j - 1));
                const int p = i + j;
                const bool ascending = (i & k) == 0;
                if (jk::entry_less(s[p], s[i]) == ascending) {
                    const UEntry tmp = s[i];
                    s[i] = s[p];
                    s[p] = tmp;
                }
            }
            __syncthreads();
        }
    }
    for (int i = threadIdx.x; i < jk::SORT_TILE; i += blockDim.x) {
        if (base + i < n) {
            pairs[base + i] = s[i];
        }
    }
}

/** Merges sorted runs of length {@code run} pairwise from {@code in} into runs of 2 run in {@code out}. */
extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_merge(const UEntry* in, UEntry* out, long long n, long long run) {
    for (i64 g = (i64) blockIdx.x * blockDim.x + threadIdx.x; g < n; g += (i64) gridDim.x * blockDim.x) {
        const i64 r = g / run;
        const i64 start = r * run;
        const i64 pair_base = (r & ~1ll) * run;
        i64 lo, hi;  // the partner run
        if ((r & 1) == 0) {
            lo = start + run < n ? start + run : n;
            hi = start + 2 * run < n ? start + 2 * run : n;
        } else {
            lo = start - run;
            hi = start;
        }
        const UEntry e = in[g];
        i64 a = lo, b = hi;  // count the partner's elements below e
        while (a < b) {
            const i64 mid = a + (b - a) / 2;
            if (jk::entry_less(in[mid], e)) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        out[pair_base + (g - start) + (a - lo)] = e;
    }
}

extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_flags(const UEntry* sorted, long long n, long long* flags) {
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x) {
        flags[i] = (i == 0 || sorted[i].key != sorted[i - 1].key) ? 1 : 0;
    }
}

/** grid = ceil(n / 1024), block = 256: inclusive scan of each 1024-element tile in place; tile totals out. */
extern "C" __global__ void __launch_bounds__(jk::SCAN_THREADS)
scan_tiles(long long* data, long long n, long long* tile_sums) {
    __shared__ i64 warp_sums[33];
    const i64 base = (i64) blockIdx.x * jk::SCAN_TILE + (i64) threadIdx.x * jk::SCAN_ITEMS;
    i64 v[jk::SCAN_ITEMS];
    i64 sum = 0;
    for (int k = 0; k < jk::SCAN_ITEMS; k++) {
        v[k] = base + k < n ? data[base + k] : 0;
        sum += v[k];
    }
    i64 total;
    i64 run = jk::block_exclusive_scan(sum, warp_sums, &total);
    for (int k = 0; k < jk::SCAN_ITEMS; k++) {
        run += v[k];
        if (base + k < n) {
            data[base + k] = run;
        }
    }
    if (threadIdx.x == 0) {
        tile_sums[blockIdx.x] = total;
    }
}

/** One block: exclusive scan of the tile totals in place, 1024 at a time with a carry. */
extern "C" __global__ void __launch_bounds__(jk::SCAN_THREADS)
scan_sums(long long* tile_sums, long long tiles) {
    __shared__ i64 warp_sums[33];
    i64 carry = 0;
    for (i64 base0 = 0; base0 < tiles; base0 += jk::SCAN_TILE) {
        const i64 base = base0 + (i64) threadIdx.x * jk::SCAN_ITEMS;
        i64 v[jk::SCAN_ITEMS];
        i64 sum = 0;
        for (int k = 0; k < jk::SCAN_ITEMS; k++) {
            v[k] = base + k < tiles ? tile_sums[base + k] : 0;
            sum += v[k];
        }
        i64 total;
        i64 run = carry + jk::block_exclusive_scan(sum, warp_sums, &total);
        for (int k = 0; k < jk::SCAN_ITEMS; k++) {
            if (base + k < tiles) {
                tile_sums[base + k] = run;
            }
            run += v[k];
        }
        carry += total;
    }
}

/** Adds each tile's offset (from scan_sums) to its elements. */
extern "C" __global__ void __launch_bounds__(jk::SCAN_THREADS)
scan_add(long long* data, long long n, const long long* tile_offsets) {
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x) {
        data[i] += tile_offsets[i / jk::SCAN_TILE];
    }
}

extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_heads(const UEntry* sorted, const long long* seg, long long n, long long* head_pos, long long* first_idx) {
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x) {
        if (i == 0 || seg[i] != seg[i - 1]) {
            const i64 u = seg[i] - 1;
            head_pos[u] = i;
            first_idx[u] = sorted[i].idx;  // the smallest index of the run: pairs sort by (key, index)
        }
    }
}

extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_fill(long long* data, long long n, long long value) {
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x) {
        data[i] = value;
    }
}

extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_mark(const long long* first_idx, long long u_count, long long* mark) {
    for (i64 u = (i64) blockIdx.x * blockDim.x + threadIdx.x; u < u_count; u += (i64) gridDim.x * blockDim.x) {
        mark[first_idx[u]] = 1;
    }
}

/**
 * Y, indices and counts (each pointer may be null when the output is not wanted). {@code rank} is null for
 * sorted output; otherwise the inclusive scan of the first-occurrence marks, giving each value's position
 * in order of first occurrence.
 */
extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_outputs(const void* x, int elem_size, const long long* head_pos, const long long* first_idx,
               const long long* rank, long long u_count, long long n, void* y, long long* indices, long long* counts) {
    for (i64 u = (i64) blockIdx.x * blockDim.x + threadIdx.x; u < u_count; u += (i64) gridDim.x * blockDim.x) {
        const i64 f = first_idx[u];
        const i64 o = rank ? rank[f] - 1 : u;
        if (y) {
            const unsigned char* src = (const unsigned char*) x + f * elem_size;
            unsigned char* dst = (unsigned char*) y + o * elem_size;
            for (int b = 0; b < elem_size; b++) {
                dst[b] = src[b];  // the first occurrence's own bits (-0 stays -0, a NaN keeps its payload)
            }
        }
        if (indices) {
            indices[o] = f;
        }
        if (counts) {
            counts[o] = (u + 1 < u_count ? head_pos[u + 1] : n) - head_pos[u];
        }
    }
}

extern "C" __global__ void __launch_bounds__(jk::UNIQUE_THREADS)
unique_inverse(const UEntry* sorted, const long long* seg, const long long* first_idx, const long long* rank,
               long long n, long long* inverse) {
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64) gridDim.x * blockDim.x) {
        const i64 u = seg[i] - 1;
        inverse[sorted[i].idx] = rank ? rank[first_idx[u]] - 1 : u;
    }
}

// ONNX DFT (opset 17 and 20): a 1-D discrete Fourier transform along one axis of a real ([..., 1]) or complex
// ([..., 2]) signal, forward or inverse (scaled by 1/n), zero-padded or truncated to dft_length, optionally
// onesided (the first n/2 + 1 bins). The Java launcher reduces any axis to (outer, n, inner): a "line" is
// one (outer, inner) pair, and one block transforms one line. Arithmetic is float32 for float32 and
// float16 storage alike.
//
// Three kernels, chosen by the launcher from the length n:
//  - dft_radix2_*:    n a power of two <= 4096. Iterative radix-2 Cooley-Tukey in shared memory (bit-reversed
//                     load, log2(n) butterfly stages separated by __syncthreads, twiddles tabulated per block).
//  - dft_bluestein_*: other n <= 1024. Bluestein's chirp-z: the DFT as a circular convolution of length
//                     M = 2^ceil(log2(2n-1)) <= 2048, done with three radix-2 FFTs in shared memory.
//  - dft_direct_*:    everything longer: the O(n^2) sum, one thread per output bin, input staged through
//                     shared memory in tiles of 256. Correct for any n; a multi-pass global-memory FFT is the
//                     faster path still to write.
#include "jk_common.cuh"

namespace jk {

constexpr int DFT_THREADS = 256;
constexpr int DFT_TILE = 256;

/** The line transformed by this block, and where its input and output start. */
struct DftLine {
    i64 outer, inner;
};

JK_HD DftLine dft_line(i64 line, i64 inner) {
    DftLine l;
    l.outer = line / inner;
    l.inner = line % inner;
    return l;
}

/** Sample j of the line (0 beyond the input: zero padding); real inputs have imaginary part 0. */
template <class T>
JK_HD cf dft_load(const T* x, DftLine l, i64 inner, int n_in, int channels, i64 j) {
    if (j >= n_in) {
        return make_cf(0.0f, 0.0f);
    }
    const i64 at = ((l.outer * n_in + j) * inner + l.inner) * channels;
    return make_cf(load_f(x, at), channels == 2 ? load_f(x, at + 1) : 0.0f);
}

/** Writes bin k; the inverse divides by n the way ONNX Runtime does (component-wise division). */
template <class T>
JK_HD void dft_store(T* y, DftLine l, i64 inner, int n_out, i64 k, cf v, int n, int inverse) {
    if (inverse) {
        v = make_cf(v.x / (float) n, v.y / (float) n);
    }
    const i64 at = ((l.outer * n_out + k) * inner + l.inner) * 2;
    store_f(y, at, v.x);
    store_f(y, at + 1, v.y);
}

/** In-place iterative radix-2 FFT of the bit-reversed array s[0, n) with twiddles tw[k] = w_n^k, k < n/2. */
__device__ void fft_stages(cf* s, const cf* tw, int n) {
    for (int h = 1; h < n; h <<= 1) {
        const int tw_step = n / (2 * h);
        for (int t = threadIdx.x; t < n / 2; t += blockDim.x) {
            const int p = t & (h - 1);
            const int i0 = ((t - p) << 1) + p;
            const int i1 = i0 + h;
            const cf a = s[i0];
            const cf b = cmul(s[i1], tw[p * tw_step]);
            s[i0] = cadd(a, b);
            s[i1] = csub(a, b);
        }
        __syncthreads();
    }
}

JK_HD int log2_exact(int n) {
    int b = 0;
    while ((1 << b) < n) {
        b++;
    }
    return b;
}

template <class T>
__device__ void dft_radix2(const T* x, T* y, i64 inner, int n_in, int n, int n_out, int channels, int inverse) {
    cf* s = dynamic_shared<cf>();
    cf* tw = s + n;
    const DftLine l = dft_line(blockIdx.x, inner);
    const int sign = inverse ? 1 : -1;
    const int bits = log2_exact(n);
    for (int k = threadIdx.x; k < n / 2; k += blockDim.x) {
        tw[k] = twiddle(k, n, sign);
    }
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        s[bit_reverse((u32) j, bits)] = dft_load(x, l, inner, n_in, channels, j);
    }
    __syncthreads();
    fft_stages(s, tw, n);
    for (int k = threadIdx.x; k < n_out; k += blockDim.x) {
        dft_store(y, l, inner, n_out, k, s[k], n, inverse);
    }
}

/** The chirp c_m = exp(sign * i*pi * m^2 / n), with m^2 reduced mod 2n in integers so the angle stays exact. */
JK_HD cf chirp(i64 m, i64 n, int sign) {
    const i64 r = (m * m) % (2 * n);
    float s, c;
    sincospi_ratio(r, n, &s, &c);  // n <= 1024 here
    return make_cf(c, sign < 0 ? -s : s);
}

template <class T>
__device__ void dft_bluestein(const T* x, T* y, i64 inner, int n_in, int n, int n_out, int channels, int inverse) {
    const int M = 1 << log2_exact(2 * n - 1);
    const int bits = log2_exact(M);
    cf* a = dynamic_shared<cf>();  // M: x * c, then the convolution
    cf* b = a + M;                 // M: conj(c) arranged circularly, then its FFT
    cf* tw = b + M;                // M / 2 forward twiddles of length M
    const DftLine l = dft_line(blockIdx.x, inner);
    const int sign = inverse ? 1 : -1;

    for (int k = threadIdx.x; k < M / 2; k += blockDim.x) {
        tw[k] = twiddle(k, M, -1);
    }
    for (int j = threadIdx.x; j < M; j += blockDim.x) {
        cf av = make_cf(0.0f, 0.0f);
        if (j < n) {
            av = cmul(dft_load(x, l, inner, n_in, channels, j), chirp(j, n, sign));
        }
        cf bv = make_cf(0.0f, 0.0f);
        if (j < n) {
            bv = conj(chirp(j, n, sign));
        } else if (j > M - n) {
            bv = conj(chirp(M - j, n, sign));
        }
        const u32 r = bit_reverse((u32) j, bits);
        a[r] = av;
        b[r] = bv;
    }
    __syncthreads();
    fft_stages(a, tw, M);
    fft_stages(b, tw, M);
    // Pointwise product, conjugated: the inverse FFT is conj(FFT(conj(.))) / M. Written bit-reversed into b
    // (no longer needed) ready for the next FFT.
    for (int j = threadIdx.x; j < M; j += blockDim.x) {
        a[j] = conj(cmul(a[j], b[j]));
    }
    __syncthreads();
    for (int j = threadIdx.x; j < M; j += blockDim.x) {
        b[bit_reverse((u32) j, bits)] = a[j];
    }
    __syncthreads();
    fft_stages(b, tw, M);
    for (int k = threadIdx.x; k < n_out; k += blockDim.x) {
        const cf conv = make_cf(b[k].x / (float) M, -b[k].y / (float) M);
        dft_store(y, l, inner, n_out, k, cmul(conv, chirp(k, n, sign)), n, inverse);
    }
}

template <class T>
__device__ void dft_direct(const T* x, T* y, i64 inner, int n_in, int n, int n_out, int channels, int inverse) {
    __shared__ cf tile[DFT_TILE];
    const DftLine l = dft_line(blockIdx.x, inner);
    const int sign = inverse ? 1 : -1;
    const i64 k = (i64) blockIdx.y * blockDim.x + threadIdx.x;
    const int used = n_in < n ? n_in : n;  // samples beyond n are truncated, beyond n_in are zero
    float re = 0.0f, im = 0.0f;
    i64 r = 0;  // (j * k) mod n, advanced by k each sample
    const i64 kk = k < n ? k : 0;
    for (int j0 = 0; j0 < used; j0 += DFT_TILE) {
        const int count = used - j0 < DFT_TILE ? used - j0 : DFT_TILE;
        __syncthreads();
        if ((int) threadIdx.x < count) {
            tile[threadIdx.x] = dft_load(x, l, inner, n_in, channels, j0 + threadIdx.x);
        }
        __syncthreads();
        for (int j = 0; j < count; j++) {
            const cf v = cmul(tile[j], twiddle(r, n, sign));
            re += v.x;
            im += v.y;
            r += kk;
            if (r >= n) {
                r -= n;
            }
        }
    }
    if (k < n_out) {
        dft_store(y, l, inner, n_out, k, make_cf(re, im), n, inverse);
    }
}

}  // namespace jk

// grid = (lines), block = min(256, max(32, n/2)) threads, dynamic shared memory 12 n bytes.
extern "C" __global__ void __launch_bounds__(jk::DFT_THREADS)
dft_radix2_f32(const float* x, float* y, long long inner, int n_in, int n, int n_out, int channels, int inverse) {
    jk::dft_radix2(x, y, inner, n_in, n, n_out, channels, inverse);
}

extern "C" __global__ void __launch_bounds__(jk::DFT_THREADS)
dft_radix2_f16(const unsigned short* x, unsigned short* y, long long inner, int n_in, int n, int n_out, int channels,
               int inverse) {
    jk::dft_radix2(x, y, inner, n_in, n, n_out, channels, inverse);
}

// grid = (lines), block = 256, dynamic shared memory 20 M bytes (M = 2^ceil(log2(2n - 1))).
extern "C" __global__ void __launch_bounds__(jk::DFT_THREADS)
dft_bluestein_f32(const float* x, float* y, long long inner, int n_in, int n, int n_out, int channels, int inverse) {
    jk::dft_bluestein(x, y, inner, n_in, n, n_out, channels, inverse);
}

extern "C" __global__ void __launch_bounds__(jk::DFT_THREADS)
dft_bluestein_f16(const unsigned short* x, unsigned short* y, long long inner, int n_in, int n, int n_out, int channels,
                  int inverse) {
    jk::dft_bluestein(x, y, inner, n_in, n, n_out, channels, inverse);
}

// grid = (lines, ceil(n_out / 256)), block = 256.
extern "C" __global__ void __launch_bounds__(jk::DFT_THREADS)
dft_direct_f32(const float* x, float* y, long long inner, int n_in, int n, int n_out, int channels, int inverse) {
    jk::dft_direct(x, y, inner, n_in, n, n_out, channels, inverse);
}

extern "C" __global__ void __launch_bounds__(jk::DFT_THREADS)
dft_direct_f16(const unsigned short* x, unsigned short* y, long long inner, int n_in, int n, int n_out, int channels,
               int inverse) {
    jk::dft_direct(x, y, inner, n_in, n, n_out, channels, inverse);
}

// Shared by every Javelin kernel source. Three compilers read this file:
//  - nvcc at build time (fatbins), and NVRTC at run time (the fallback): __CUDACC__ is defined, and
//    __CUDA_ARCH__ in the device pass;
//  - g++ for the host build (kernels/src/main/host, shipped for the CPU emulation of partition plans and
//    used by the tests): the prelude jk_host_prelude.hpp is force-included first and maps the CUDA
//    keywords, threadIdx & co., __syncthreads and the warp shuffles onto one host thread per CUDA thread.
// So nothing here includes a system header (NVRTC has none), and every per-element formula is a
// __host__ __device__ function: the host build runs the same arithmetic the GPU does.
#pragma once

#define JK_HD __host__ __device__ __forceinline__

namespace jk {

typedef signed char i8;
typedef unsigned char u8;
typedef unsigned short u16;
typedef int i32;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;

/** A complex number in single precision (float2 without depending on CUDA's vector headers). */
struct alignas(8) cf {
    float x, y;
};

JK_HD cf make_cf(float re, float im) {
    cf c;
    c.x = re;
    c.y = im;
    return c;
}
JK_HD cf cadd(cf a, cf b) { return make_cf(a.x + b.x, a.y + b.y); }
JK_HD cf csub(cf a, cf b) { return make_cf(a.x - b.x, a.y - b.y); }
JK_HD cf cmul(cf a, cf b) { return make_cf(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
JK_HD cf conj(cf a) { return make_cf(a.x, -a.y); }

// ---------------------------------------------------------------------------------------------
// Bit casts.

JK_HD u32 float_bits(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    u32 u;
    __builtin_memcpy(&u, &f, 4);
    return u;
#endif
}

JK_HD float bits_float(u32 u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
#endif
}

JK_HD u64 double_bits(double d) {
#ifdef __CUDA_ARCH__
    return (u64) __double_as_longlong(d);
#else
    u64 u;
    __builtin_memcpy(&u, &d, 8);
    return u;
#endif
}

JK_HD float inf() { return bits_float(0x7F800000u); }

JK_HD bool is_nan(float f) { return (float_bits(f) & 0x7FFFFFFFu) > 0x7F800000u; }

// ---------------------------------------------------------------------------------------------
// IEEE binary16 <-> binary32, round to nearest even. The GPU uses the cvt instructions; the host build a
// bit-exact software version (checked against ONNX Runtime's Cast in the tests).

JK_HD float half_to_float(u16 h) {
#ifdef __CUDA_ARCH__
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
#else
    u32 sign = ((u32) h & 0x8000u) << 16;
    u32 e = ((u32) h >> 10) & 0x1Fu;
    u32 m = (u32) h & 0x3FFu;
    if (e == 0) {
        float v = (float) m * 5.9604644775390625e-8f;  // m * 2^-24, exact
        return sign ? -v : v;
    }
    if (e == 31) {
        return bits_float(sign | 0x7F800000u | (m << 13));
    }
    return bits_float(sign | ((e + 112u) << 23) | (m << 13));
#endif
}

JK_HD u16 float_to_half(float f) {
#ifdef __CUDA_ARCH__
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
#else
    u32 x = float_bits(f);
    u32 sign = (x >> 16) & 0x8000u;
    u32 ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) {
        return (u16) (sign | 0x7E00u | ((ax >> 13) & 0x3FFu));  // NaN stays NaN (quiet bit set)
    }
    if (ax >= 0x477FF000u) {
        return (u16) (sign | 0x7C00u);  // >= 65520 rounds to infinity
    }
    if (ax >= 0x38800000u) {  // normal half: rebias the exponent, round the mantissa from 23 to 10 bits
        u32 r = ax - (112u << 23);
        return (u16) (sign | ((r + 0x0FFFu + ((r >> 13) & 1u)) >> 13));
    }
    if (ax < 0x33000000u) {
        return (u16) sign;  // below half the smallest subnormal: zero
    }
    u32 e = ax >> 23;
    u32 m = (ax & 0x7FFFFFu) | 0x800000u;
    u32 shift = 126u - e;  // value in units of 2^-24 is m >> shift
    u32 q = m >> shift;
    u32 rem = m & ((1u << shift) - 1u);
    u32 half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) {
        q++;
    }
    return (u16) (sign | q);
#endif
}

// ---------------------------------------------------------------------------------------------
// Element loads and stores for the two float storage types the kernels take.

JK_HD float load_f(const float* p, i64 i) { return p[i]; }
JK_HD float load_f(const u16* p, i64 i) { return half_to_float(p[i]); }
JK_HD void store_f(float* p, i64 i, float v) { p[i] = v; }
JK_HD void store_f(u16* p, i64 i, float v) { p[i] = float_to_half(v); }

// ---------------------------------------------------------------------------------------------
// Arithmetic whose rounding must not depend on the compiler: nvcc contracts a*b+c into an FMA by default,
// which would make the GPU differ from ONNX Runtime (and from the host build) in the last bit where the
// reference rounds twice. These force separate roundings.

JK_HD float mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}

JK_HD float add_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

/** Reverses the low {@code bits} bits of {@code v} (bits <= 31; 0 gives 0). */
JK_HD u32 bit_reverse(u32 v, int bits) {
    if (bits == 0) {
        return 0;
    }
#ifdef __CUDA_ARCH__
    return __brev(v) >> (32 - bits);
#else
    u32 r = 0;
    for (int b = 0; b < bits; b++) {
        r = (r << 1) | ((v >> b) & 1u);
    }
    return r;
#endif
}

/**
 * sin(pi r / n) and cos(pi r / n) for integers 0 <= r < 2^24, 0 < n < 2^24, in single precision but nearly as
 * accurate as rounding the exact values once: x = r / n is rounded to float, the rounding error d = r/n - x is
 * recovered exactly with an FMA (r - x n is representable), and sincospif(x) is corrected to first order
 * (pi d is below 2^-23). Cheap on every GPU, where a double-precision sincospi runs at 1/64 rate on most
 * consumer parts.
 */
JK_HD void sincospi_ratio(i64 r, i64 n, float* s, float* c) {
    const float fr = (float) r;
    const float fn = (float) n;
    const float x = fr / fn;
    const float d = fmaf(-x, fn, fr) / fn;
    float s0, c0;
    sincospif(x, &s0, &c0);
    const float pd = 3.14159265358979f * d;
    *s = fmaf(pd, c0, s0);
    *c = fmaf(-pd, s0, c0);
}

/** exp(sign * 2*pi*i * r / n) for 0 <= r < n; float arithmetic for n < 2^23, double precision beyond. */
JK_HD cf twiddle(i64 r, i64 n, int sign) {
    float s, c;
    if (n < (1 << 23)) {
        sincospi_ratio(2 * r, n, &s, &c);
    } else {
        double sd, cd;
        sincospi(2.0 * (double) r / (double) n, &sd, &cd);
        s = (float) sd;
        c = (float) cd;
    }
    return make_cf(c, sign < 0 ? -s : s);
}

// ---------------------------------------------------------------------------------------------
// Warp and block reductions. Every thread of the block calls block_reduce (it contains __syncthreads);
// warp_reduce is called by whole warps.

struct MinOp {
    // std::min(a, b) as ONNX Runtime uses it: b if b < a, else a (a NaN b is ignored).
    __device__ float operator()(float a, float b) const { return b < a ? b : a; }
};

struct MaxOp {
    // std::max(a, b): b if a < b, else a.
    __device__ float operator()(float a, float b) const { return a < b ? b : a; }
};

template <class T, class Op>
__device__ T warp_reduce(T v, Op op) {
    for (int d = 16; d > 0; d >>= 1) {
        v = op(v, __shfl_down_sync(0xFFFFFFFFu, v, d));
    }
    return v;
}

/**
 * Reduces one value per thread over the block (blockDim.x a multiple of 32, at most 1024); every thread
 * gets the result. {@code scratch} is 32 elements of shared memory.
 */
template <class T, class Op>
__device__ T block_reduce(T v, Op op, T identity, T* scratch) {
    const unsigned lane = threadIdx.x & 31u;
    const unsigned warp = threadIdx.x >> 5;
    v = warp_reduce(v, op);
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    const unsigned warps = blockDim.x >> 5;
    if (warp == 0) {
        T w = lane < warps ? scratch[lane] : identity;
        w = warp_reduce(w, op);
        if (lane == 0) {
            scratch[0] = w;
        }
    }
    __syncthreads();
    T r = scratch[0];
    __syncthreads();  // scratch may be reused right after
    return r;
}

/** The dynamic shared memory of the launch (the sharedMemBytes given to cuLaunchKernel). */
template <class T>
__device__ T* dynamic_shared() {
#ifdef JK_HOST_BUILD
    return reinterpret_cast<T*>(jk_host_dynamic_shared());
#else
    extern __shared__ unsigned long long jk_dynamic_smem[];  // one declaration for all types: 8-byte aligned
    return reinterpret_cast<T*>(jk_dynamic_smem);
#endif
}

}  // namespace jk

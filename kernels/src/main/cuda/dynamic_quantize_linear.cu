// ONNX DynamicQuantizeLinear (opset 11): y = saturate(round(x / y_scale) + y_zero_point) to uint8, with
// y_scale and y_zero_point computed from the range of x (extended to include 0).
//
// Three launches: dql_reduce_* (grid-stride block reduction of min/max: one (min, max) pair per block),
// dql_params (one block folds the pairs and writes y_scale / y_zero_point), dql_quantize_* (element-wise).
// Rounding and saturation follow ONNX Runtime's CPU kernel exactly (GetQuantizationParameter + MLAS
// QuantizeLinear), including its two edge rules: an all-zero input gets scale 1 (not 0/0), and NaN elements
// are skipped by min/max and quantize to 0.
#include "jk_common.cuh"

namespace jk {

constexpr int DQL_THREADS = 256;

/** y_scale and y_zero_point from the range [mn, mx] of the input; the arithmetic of ONNX Runtime's uint8 path. */
JK_HD void dql_params_from_range(float mn, float mx, float* scale, u8* zero_point) {
    mn = 0.0f < mn ? 0.0f : mn;  // std::min(min, 0.0f)
    mx = mx < 0.0f ? 0.0f : mx;  // std::max(max, 0.0f)
    const float s = mx == mn ? 1.0f : (mx - mn) / 255.0f;
    const float initial = 0.0f - mn / s;
    float c = initial < 255.0f ? initial : 255.0f;  // std::min(255.f, initial): a NaN initial gives 255
    c = 0.0f < c ? c : 0.0f;                        // std::max(0.f, c)
    *scale = s;
    *zero_point = (u8) rintf(c);                    // round half to even
}

/** One element: round(x / scale) + zero_point, saturated to [0, 255]; NaN gives 0. */
JK_HD u8 dql_quantize_one(float x, float scale, u8 zero_point) {
    const float v = rintf(x / scale) + (float) zero_point;
    return (u8) (v >= 0.0f ? (v <= 255.0f ? v : 255.0f) : 0.0f);
}

template <class T>
__device__ void dql_reduce(const T* x, i64 n, float* partials) {
    __shared__ float scratch[32];
    float mn = inf();
    float mx = -inf();
    const i64 stride = (i64) gridDim.x * blockDim.x;
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float v = load_f(x, i);
        mn = MinOp()(mn, v);
        mx = MaxOp()(mx, v);
    }
    mn = block_reduce(mn, MinOp(), inf(), scratch);
    mx = block_reduce(mx, MaxOp(), -inf(), scratch);
    if (threadIdx.x == 0) {
        partials[2 * blockIdx.x] = mn;
        partials[2 * blockIdx.x + 1] = mx;
    }
}

template <class T>
__device__ void dql_quantize(const T* x, i64 n, const float* scale, const u8* zero_point, u8* y) {
    const float s = *scale;
    const u8 zp = *zero_point;
    const i64 stride = (i64) gridDim.x * blockDim.x;
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = dql_quantize_one(load_f(x, i), s, zp);
    }
}

}  // namespace jk

extern "C" __global__ void __launch_bounds__(jk::DQL_THREADS)
dql_reduce_f32(const float* x, long long n, float* partials) {
    jk::dql_reduce(x, n, partials);
}

extern "C" __global__ void __launch_bounds__(jk::DQL_THREADS)
dql_reduce_f16(const unsigned short* x, long long n, float* partials) {
    jk::dql_reduce(x, n, partials);
}

/** One block: folds {@code count} (min, max) pairs and writes y_scale[0] and y_zero_point[0]. */
extern "C" __global__ void __launch_bounds__(jk::DQL_THREADS)
dql_params(const float* partials, int count, float* y_scale, unsigned char* y_zero_point) {
    __shared__ float scratch[32];
    float mn = jk::inf();
    float mx = -jk::inf();
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        mn = jk::MinOp()(mn, partials[2 * i]);
        mx = jk::MaxOp()(mx, partials[2 * i + 1]);
    }
    mn = jk::block_reduce(mn, jk::MinOp(), jk::inf(), scratch);
    mx = jk::block_reduce(mx, jk::MaxOp(), -jk::inf(), scratch);
    if (threadIdx.x == 0) {
        jk::dql_params_from_range(mn, mx, y_scale, y_zero_point);
    }
}

extern "C" __global__ void __launch_bounds__(jk::DQL_THREADS)
dql_quantize_f32(const float* x, long long n, const float* y_scale, const unsigned char* y_zero_point, unsigned char* y) {
    jk::dql_quantize(x, n, y_scale, y_zero_point, y);
}

extern "C" __global__ void __launch_bounds__(jk::DQL_THREADS)
dql_quantize_f16(const unsigned short* x, long long n, const float* y_scale, const unsigned char* y_zero_point,
                 unsigned char* y) {
    jk::dql_quantize(x, n, y_scale, y_zero_point, y);
}

// ONNX AffineGrid (opset 20): for each batch item, the sampling grid theta @ [x, y, (z,) 1] over the
// normalised output coordinates. One thread per output point (grid-stride).
//
// The base coordinates and the matrix product round the way ONNX Runtime's CPU kernel does (Eigen's
// LinSpaced(-1, 1), scaled by (size-1)/size when align_corners is 0; then R * p + t with separate
// roundings), so the GPU agrees with it to the last bit or nearly, including on one-point axes.
#include "jk_common.cuh"

namespace jk {

constexpr int AFFINE_THREADS = 256;

/** Coordinate i of a dimension of {@code size} points in [-1, 1]. */
JK_HD float affine_base(i64 i, i64 size, int align_corners) {
    float v;
    if (size == 1) {
        // A one-point axis is degenerate and implementations disagree: ONNX Runtime (Eigen's LinSpaced of one
        // point is its high end) gives 1 with align_corners and 0 without, the ONNX reference -1 and 0, PyTorch 0.
        // Javelin follows ONNX Runtime, whose whole-model results partitioned plans are checked against.
        v = 1.0f;
    } else if (i == size - 1) {
        v = 1.0f;
    } else {
        const float step = 2.0f / (float) (size - 1);
        v = add_rn(-1.0f, mul_rn((float) i, step));
    }
    if (!align_corners) {
        v = mul_rn(v, (float) (size - 1)) / (float) size;
    }
    return v;
}

template <class T>
__device__ void affine_grid_2d(const T* theta, T* grid, i64 N, i64 H, i64 W, int align_corners) {
    const i64 total = N * H * W;
    const i64 stride = (i64) gridDim.x * blockDim.x;
    for (i64 p = (i64) blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
        const i64 w = p % W;
        const i64 h = (p / W) % H;
        const i64 n = p / (W * H);
        const float x = affine_base(w, W, align_corners);
        const float y = affine_base(h, H, align_corners);
        const T* t = theta + n * 6;
        store_f(grid, 2 * p, add_rn(add_rn(mul_rn(load_f(t, 0), x), mul_rn(load_f(t, 1), y)), load_f(t, 2)));
        store_f(grid, 2 * p + 1, add_rn(add_rn(mul_rn(load_f(t, 3), x), mul_rn(load_f(t, 4), y)), load_f(t, 5)));
    }
}

template <class T>
__device__ void affine_grid_3d(const T* theta, T* grid, i64 N, i64 D, i64 H, i64 W, int align_corners) {
    const i64 total = N * D * H * W;
    const i64 stride = (i64) gridDim.x * blockDim.x;
    for (i64 p = (i64) blockIdx.x * blockDim.x + threadIdx.x; p < total; p += stride) {
        const i64 w = p % W;
        const i64 h = (p / W) % H;
        const i64 d = (p / (W * H)) % D;
        const i64 n = p / (W * H * D);
        const float x = affine_base(w, W, align_corners);
        const float y = affine_base(h, H, align_corners);
        const float z = affine_base(d, D, align_corners);
        const T* t = theta + n * 12;
        for (int r = 0; r < 3; r++) {
            const float v = add_rn(add_rn(add_rn(mul_rn(load_f(t, 4 * r), x), mul_rn(load_f(t, 4 * r + 1), y)),
                                          mul_rn(load_f(t, 4 * r + 2), z)),
                                   load_f(t, 4 * r + 3));
            store_f(grid, 3 * p + r, v);
        }
    }
}

}  // namespace jk

extern "C" __global__ void __launch_bounds__(jk::AFFINE_THREADS)
affine_grid_2d_f32(const float* theta, float* grid, long long N, long long H, long long W, int align_corners) {
    jk::affine_grid_2d(theta, grid, N, H, W, align_corners);
}

extern "C" __global__ void __launch_bounds__(jk::AFFINE_THREADS)
affine_grid_2d_f16(const unsigned short* theta, unsigned short* grid, long long N, long long H, long long W,
                   int align_corners) {
    jk::affine_grid_2d(theta, grid, N, H, W, align_corners);
}

extern "C" __global__ void __launch_bounds__(jk::AFFINE_THREADS)
affine_grid_3d_f32(const float* theta, float* grid, long long N, long long D, long long H, long long W,
                   int align_corners) {
    jk::affine_grid_3d(theta, grid, N, D, H, W, align_corners);
}

extern "C" __global__ void __launch_bounds__(jk::AFFINE_THREADS)
affine_grid_3d_f16(const unsigned short* theta, unsigned short* grid, long long N, long long D, long long H,
                   long long W, int align_corners) {
    jk::affine_grid_3d(theta, grid, N, D, H, W, align_corners);
}

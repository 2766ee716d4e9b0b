// ONNX MatMulInteger (opset 10): Y = (A - a_zero_point) @ (B - b_zero_point) with int32 accumulation, A and B
// uint8 or int8, numpy-style batch broadcasting. a_zero_point is a scalar or per row of A (shape [M] or
// [..., M, 1]); b_zero_point a scalar or per column of B ([N] or [..., 1, N]).
//
// Tiled GEMM: a 256-thread block computes a 64x64 tile of Y, each thread a 4x4 sub-tile, stepping through K
// in slices of 16 staged in shared memory with the zero points already subtracted (as int32, so the inner
// loop is a plain multiply-add). Accumulation wraps modulo 2^32 like ONNX Runtime's int32 GEMM.
#include "jk_common.cuh"

namespace jk {

constexpr int MMI_BM = 64;
constexpr int MMI_BN = 64;
constexpr int MMI_BK = 16;
constexpr int MMI_THREADS = 256;  // 16 x 16, 4 x 4 outputs each

/** Flags bits. */
constexpr int MMI_A_SIGNED = 1;
constexpr int MMI_B_SIGNED = 2;

/**
 * Up to four broadcast batch dimensions (outermost first; unused ones have size 1) and, per dimension, the
 * element stride of A, B and the two zero-point tensors (0 where that operand is broadcast). Passed by value.
 */
struct MmiBatch {
    i64 dims[4];
    i64 a[4];
    i64 b[4];
    i64 za[4];
    i64 zb[4];
};

JK_HD int load_q(const u8* p, i64 i, bool is_signed) { return is_signed ? (int) (i8) p[i] : (int) p[i]; }

/** One product term; unsigned so that int32 wrap-around is defined on the host too. */
JK_HD u32 mac(u32 acc, int a, int b) { return acc + (u32) (a * b); }

__device__ void matmul_integer(const u8* A, const u8* B, const u8* a_zp, const u8* b_zp, i32* Y, i64 M, i64 N, i64 K,
                               int flags, i64 za_row_stride, i64 zb_col_stride, const MmiBatch& batch) {
    __shared__ int As[MMI_BK][MMI_BM];
    __shared__ int Bs[MMI_BK][MMI_BN];
    const bool a_signed = (flags & MMI_A_SIGNED) != 0;
    const bool b_signed = (flags & MMI_B_SIGNED) != 0;

    // Batch item -> offsets of A, B and the zero points.
    i64 z = blockIdx.z;
    i64 off_a = 0, off_b = 0, off_za = 0, off_zb = 0;
    for (int d = 3; d >= 0; d--) {
        const i64 idx = z % batch.dims[d];
        z /= batch.dims[d];
        off_a += idx * batch.a[d];
        off_b += idx * batch.b[d];
        off_za += idx * batch.za[d];
        off_zb += idx * batch.zb[d];
    }
    const i64 off_y = (i64) blockIdx.z * M * N;

    const int t = threadIdx.x;
    const int tx = t & 15;
    const int ty = t >> 4;
    const i64 m0 = (i64) blockIdx.y * MMI_BM;
    const i64 n0 = (i64) blockIdx.x * MMI_BN;

    u32 acc[4][4];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            acc[i][j] = 0;
        }
    }

    for (i64 k0 = 0; k0 < K; k0 += MMI_BK) {
        // Stage A[m0:m0+64, k0:k0+16] (as As[k][m]) and B[k0:k0+16, n0:n0+64], zero points subtracted,
        // zeros outside the matrices.
        for (int e = t; e < MMI_BM * MMI_BK; e += MMI_THREADS) {
            const int mm = e / MMI_BK;
            const int kk = e % MMI_BK;
            const i64 m = m0 + mm;
            const i64 k = k0 + kk;
            int v = 0;
            if (m < M && k < K) {
                const int za = a_zp ? load_q(a_zp, off_za + m * za_row_stride, a_signed) : 0;
                v = load_q(A, off_a + m * K + k, a_signed) - za;
            }
            As[kk][mm] = v;
        }
        for (int e = t; e < MMI_BK * MMI_BN; e += MMI_THREADS) {
            const int kk = e / MMI_BN;
            const int nn = e % MMI_BN;
            const i64 k = k0 + kk;
            const i64 n = n0 + nn;
            int v = 0;
            if (k < K && n < N) {
                const int zb = b_zp ? load_q(b_zp, off_zb + n * zb_col_stride, b_signed) : 0;
                v = load_q(B, off_b + k * N + n, b_signed) - zb;
            }
            Bs[kk][nn] = v;
        }
        __syncthreads();
        for (int kk = 0; kk < MMI_BK; kk++) {
            int a[4], b[4];
            for (int i = 0; i < 4; i++) {
                a[i] = As[kk][ty + 16 * i];  // rows ty, ty+16, ...: a warp reads 2 addresses (broadcast)
                b[i] = Bs[kk][tx + 16 * i];  // columns tx, tx+16, ...: consecutive banks, no conflict
            }
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    acc[i][j] = mac(acc[i][j], a[i], b[j]);
                }
            }
        }
        __syncthreads();
    }

    for (int i = 0; i < 4; i++) {
        const i64 m = m0 + ty + 16 * i;
        if (m >= M) {
            continue;
        }
        for (int j = 0; j < 4; j++) {
            const i64 n = n0 + tx + 16 * j;
            if (n < N) {
                Y[off_y + m * N + n] = (i32) acc[i][j];
            }
        }
    }
}

}  // namespace jk

/**
 * grid = (ceil(N / 64), ceil(M / 64), batch items), block = 256. A zero-point pointer may be null (zero).
 */
extern "C" __global__ void __launch_bounds__(jk::MMI_THREADS)
matmul_integer(const unsigned char* A, const unsigned char* B, const unsigned char* a_zero_point,
               const unsigned char* b_zero_point, int* Y, long long M, long long N, long long K, int flags,
               long long a_zero_point_row_stride, long long b_zero_point_col_stride, jk::MmiBatch batch) {
    jk::matmul_integer(A, B, a_zero_point, b_zero_point, Y, M, N, K, flags, a_zero_point_row_stride,
                       b_zero_point_col_stride, batch);
}

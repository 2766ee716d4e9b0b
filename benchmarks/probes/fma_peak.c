/*
 * The FP32 FMA peak of one core: 12 independent AVX-512 FMA chains (enough to cover the FMA latency on two
 * ports), 400M iterations. What GemmCeiling's GEMM rates are held against in benchmarks/README.md.
 *
 *   gcc -O2 -mavx512f -mfma benchmarks/probes/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

int main(void) {
    __m512 acc[12];
    const __m512 m = _mm512_set1_ps(0.999999f);
    const __m512 c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) {
        acc[i] = _mm512_set1_ps((float) i);
    }
    const long iterations = 400000000L;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long k = 0; k < iterations; k++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) {
            acc[i] = _mm512_fmadd_ps(acc[i], m, c);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    float sum = 0; /* printed so the chains cannot be optimized away */
    for (int i = 0; i < 12; i++) {
        sum += _mm512_reduce_add_ps(acc[i]);
    }
    printf("%.1f GFLOP/s per core (%.3f s, checksum %f)\n", iterations * 12.0 * 16 * 2 / seconds / 1e9, seconds, sum);
    return 0;
}

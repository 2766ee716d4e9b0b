// Force-included before the kernel sources when g++ builds them for the host (the tests' "host build").
// It turns CUDA C++ into plain C++: the keywords disappear, __shared__ variables become function statics
// (one block runs at a time and launches are serialised, so "one copy per block" holds), and threadIdx,
// blockIdx, blockDim, gridDim, __syncthreads and the warp shuffles read the state of the emulated CUDA
// thread running on the current host thread (see kernels_host.cpp: one host thread per CUDA thread, a
// std::barrier per block for __syncthreads and one per warp for the shuffles).
#pragma once

#define JK_HOST_BUILD 1

#include <barrier>
#include <cmath>
#include <cstring>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) alignas(n)

namespace jk_host {

struct Dim {
    unsigned x, y, z;
};

struct Warp {
    std::barrier<>* bar;
    unsigned size;
    alignas(16) unsigned char slot[32][16];
};

struct Block {
    std::barrier<>* bar;
    Warp warps[32];
    unsigned char* dynamic;
};

struct Thread {
    Dim tid, bid, bdim, gdim;  // threadIdx, blockIdx, blockDim, gridDim
    unsigned linear;
    Block* block;
};

extern thread_local Thread* current;

enum ShuffleMode { DOWN, UP, XOR };

/** A warp shuffle: every live lane of the warp publishes its value, then reads its source lane's. */
template <class T>
T shuffle(T v, unsigned arg, ShuffleMode mode) {
    static_assert(sizeof(T) <= 16, "shuffle of a value wider than 16 bytes");
    Thread* t = current;
    Warp& w = t->block->warps[t->linear / 32];
    const unsigned lane = t->linear % 32;
    std::memcpy(w.slot[lane], &v, sizeof(T));
    w.bar->arrive_and_wait();
    unsigned src = lane;
    if (mode == DOWN && lane + arg < 32) src = lane + arg;
    if (mode == UP && lane >= arg) src = lane - arg;
    if (mode == XOR && (lane ^ arg) < 32) src = lane ^ arg;
    T r = v;
    if (src < w.size) std::memcpy(&r, w.slot[src], sizeof(T));
    w.bar->arrive_and_wait();
    return r;
}

}  // namespace jk_host

#define threadIdx (jk_host::current->tid)
#define blockIdx (jk_host::current->bid)
#define blockDim (jk_host::current->bdim)
#define gridDim (jk_host::current->gdim)

inline void __syncthreads() { jk_host::current->block->bar->arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xFFFFFFFFu) {
    jk_host::Thread* t = jk_host::current;
    t->block->warps[t->linear / 32].bar->arrive_and_wait();
}

template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta) { return jk_host::shuffle(v, delta, jk_host::DOWN); }
template <class T>
T __shfl_up_sync(unsigned, T v, unsigned delta) { return jk_host::shuffle(v, delta, jk_host::UP); }
template <class T>
T __shfl_xor_sync(unsigned, T v, unsigned mask) { return jk_host::shuffle(v, mask, jk_host::XOR); }

inline void* jk_host_dynamic_shared() { return jk_host::current->block->dynamic; }

/** CUDA's sincospi: sin and cos of pi * x, with the argument reduced exactly to [-1/4, 1/4] first. */
inline void sincospi(double x, double* s, double* c) {
    double r = std::fmod(x, 2.0);
    if (r < 0) r += 2.0;
    const double q = std::nearbyint(r * 2.0);
    const double f = r - q * 0.5;
    const double sf = std::sin(M_PI * f), cf = std::cos(M_PI * f);
    switch (((long long) q) & 3) {
        case 0: *s = sf; *c = cf; break;
        case 1: *s = cf; *c = -sf; break;
        case 2: *s = -sf; *c = -cf; break;
        default: *s = -cf; *c = sf; break;
    }
}

inline void sincospif(float x, float* s, float* c) {
    double sd, cd;
    sincospi((double) x, &sd, &cd);
    *s = (float) sd;
    *c = (float) cd;
}

// The host build of Javelin's kernels: the .cu sources compiled by g++ (with jk_host_prelude.hpp
// force-included) into a shared library loaded with JNA. The main build ships it as a class-path resource
// (kernels/src/build/BuildHostKernels.java), which the runtime's CPU emulation of partition plans runs kernel
// nodes on; the kernels tests build it again with -DJK_HOST_TEST_ENTRIES (adding the block-primitive test
// kernels below) and call it directly or through the fake libcuda.
//
// A launch runs the grid block after block on a team of host threads, one per CUDA thread of the block;
// each block gets a fresh std::barrier (for __syncthreads) and one per warp (for shuffles). A thread that
// returns drops out of both, as an exited CUDA thread stops counting for barriers. Launches are serialised.
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "dynamic_quantize_linear.cu"
#include "matmul_integer.cu"
#include "dft.cu"
#include "affine_grid.cu"
#include "unique.cu"

thread_local jk_host::Thread* jk_host::current = nullptr;

namespace {

std::mutex launch_mutex;

void run_grid(const unsigned* grid, const unsigned* block, unsigned smem, const std::function<void()>& body) {
    const unsigned team_size = block[0] * block[1] * block[2];
    const unsigned long long blocks = (unsigned long long) grid[0] * grid[1] * grid[2];
    jk_host::Block blk{};
    std::vector<unsigned char> dynamic(smem + 16);
    blk.dynamic = dynamic.data() + (16 - (reinterpret_cast<uintptr_t>(dynamic.data()) & 15)) % 16;
    const unsigned warps = (team_size + 31) / 32;
    std::barrier<> team(team_size);

    auto worker = [&](unsigned linear) {
        jk_host::Thread me{};
        me.tid = {linear % block[0], (linear / block[0]) % block[1], linear / (block[0] * block[1])};
        me.bdim = {block[0], block[1], block[2]};
        me.gdim = {grid[0], grid[1], grid[2]};
        me.linear = linear;
        me.block = &blk;
        jk_host::Thread* saved = jk_host::current;
        jk_host::current = &me;
        for (unsigned long long b = 0; b < blocks; b++) {
            if (linear == 0) {
                delete blk.bar;
                blk.bar = new std::barrier<>(team_size);
                for (unsigned w = 0; w < warps; w++) {
                    delete blk.warps[w].bar;
                    blk.warps[w].size = w + 1 < warps ? 32 : team_size - 32 * w;
                    blk.warps[w].bar = new std::barrier<>(blk.warps[w].size);
                }
            }
            team.arrive_and_wait();
            me.bid = {(unsigned) (b % grid[0]), (unsigned) ((b / grid[0]) % grid[1]),
                           (unsigned) (b / ((unsigned long long) grid[0] * grid[1]))};
            body();
            blk.bar->arrive_and_drop();
            blk.warps[linear / 32].bar->arrive_and_drop();
            team.arrive_and_wait();
        }
        jk_host::current = saved;
    };
    std::vector<std::thread> threads;
    threads.reserve(team_size);
    for (unsigned t = 1; t < team_size; t++) {
        threads.emplace_back(worker, t);
    }
    worker(0);
    for (std::thread& t : threads) {
        t.join();
    }
    delete blk.bar;
    for (unsigned w = 0; w < warps; w++) {
        delete blk.warps[w].bar;
    }
}

// A kernel entry and its parameter list, taken from its C signature: the same signature nvcc gives the PTX
// entry, so unpacking kernelParams here is what the GPU's parameter space holds.
struct Entry {
    const char* name;
    int count;
    int sizes[32];
    int pointers[32];
    void (*invoke)(void**);
};

template <auto F>
struct Invoker;

template <class... A, void (*F)(A...)>
struct Invoker<F> {
    template <std::size_t... I>
    static void call(void** p, std::index_sequence<I...>) {
        F(*static_cast<std::remove_cv_t<A>*>(p[I])...);
    }
    static void invoke(void** p) { call(p, std::index_sequence_for<A...>{}); }
    static Entry entry(const char* name) {
        Entry e{name, (int) sizeof...(A), {(int) sizeof(A)...}, {(int) std::is_pointer_v<A>...}, &invoke};
        return e;
    }
};

#define JK_ENTRY(f) Invoker<&f>::entry(#f)

#ifdef JK_HOST_TEST_ENTRIES
// --- Test-only kernels: block-cooperative primitives at arbitrary block sizes (not in the shipped build). ---

/** out[b] = min and max over the block's slice via jk::block_reduce, for any blockDim.x multiple of 32. */
extern "C" void jk_test_block_minmax(const float* x, long long n, float* out) {
    __shared__ float scratch[32];
    const long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    const float v = i < n ? x[i] : jk::inf();
    const float w = i < n ? x[i] : -jk::inf();
    const float mn = jk::block_reduce(v, jk::MinOp(), jk::inf(), scratch);
    const float mx = jk::block_reduce(w, jk::MaxOp(), -jk::inf(), scratch);
    if (threadIdx.x == 0) {
        out[2 * blockIdx.x] = mn;
        out[2 * blockIdx.x + 1] = mx;
    }
}

/** Exclusive block scan of one value per thread (any blockDim.x multiple of 32); out gets it plus the total. */
extern "C" void jk_test_block_scan(const long long* x, long long* out, long long* total) {
    __shared__ long long sums[33];
    long long t;
    out[threadIdx.x] = jk::block_exclusive_scan(x[threadIdx.x], sums, &t);
    if (threadIdx.x == 0) {
        *total = t;
    }
}

/** Some threads return before the barrier: exited threads stop counting, as on the GPU. */
extern "C" void jk_test_early_exit(int* out) {
    __shared__ int seen[1024];
    if (threadIdx.x % 3 == 0) {
        return;
    }
    seen[threadIdx.x] = (int) threadIdx.x;
    __syncthreads();
    const unsigned partner = threadIdx.x % 3 == 1 ? threadIdx.x + 1 : threadIdx.x - 1;
    out[threadIdx.x] = partner < blockDim.x ? seen[partner] : -1;
}

#endif  // JK_HOST_TEST_ENTRIES

const Entry ENTRIES[] = {
    JK_ENTRY(dql_reduce_f32), JK_ENTRY(dql_reduce_f16), JK_ENTRY(dql_params), JK_ENTRY(dql_quantize_f32),
    JK_ENTRY(dql_quantize_f16),
    JK_ENTRY(matmul_integer),
    JK_ENTRY(dft_radix2_f32), JK_ENTRY(dft_radix2_f16), JK_ENTRY(dft_bluestein_f32), JK_ENTRY(dft_bluestein_f16),
    JK_ENTRY(dft_direct_f32), JK_ENTRY(dft_direct_f16),
    JK_ENTRY(affine_grid_2d_f32), JK_ENTRY(affine_grid_2d_f16), JK_ENTRY(affine_grid_3d_f32), JK_ENTRY(affine_grid_3d_f16),
    JK_ENTRY(unique_keys), JK_ENTRY(unique_sort_tiles), JK_ENTRY(unique_merge), JK_ENTRY(unique_flags),
    JK_ENTRY(scan_tiles), JK_ENTRY(scan_sums), JK_ENTRY(scan_add), JK_ENTRY(unique_heads), JK_ENTRY(unique_fill),
    JK_ENTRY(unique_mark), JK_ENTRY(unique_outputs), JK_ENTRY(unique_inverse),
};

#ifdef JK_HOST_TEST_ENTRIES
const Entry TEST_ENTRIES[] = {
    JK_ENTRY(jk_test_block_minmax), JK_ENTRY(jk_test_block_scan), JK_ENTRY(jk_test_early_exit),
};
#endif

}  // namespace

extern "C" {

/** The kernel named {@code name} (a shipped kernel or a test kernel), or null. */
void* jk_host_find(const char* name) {
    for (const Entry& e : ENTRIES) {
        if (std::strcmp(e.name, name) == 0) return (void*) &e;
    }
#ifdef JK_HOST_TEST_ENTRIES
    for (const Entry& e : TEST_ENTRIES) {
        if (std::strcmp(e.name, name) == 0) return (void*) &e;
    }
#endif
    return nullptr;
}

int jk_host_param_count(void* k) { return static_cast<const Entry*>(k)->count; }
int jk_host_param_size(void* k, int i) { return static_cast<const Entry*>(k)->sizes[i]; }
int jk_host_param_is_pointer(void* k, int i) { return static_cast<const Entry*>(k)->pointers[i]; }

/** Number of shipped kernels (test kernels excluded) and their names, for the catalogue consistency test. */
int jk_host_kernel_count(void) { return (int) (sizeof(ENTRIES) / sizeof(ENTRIES[0])); }
const char* jk_host_kernel_name(int i) { return ENTRIES[i].name; }

/** Runs kernel {@code k} on the host with cuLaunchKernel's arguments; 0 on success. */
int jk_host_launch(void* k, const unsigned* grid, const unsigned* block, unsigned smem, void** params) {
    const Entry* e = static_cast<const Entry*>(k);
    if (block[0] * block[1] * block[2] == 0 || block[0] * block[1] * block[2] > 1024) return 1;
    std::lock_guard<std::mutex> guard(launch_mutex);
    run_grid(grid, block, smem, [&] { e->invoke(params); });
    return 0;
}

/** The per-element formulas on their own, for tests against independent references. */
float jk_host_half_to_float(unsigned short h) { return jk::half_to_float(h); }
unsigned short jk_host_float_to_half(float f) { return jk::float_to_half(f); }
void jk_host_dql_params(float mn, float mx, float* scale, unsigned char* zp) { jk::dql_params_from_range(mn, mx, scale, zp); }
unsigned char jk_host_dql_quantize(float x, float scale, unsigned char zp) { return jk::dql_quantize_one(x, scale, zp); }
float jk_host_affine_base(long long i, long long size, int align) { return jk::affine_base(i, size, align); }
unsigned long long jk_host_unique_key(const void* x, long long i, int dtype) { return jk::unique_key(x, i, dtype); }

}  // extern "C"

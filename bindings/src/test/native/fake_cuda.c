/*
 * A fake CUDA driver for tests on machines without a GPU. Compiled against the real cuda.h, so every
 * entry point here has exactly the signature (and, through cuda.h's macros, the versioned symbol name,
 * e.g. cuMemAlloc -> cuMemAlloc_v2) that a real libcuda.so.1 exports. "Device memory" is host memory;
 * copies happen at once. It enforces what the real driver enforces and Javelin must get right: a current
 * context for allocations, valid handles and pointers, sizes within allocations. Counters let tests check
 * that every allocation, stream, event and context reference is released.
 */
#define _GNU_SOURCE
#include <cuda.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_MEMORY (1024L * 1024L * 1024L)
#define MAX_ALLOCS 4096

struct CUctx_st { int device; };
struct CUgraph_st;
struct CUstream_st { int magic; struct CUgraph_st* capture; };
struct CUevent_st { int magic; int flags; int recorded; double millis; };

static struct CUctx_st primary = {0};
static int primaryRefs = 0;
static int initialised = 0;
static __thread CUcontext current = NULL;

static void* allocs[MAX_ALLOCS];
static size_t allocSizes[MAX_ALLOCS];
static int allocPinned[MAX_ALLOCS];
static size_t usedDevice = 0;
static int liveStreams = 0;
static int liveEvents = 0;

static int track(void* p, size_t n, int pinned) {
    for (int i = 0; i < MAX_ALLOCS; i++) {
        if (allocs[i] == NULL) { allocs[i] = p; allocSizes[i] = n; allocPinned[i] = pinned; return 1; }
    }
    return 0;
}

/* The allocation containing [p, p + n), or -1. */
static int find(uintptr_t p, size_t n, int pinned) {
    for (int i = 0; i < MAX_ALLOCS; i++) {
        uintptr_t base = (uintptr_t) allocs[i];
        if (allocs[i] != NULL && allocPinned[i] == pinned && p >= base && p + n <= base + allocSizes[i]) return i;
    }
    return -1;
}

static double nowMillis(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

CUresult CUDAAPI cuInit(unsigned int flags) { initialised = flags == 0; return flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE; }
CUresult CUDAAPI cuDriverGetVersion(int* v) { if (!v) return CUDA_ERROR_INVALID_VALUE; *v = 13010; return CUDA_SUCCESS; }

CUresult CUDAAPI cuGetErrorName(CUresult e, const char** s) {
    switch (e) {
        case CUDA_SUCCESS: *s = "CUDA_SUCCESS"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; return CUDA_SUCCESS;
        case CUDA_ERROR_OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_INITIALIZED: *s = "CUDA_ERROR_NOT_INITIALIZED"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_DEVICE: *s = "CUDA_ERROR_INVALID_DEVICE"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_CONTEXT: *s = "CUDA_ERROR_INVALID_CONTEXT"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_HANDLE: *s = "CUDA_ERROR_INVALID_HANDLE"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_READY: *s = "CUDA_ERROR_NOT_READY"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_IMAGE: *s = "CUDA_ERROR_INVALID_IMAGE"; return CUDA_SUCCESS;
        case CUDA_ERROR_NO_BINARY_FOR_GPU: *s = "CUDA_ERROR_NO_BINARY_FOR_GPU"; return CUDA_SUCCESS;
        case CUDA_ERROR_UNSUPPORTED_PTX_VERSION: *s = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; return CUDA_SUCCESS;
        case CUDA_ERROR_ILLEGAL_ADDRESS: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; return CUDA_SUCCESS;
        case CUDA_ERROR_LAUNCH_FAILED: *s = "CUDA_ERROR_LAUNCH_FAILED"; return CUDA_SUCCESS;
        default: *s = NULL; return CUDA_ERROR_INVALID_VALUE;
    }
}

CUresult CUDAAPI cuGetErrorString(CUresult e, const char** s) {
    switch (e) {
        case CUDA_ERROR_OUT_OF_MEMORY: *s = "out of memory"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_VALUE: *s = "invalid argument"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_CONTEXT: *s = "invalid device context"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_HANDLE: *s = "invalid resource handle"; return CUDA_SUCCESS;
        case CUDA_ERROR_UNSUPPORTED_PTX_VERSION: *s = "the provided PTX was compiled with an unsupported toolchain."; return CUDA_SUCCESS;
        case CUDA_ERROR_NO_BINARY_FOR_GPU: *s = "no kernel image is available for execution on the device"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_FOUND: *s = "named symbol not found"; return CUDA_SUCCESS;
        default: *s = NULL; return CUDA_ERROR_INVALID_VALUE;
    }
}

CUresult CUDAAPI cuDeviceGetCount(int* n) { if (!initialised) return CUDA_ERROR_NOT_INITIALIZED; *n = 1; return CUDA_SUCCESS; }
CUresult CUDAAPI cuDeviceGet(CUdevice* d, int ordinal) { if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE; *d = 0; return CUDA_SUCCESS; }

CUresult CUDAAPI cuDeviceGetName(char* name, int len, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    strncpy(name, "Javelin Fake GPU", (size_t) len);
    name[len - 1] = 0;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGetAttribute(int* v, CUdevice_attribute a, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (a) {
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 8; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 6; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = 84; break;
        case CU_DEVICE_ATTRIBUTE_INTEGRATED: *v = 0; break;
        case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY: *v = 1; break;
        default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceTotalMem(size_t* bytes, CUdevice d) { if (d != 0) return CUDA_ERROR_INVALID_DEVICE; *bytes = FAKE_MEMORY; return CUDA_SUCCESS; }

CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    primaryRefs++;
    *c = &primary;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (primaryRefs == 0) return CUDA_ERROR_INVALID_CONTEXT;
    primaryRefs--;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxSetCurrent(CUcontext c) {
    if (c != NULL && (c != &primary || primaryRefs == 0)) return CUDA_ERROR_INVALID_CONTEXT;
    current = c;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxGetCurrent(CUcontext* c) { *c = current; return CUDA_SUCCESS; }
CUresult CUDAAPI cuCtxSynchronize(void) { return current ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT; }

CUresult CUDAAPI cuMemGetInfo(size_t* freeBytes, size_t* total) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    *freeBytes = FAKE_MEMORY - usedDevice;
    *total = FAKE_MEMORY;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemAlloc(CUdeviceptr* p, size_t n) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (n == 0) return CUDA_ERROR_INVALID_VALUE;
    if (n > FAKE_MEMORY - usedDevice) return CUDA_ERROR_OUT_OF_MEMORY;
    void* m = malloc(n);
    if (!m || !track(m, n, 0)) { free(m); return CUDA_ERROR_OUT_OF_MEMORY; }
    usedDevice += n;
    *p = (CUdeviceptr) (uintptr_t) m;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemFree(CUdeviceptr p) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    int i = find((uintptr_t) p, 0, 0);
    if (i < 0 || (uintptr_t) allocs[i] != (uintptr_t) p) return CUDA_ERROR_INVALID_VALUE;
    usedDevice -= allocSizes[i];
    free(allocs[i]);
    allocs[i] = NULL;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemHostAlloc(void** p, size_t n, unsigned int flags) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (n == 0 || (flags & ~0x7u) != 0) return CUDA_ERROR_INVALID_VALUE;
    void* m = calloc(1, n);
    if (!m || !track(m, n, 1)) { free(m); return CUDA_ERROR_OUT_OF_MEMORY; }
    *p = m;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemFreeHost(void* p) {
    int i = find((uintptr_t) p, 0, 1);
    if (i < 0 || allocs[i] != p) return CUDA_ERROR_INVALID_VALUE;
    free(allocs[i]);
    allocs[i] = NULL;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemHostGetDevicePointer(CUdeviceptr* d, void* p, unsigned int flags) {
    if (flags != 0 || find((uintptr_t) p, 1, 1) < 0) return CUDA_ERROR_INVALID_VALUE;
    *d = (CUdeviceptr) (uintptr_t) p;
    return CUDA_SUCCESS;
}

static int validStream(CUstream s) { return s == NULL || s->magic == 0x5754; }


/*
 * Stream capture and graphs, as far as Javelin uses them: while a stream captures, copies, memsets, event
 * records and launches queued on it are recorded (after the same validation as eager work) instead of run;
 * an instantiated graph replays them in order on the stream it is launched on. Like the real driver,
 * synchronising a capturing stream is an error that invalidates the capture, and so is legacy-stream work.
 */
#define MAX_OPS 256
enum { OP_HTOD, OP_DTOH, OP_DTOD, OP_MEMSET, OP_EVENT, OP_LAUNCH };
typedef struct { int kind; uintptr_t dst, src; size_t n; unsigned char value; CUevent event; CUfunction f;
                 unsigned grid[3], block[3], smem; int nparams; int sizes[32]; unsigned char params[512]; } Op;
struct CUgraph_st { int magic; int invalid; int nops; Op ops[MAX_OPS]; };
struct CUgraphExec_st { int magic; int nops; Op ops[MAX_OPS]; };
static int liveGraphs = 0;
static int liveGraphExecs = 0;
static int graphLaunches = 0;

static int capturing(CUstream s) { return s != NULL && s->capture != NULL; }

static Op* captureOp(CUstream s) {
    struct CUgraph_st* g = s->capture;
    if (g->nops == MAX_OPS) { g->invalid = 1; return NULL; }
    Op* op = &g->ops[g->nops++];
    memset(op, 0, sizeof(Op));
    return op;
}

static CUresult captureCopy(CUstream s, int kind, uintptr_t dst, uintptr_t src, size_t n, unsigned char v) {
    Op* op = captureOp(s);
    if (!op) return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    op->kind = kind; op->dst = dst; op->src = src; op->n = n; op->value = v;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamBeginCapture(CUstream s, CUstreamCaptureMode mode) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (s == NULL) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;   /* the legacy stream cannot capture */
    if (s->magic != 0x5754 || mode > CU_STREAM_CAPTURE_MODE_RELAXED) return CUDA_ERROR_INVALID_VALUE;
    if (s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    s->capture = calloc(1, sizeof(struct CUgraph_st));
    s->capture->magic = 0x4752;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamEndCapture(CUstream s, CUgraph* g) {
    if (s == NULL || s->magic != 0x5754 || g == NULL) return CUDA_ERROR_INVALID_VALUE;
    if (!s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    struct CUgraph_st* graph = s->capture;
    s->capture = NULL;
    if (graph->invalid) { free(graph); *g = NULL; return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED; }
    liveGraphs++;
    *g = graph;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuGraphInstantiate(CUgraphExec* e, CUgraph g, unsigned long long flags) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (e == NULL || g == NULL || g->magic != 0x4752 || flags != 0) return CUDA_ERROR_INVALID_VALUE;
    struct CUgraphExec_st* x = calloc(1, sizeof(struct CUgraphExec_st));
    x->magic = 0x4758;
    x->nops = g->nops;
    memcpy(x->ops, g->ops, sizeof(Op) * (size_t) g->nops);
    liveGraphExecs++;
    *e = x;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuGraphDestroy(CUgraph g) {
    if (g == NULL || g->magic != 0x4752) return CUDA_ERROR_INVALID_VALUE;
    g->magic = 0;
    free(g);
    liveGraphs--;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuGraphExecDestroy(CUgraphExec e) {
    if (e == NULL || e->magic != 0x4758) return CUDA_ERROR_INVALID_VALUE;
    e->magic = 0;
    free(e);
    liveGraphExecs--;
    return CUDA_SUCCESS;
}

int fake_live_graphs(void) { return liveGraphs + liveGraphExecs; }
int fake_graph_launches(void) { return graphLaunches; }

CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dst, const void* src, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) dst, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    if (capturing(s)) return captureCopy(s, OP_HTOD, dst, (uintptr_t) src, n, 0);
    memcpy((void*) (uintptr_t) dst, src, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyDtoHAsync(void* dst, CUdeviceptr src, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) src, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    if (capturing(s)) return captureCopy(s, OP_DTOH, (uintptr_t) dst, src, n, 0);
    memcpy(dst, (void*) (uintptr_t) src, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) src, n, 0) < 0 || find((uintptr_t) dst, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    if (capturing(s)) return captureCopy(s, OP_DTOD, dst, src, n, 0);
    memmove((void*) (uintptr_t) dst, (void*) (uintptr_t) src, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) dst, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    if (capturing(s)) return captureCopy(s, OP_MEMSET, dst, 0, n, v);
    memset((void*) (uintptr_t) dst, v, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamCreate(CUstream* s, unsigned int flags) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (flags > 1) return CUDA_ERROR_INVALID_VALUE;
    *s = malloc(sizeof(struct CUstream_st));
    (*s)->magic = 0x5754;
    (*s)->capture = NULL;
    liveStreams++;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamDestroy(CUstream s) {
    if (s == NULL || s->magic != 0x5754) return CUDA_ERROR_INVALID_HANDLE;
    s->magic = 0;
    free(s->capture);
    free(s);
    liveStreams--;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamSynchronize(CUstream s) {
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (capturing(s)) { s->capture->invalid = 1; return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; }
    return CUDA_SUCCESS;
}
CUresult CUDAAPI cuStreamQuery(CUstream s) { return validStream(s) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

static int validEvent(CUevent e) { return e != NULL && e->magic == 0x4556; }

CUresult CUDAAPI cuStreamWaitEvent(CUstream s, CUevent e, unsigned int flags) {
    return validStream(s) && validEvent(e) && flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

CUresult CUDAAPI cuEventCreate(CUevent* e, unsigned int flags) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    *e = calloc(1, sizeof(struct CUevent_st));
    (*e)->magic = 0x4556;
    (*e)->flags = (int) flags;
    liveEvents++;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventDestroy(CUevent e) {
    if (!validEvent(e)) return CUDA_ERROR_INVALID_HANDLE;
    e->magic = 0;
    free(e);
    liveEvents--;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventRecord(CUevent e, CUstream s) {
    if (!validEvent(e) || !validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (capturing(s)) {
        Op* op = captureOp(s);
        if (!op) return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
        op->kind = OP_EVENT; op->event = e;
        return CUDA_SUCCESS;
    }
    e->recorded = 1;
    e->millis = nowMillis();
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuEventSynchronize(CUevent e) { return validEvent(e) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
CUresult CUDAAPI cuEventQuery(CUevent e) { return validEvent(e) ? (e->recorded ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY) : CUDA_ERROR_INVALID_HANDLE; }

/* cuda.h 13 maps cuEventElapsedTime to cuEventElapsedTime_v2. */
CUresult CUDAAPI cuEventElapsedTime(float* ms, CUevent a, CUevent b) {
    if (!validEvent(a) || !validEvent(b)) return CUDA_ERROR_INVALID_HANDLE;
    if ((a->flags & CU_EVENT_DISABLE_TIMING) || (b->flags & CU_EVENT_DISABLE_TIMING)) return CUDA_ERROR_INVALID_HANDLE;
    if (!a->recorded || !b->recorded) return CUDA_ERROR_NOT_READY;
    *ms = (float) (b->millis - a->millis);
    return CUDA_SUCCESS;
}

/*
 * Modules and launches. A module remembers its image; functions are looked up by name in a kernel provider:
 * the host builds of Javelin's kernels (a library set with fake_set_kernel_library, exporting jk_host_*), or,
 * when none is set, the two built-in test kernels below. A launch checks what the real driver checks (context,
 * handles, geometry limits, shared memory), checks every pointer argument against the live allocations (a GPU
 * would fault on a wild pointer), records the launch, and runs the kernel on the host at once.
 */
#define MAX_MODULES 256
#define MAX_FUNCTIONS 1024
#define MAX_LAUNCHES 4096
#define MAX_PARAMS 32
#define MAX_PARAM_BYTES 512

struct CUmod_st { int magic; int kind; unsigned char* image; size_t bytes; };
struct CUfunc_st { int magic; CUmodule module; void* kernel; int builtin; char name[96]; };

typedef struct { char name[96]; unsigned grid[3], block[3], smem; uintptr_t stream; int nparams; int sizes[MAX_PARAMS];
                 unsigned char bytes[MAX_PARAM_BYTES]; } LaunchRecord;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int liveModules = 0;
static int moduleLoads[4];                 /* by kind: 0 fatbin, 1 cubin (ELF), 2 PTX */
static CUresult failLoad[4];               /* test hook: status to return when loading that kind */
static struct CUfunc_st* functions[MAX_FUNCTIONS];
static LaunchRecord* launches = NULL;
static int launchCount = 0;

/* Kernel provider (host builds of Javelin's kernels). */
static void* provider = NULL;
static void* (*p_find)(const char*) = NULL;
static int (*p_count)(void*) = NULL;
static int (*p_size)(void*, int) = NULL;
static int (*p_is_pointer)(void*, int) = NULL;
static int (*p_launch)(void*, const unsigned*, const unsigned*, unsigned, void**) = NULL;

int fake_set_kernel_library(const char* path) {
    void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return -1;
    p_find = (void* (*)(const char*)) dlsym(h, "jk_host_find");
    p_count = (int (*)(void*)) dlsym(h, "jk_host_param_count");
    p_size = (int (*)(void*, int)) dlsym(h, "jk_host_param_size");
    p_is_pointer = (int (*)(void*, int)) dlsym(h, "jk_host_param_is_pointer");
    p_launch = (int (*)(void*, const unsigned*, const unsigned*, unsigned, void**)) dlsym(h, "jk_host_launch");
    if (!p_find || !p_count || !p_size || !p_is_pointer || !p_launch) { dlclose(h); return -2; }
    provider = h;
    return 0;
}

void fake_set_load_status(int kind, int status) { if (kind >= 0 && kind < 4) failLoad[kind] = (CUresult) status; }
int fake_module_loads(int kind) { return kind >= 0 && kind < 4 ? moduleLoads[kind] : -1; }
int fake_live_modules(void) { return liveModules; }
int fake_launch_count(void) { return launchCount; }
void fake_launch_reset(void) { pthread_mutex_lock(&lock); launchCount = 0; pthread_mutex_unlock(&lock); }

/* "name grid=x,y,z block=x,y,z smem=n args=v1,v2,..." with each argument as an unsigned integer of its size (floats
   as their bits) or, for other sizes, 0x and its bytes in memory order. Returns the length, or -1. */
int fake_launch_describe(int i, char* out, int len) {
    if (i < 0 || i >= launchCount || len <= 0) return -1;
    LaunchRecord* r = &launches[i];
    int n = snprintf(out, (size_t) len, "%s grid=%u,%u,%u block=%u,%u,%u smem=%u args=", r->name, r->grid[0], r->grid[1],
                     r->grid[2], r->block[0], r->block[1], r->block[2], r->smem);
    int off = 0;
    for (int p = 0; p < r->nparams && n < len; p++) {
        const unsigned char* b = r->bytes + off;
        if (p > 0) n += snprintf(out + n, (size_t) (len - n), ",");
        if (r->sizes[p] == 4 || r->sizes[p] == 8) {
            unsigned long long v = 0;
            memcpy(&v, b, (size_t) r->sizes[p]);
            n += snprintf(out + n, (size_t) (len - n), "%llu", v);
        } else {
            n += snprintf(out + n, (size_t) (len - n), "0x");
            for (int k = 0; k < r->sizes[p] && n < len; k++) n += snprintf(out + n, (size_t) (len - n), "%02x", b[k]);
        }
        off += r->sizes[p];
    }
    return n < len ? n : -1;
}

static int imageKind(const unsigned char* img, size_t* bytes) {
    if (img[0] == 0x50 && img[1] == 0xED && img[2] == 0x55 && img[3] == 0xBA) {
        /* fatbin header: magic, version (2), header size (2), payload size (8) */
        unsigned long long payload; unsigned short header;
        memcpy(&header, img + 6, 2); memcpy(&payload, img + 8, 8);
        *bytes = header + payload;
        return 0;
    }
    if (img[0] == 0x7F && img[1] == 'E' && img[2] == 'L' && img[3] == 'F') {
        unsigned long long shoff; unsigned short shentsize, shnum;
        memcpy(&shoff, img + 0x28, 8); memcpy(&shentsize, img + 0x3A, 2); memcpy(&shnum, img + 0x3C, 2);
        *bytes = shoff + (size_t) shentsize * shnum;
        return 1;
    }
    if (strncmp((const char*) img, "//", 2) == 0 || strncmp((const char*) img, ".version", 8) == 0) {
        *bytes = strlen((const char*) img) + 1;
        return 2;
    }
    return -1;
}

CUresult CUDAAPI cuModuleLoadData(CUmodule* m, const void* image) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!m || !image) return CUDA_ERROR_INVALID_VALUE;
    size_t bytes = 0;
    int kind = imageKind((const unsigned char*) image, &bytes);
    if (kind < 0) return CUDA_ERROR_INVALID_IMAGE;
    if (failLoad[kind] != CUDA_SUCCESS) return failLoad[kind];
    struct CUmod_st* mod = calloc(1, sizeof(struct CUmod_st));
    mod->magic = 0x4D4F;
    mod->kind = kind;
    mod->image = malloc(bytes);
    memcpy(mod->image, image, bytes);   /* like the driver: the caller's image is not needed after the call */
    mod->bytes = bytes;
    pthread_mutex_lock(&lock);
    liveModules++;
    moduleLoads[kind]++;
    pthread_mutex_unlock(&lock);
    *m = mod;
    return CUDA_SUCCESS;
}

static int validModule(CUmodule m) { return m != NULL && m->magic == 0x4D4F; }

CUresult CUDAAPI cuModuleUnload(CUmodule m) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validModule(m)) return CUDA_ERROR_INVALID_HANDLE;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_FUNCTIONS; i++) {
        if (functions[i] && functions[i]->module == m) { functions[i]->magic = 0; free(functions[i]); functions[i] = NULL; }
    }
    liveModules--;
    pthread_mutex_unlock(&lock);
    m->magic = 0;
    free(m->image);
    free(m);
    return CUDA_SUCCESS;
}

/* Built-in test kernels, used when no provider is set. */
struct KindsStruct { int a; double b; };   /* 16 bytes, aligned to 8 */
static const char* BUILTIN[] = {"javelin_test_axpy", "javelin_test_kinds"};
static const int BUILTIN_SIZES[2][5] = {{8, 4, 8, 8, 0}, {8, 4, 8, 4, 16}};
static const int BUILTIN_POINTERS[2][5] = {{0, 0, 1, 1, 0}, {1, 0, 0, 0, 0}};

static int builtinIndex(const char* name) {
    for (int i = 0; i < 2; i++) if (strcmp(name, BUILTIN[i]) == 0) return i;
    return -1;
}

/* A name exists in a cubin or PTX image if it is there as a string; fatbins may be compressed, so any name is
   accepted there and the provider decides. */
static int imageHasName(CUmodule m, const char* name) {
    if (m->kind == 0) return 1;
    return memmem(m->image, m->bytes, name, strlen(name)) != NULL;
}

CUresult CUDAAPI cuModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validModule(m)) return CUDA_ERROR_INVALID_HANDLE;
    if (!f || !name) return CUDA_ERROR_INVALID_VALUE;
    void* kernel = NULL;
    int builtin = -1;
    if (provider) kernel = p_find(name);
    else builtin = builtinIndex(name);
    if ((provider && !kernel) || (!provider && builtin < 0) || !imageHasName(m, name)) return CUDA_ERROR_NOT_FOUND;
    struct CUfunc_st* fn = calloc(1, sizeof(struct CUfunc_st));
    fn->magic = 0x4655;
    fn->module = m;
    fn->kernel = kernel;
    fn->builtin = builtin;
    strncpy(fn->name, name, sizeof(fn->name) - 1);
    pthread_mutex_lock(&lock);
    int slot = -1;
    for (int i = 0; i < MAX_FUNCTIONS && slot < 0; i++) if (!functions[i]) slot = i;
    if (slot >= 0) functions[slot] = fn;
    pthread_mutex_unlock(&lock);
    if (slot < 0) { free(fn); return CUDA_ERROR_OUT_OF_MEMORY; }
    *f = fn;
    return CUDA_SUCCESS;
}

static int validFunction(CUfunction f) {
    if (f == NULL) return 0;
    for (int i = 0; i < MAX_FUNCTIONS; i++) if (functions[i] == f) return f->magic == 0x4655;
    return 0;
}

static int paramCount(CUfunction f) { return f->builtin >= 0 ? (f->builtin == 0 ? 4 : 5) : p_count(f->kernel); }
static int paramSize(CUfunction f, int i) { return f->builtin >= 0 ? BUILTIN_SIZES[f->builtin][i] : p_size(f->kernel, i); }
static int paramIsPointer(CUfunction f, int i) { return f->builtin >= 0 ? BUILTIN_POINTERS[f->builtin][i] : p_is_pointer(f->kernel, i); }

/* A pointer argument must be null or point into live device memory (or mapped pinned memory). */
static int validDevicePointer(uintptr_t p) { return p == 0 || find(p, 1, 0) >= 0 || find(p, 1, 1) >= 0; }

static void runBuiltin(int which, const unsigned* grid, const unsigned* block, void** params) {
    if (which == 0) {
        long long n = *(long long*) params[0];
        float a = *(float*) params[1];
        const float* x = *(const float**) params[2];
        float* y = *(float**) params[3];
        for (unsigned b = 0; b < grid[0]; b++)
            for (unsigned t = 0; t < block[0]; t++) {
                long long i = (long long) b * block[0] + t;
                if (i < n) y[i] = a * x[i] + y[i];
            }
    } else {
        /* Writes back exactly what arrived, so the test sees the marshalling: out = {i32, i64, f32 bits, s.a, s.b bits}. */
        long long* out = *(long long**) params[0];
        int i32 = *(int*) params[1];
        long long i64 = *(long long*) params[2];
        float f32 = *(float*) params[3];
        struct KindsStruct s = *(struct KindsStruct*) params[4];
        unsigned bits; memcpy(&bits, &f32, 4);
        long long dbits; memcpy(&dbits, &s.b, 8);
        out[0] = i32; out[1] = i64; out[2] = bits; out[3] = s.a; out[4] = dbits;
    }
}

CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                unsigned smem, CUstream s, void** params, void** extra) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validFunction(f) || !validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (extra != NULL) return CUDA_ERROR_INVALID_VALUE;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return CUDA_ERROR_INVALID_VALUE;
    if (gx > 0x7FFFFFFFu || gy > 65535 || gz > 65535) return CUDA_ERROR_INVALID_VALUE;
    if (bx > 1024 || by > 1024 || bz > 64 || (unsigned long long) bx * by * bz > 1024) return CUDA_ERROR_INVALID_VALUE;
    if (smem > 48 * 1024) return CUDA_ERROR_INVALID_VALUE;
    int n = paramCount(f);
    if (n > 0 && params == NULL) return CUDA_ERROR_INVALID_VALUE;
    if (n > MAX_PARAMS) return CUDA_ERROR_INVALID_VALUE;
    for (int i = 0; i < n; i++) {
        if (paramIsPointer(f, i) && !validDevicePointer(*(uintptr_t*) params[i])) return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
    if (capturing(s)) {
        /* Like the driver, capture copies the parameter values now: a replay uses what was passed here. */
        Op* op = captureOp(s);
        if (!op) return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
        op->kind = OP_LAUNCH; op->f = f; op->smem = smem; op->nparams = n;
        memcpy(op->grid, grid, sizeof(grid)); memcpy(op->block, block, sizeof(block));
        int off = 0;
        for (int i = 0; i < n; i++) {
            int sz = paramSize(f, i);
            if (off + sz > (int) sizeof(op->params)) { s->capture->invalid = 1; return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED; }
            op->sizes[i] = sz;
            memcpy(op->params + off, params[i], (size_t) sz);
            off += sz;
        }
        return CUDA_SUCCESS;
    }
    pthread_mutex_lock(&lock);
    if (!launches) launches = calloc(MAX_LAUNCHES, sizeof(LaunchRecord));
    if (launchCount < MAX_LAUNCHES) {
        LaunchRecord* r = &launches[launchCount++];
        strncpy(r->name, f->name, sizeof(r->name) - 1);
        memcpy(r->grid, grid, sizeof(grid)); memcpy(r->block, block, sizeof(block));
        r->smem = smem; r->stream = (uintptr_t) s; r->nparams = n;
        int off = 0;
        for (int i = 0; i < n; i++) {
            int sz = paramSize(f, i);
            r->sizes[i] = sz;
            if (off + sz <= MAX_PARAM_BYTES) memcpy(r->bytes + off, params[i], (size_t) sz);
            off += sz;
        }
    }
    pthread_mutex_unlock(&lock);
    if (f->builtin >= 0) {
        runBuiltin(f->builtin, grid, block, params);
        return CUDA_SUCCESS;
    }
    int status = p_launch(f->kernel, grid, block, smem, params);
    return status == 0 ? CUDA_SUCCESS : CUDA_ERROR_LAUNCH_FAILED;
}

/* Replays a graph's operations on stream s through the same entry points eager work uses. */
CUresult CUDAAPI cuGraphLaunch(CUgraphExec e, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (e == NULL || e->magic != 0x4758) return CUDA_ERROR_INVALID_VALUE;
    if (!validStream(s) || capturing(s)) return CUDA_ERROR_INVALID_HANDLE;
    graphLaunches++;
    for (int i = 0; i < e->nops; i++) {
        Op* op = &e->ops[i];
        CUresult r = CUDA_SUCCESS;
        switch (op->kind) {
            case OP_HTOD: r = cuMemcpyHtoDAsync((CUdeviceptr) op->dst, (const void*) op->src, op->n, s); break;
            case OP_DTOH: r = cuMemcpyDtoHAsync((void*) op->dst, (CUdeviceptr) op->src, op->n, s); break;
            case OP_DTOD: r = cuMemcpyDtoDAsync((CUdeviceptr) op->dst, (CUdeviceptr) op->src, op->n, s); break;
            case OP_MEMSET: r = cuMemsetD8Async((CUdeviceptr) op->dst, op->value, op->n, s); break;
            case OP_EVENT: r = cuEventRecord(op->event, s); break;
            case OP_LAUNCH: {
                void* params[32];
                int off = 0;
                for (int p = 0; p < op->nparams; p++) { params[p] = op->params + off; off += op->sizes[p]; }
                r = cuLaunchKernel(op->f, op->grid[0], op->grid[1], op->grid[2], op->block[0], op->block[1], op->block[2],
                                   op->smem, s, params, NULL);
                break;
            }
        }
        if (r != CUDA_SUCCESS) return CUDA_ERROR_LAUNCH_FAILED;
    }
    return CUDA_SUCCESS;
}

/* Test hooks. */
int fake_live_device_allocations(void) { int n = 0; for (int i = 0; i < MAX_ALLOCS; i++) n += allocs[i] != NULL && !allocPinned[i]; return n; }
int fake_live_pinned_allocations(void) { int n = 0; for (int i = 0; i < MAX_ALLOCS; i++) n += allocs[i] != NULL && allocPinned[i]; return n; }
int fake_live_streams(void) { return liveStreams; }
int fake_live_events(void) { return liveEvents; }
int fake_primary_refs(void) { return primaryRefs; }

/*
 * A fake CUDA driver for tests on machines without a GPU. Compiled against the real cuda.h, so every
 * entry point here has exactly the signature (and, through cuda.h's macros, the versioned symbol name,
 * e.g. cuMemAlloc -> cuMemAlloc_v2) that a real libcuda.so.1 exports. "Device memory" is host memory;
 * copies happen at once. It enforces what the real driver enforces and Javelin must get right: a current
 * context for allocations, valid handles and pointers, sizes within allocations. Counters let tests check
 * that every allocation, stream, event and context reference is released.
 */
#include <cuda.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_MEMORY (1024L * 1024L * 1024L)
#define MAX_ALLOCS 4096

struct CUctx_st { int device; };
struct CUstream_st { int magic; };
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
        default: *s = NULL; return CUDA_ERROR_INVALID_VALUE;
    }
}

CUresult CUDAAPI cuGetErrorString(CUresult e, const char** s) {
    switch (e) {
        case CUDA_ERROR_OUT_OF_MEMORY: *s = "out of memory"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_VALUE: *s = "invalid argument"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_CONTEXT: *s = "invalid device context"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_HANDLE: *s = "invalid resource handle"; return CUDA_SUCCESS;
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

CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dst, const void* src, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) dst, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    memcpy((void*) (uintptr_t) dst, src, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyDtoHAsync(void* dst, CUdeviceptr src, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) src, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    memcpy(dst, (void*) (uintptr_t) src, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) src, n, 0) < 0 || find((uintptr_t) dst, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    memmove((void*) (uintptr_t) dst, (void*) (uintptr_t) src, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, CUstream s) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (!validStream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (find((uintptr_t) dst, n, 0) < 0) return CUDA_ERROR_INVALID_VALUE;
    memset((void*) (uintptr_t) dst, v, n);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamCreate(CUstream* s, unsigned int flags) {
    if (!current) return CUDA_ERROR_INVALID_CONTEXT;
    if (flags > 1) return CUDA_ERROR_INVALID_VALUE;
    *s = malloc(sizeof(struct CUstream_st));
    (*s)->magic = 0x5754;
    liveStreams++;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamDestroy(CUstream s) {
    if (s == NULL || s->magic != 0x5754) return CUDA_ERROR_INVALID_HANDLE;
    s->magic = 0;
    free(s);
    liveStreams--;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamSynchronize(CUstream s) { return validStream(s) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
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

/* Test hooks. */
int fake_live_device_allocations(void) { int n = 0; for (int i = 0; i < MAX_ALLOCS; i++) n += allocs[i] != NULL && !allocPinned[i]; return n; }
int fake_live_pinned_allocations(void) { int n = 0; for (int i = 0; i < MAX_ALLOCS; i++) n += allocs[i] != NULL && allocPinned[i]; return n; }
int fake_live_streams(void) { return liveStreams; }
int fake_live_events(void) { return liveEvents; }
int fake_primary_refs(void) { return primaryRefs; }

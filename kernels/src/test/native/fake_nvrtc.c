/*
 * A stand-in for NVRTC (libnvrtc.so.13) on a machine that has nvcc but no NVRTC: it exports the NVRTC entry
 * points Javelin binds and "compiles" by writing the program and its headers to a temporary folder and running
 * nvcc -cubin on them. It checks Javelin's fallback flow (sources and headers shipped and passed by include
 * name, options, cubin retrieval, the cache), not NVRTC's own dialect. Counts compiles for the cache tests.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char* src;
    char* name;
    int headers;
    char** texts;
    char** names;
    char* log;
    unsigned char* cubin;
    size_t cubinSize;
} Program;

static int compiles = 0;

int fake_nvrtc_compiles(void) { return compiles; }

int nvrtcVersion(int* major, int* minor) { *major = 13; *minor = 0; return 0; }

const char* nvrtcGetErrorString(int r) {
    switch (r) {
        case 0: return "NVRTC_SUCCESS";
        case 3: return "NVRTC_ERROR_INVALID_INPUT";
        case 4: return "NVRTC_ERROR_INVALID_PROGRAM";
        case 5: return "NVRTC_ERROR_INVALID_OPTION";
        case 6: return "NVRTC_ERROR_COMPILATION";
        default: return "NVRTC_ERROR_INTERNAL_ERROR";
    }
}

int nvrtcCreateProgram(Program** prog, const char* src, const char* name, int numHeaders, const char* const* headers,
                       const char* const* includeNames) {
    if (!prog || !src) return 3;
    Program* p = calloc(1, sizeof(Program));
    p->src = strdup(src);
    p->name = strdup(name ? name : "default_program");
    p->headers = numHeaders;
    p->texts = calloc((size_t) numHeaders + 1, sizeof(char*));
    p->names = calloc((size_t) numHeaders + 1, sizeof(char*));
    for (int i = 0; i < numHeaders; i++) {
        p->texts[i] = strdup(headers[i]);
        p->names[i] = strdup(includeNames[i]);
    }
    *prog = p;
    return 0;
}

static int writeFile(const char* dir, const char* name, const char* text) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE* f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    fclose(f);
    return 0;
}

int nvrtcCompileProgram(Program* p, int numOptions, const char* const* options) {
    if (!p) return 4;
    char arch[64] = "";
    char std[64] = "";
    for (int i = 0; i < numOptions; i++) {
        if (strncmp(options[i], "--gpu-architecture=", 19) == 0) snprintf(arch, sizeof(arch), "-arch=%s", options[i] + 19);
        else if (strncmp(options[i], "-arch=", 6) == 0) snprintf(arch, sizeof(arch), "%s", options[i]);
        else if (strncmp(options[i], "-std=", 5) == 0) snprintf(std, sizeof(std), "%s", options[i]);
        else return 5;
    }
    if (strncmp(arch, "-arch=sm_", 9) != 0) return 5;  /* this stand-in only makes cubins */
    char dir[] = "/tmp/fake-nvrtc-XXXXXX";
    if (!mkdtemp(dir)) return 2;
    if (writeFile(dir, p->name, p->src) != 0) return 2;
    for (int i = 0; i < p->headers; i++) {
        if (writeFile(dir, p->names[i], p->texts[i]) != 0) return 2;
    }
    const char* home = getenv("CUDA_HOME");
    char nvcc[1024];
    snprintf(nvcc, sizeof(nvcc), "%s/bin/nvcc", home && *home ? home : "/usr/local/cuda");
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "cd %s && %s -cubin %s %s -O3 -o program.cubin %s 2>&1", dir, nvcc, arch, std, p->name);
    FILE* out = popen(cmd, "r");
    if (!out) return 2;
    size_t cap = 1 << 16, len = 0;
    char* log = calloc(cap, 1);
    size_t r;
    while ((r = fread(log + len, 1, cap - len - 1, out)) > 0) {
        len += r;
        if (len + 1 >= cap) { cap *= 2; log = realloc(log, cap); }
    }
    log[len] = 0;
    int status = pclose(out);
    free(p->log);
    p->log = log;
    compiles++;
    if (status != 0) return 6;
    char path[4096];
    snprintf(path, sizeof(path), "%s/program.cubin", dir);
    FILE* f = fopen(path, "rb");
    if (!f) return 6;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    free(p->cubin);
    p->cubin = malloc((size_t) size);
    p->cubinSize = fread(p->cubin, 1, (size_t) size, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) return 0;
    return 0;
}

int nvrtcGetProgramLogSize(Program* p, size_t* size) { *size = (p->log ? strlen(p->log) : 0) + 1; return 0; }
int nvrtcGetProgramLog(Program* p, char* log) { strcpy(log, p->log ? p->log : ""); return 0; }
int nvrtcGetCUBINSize(Program* p, size_t* size) { if (!p->cubin) return 3; *size = p->cubinSize; return 0; }
int nvrtcGetCUBIN(Program* p, char* out) { if (!p->cubin) return 3; memcpy(out, p->cubin, p->cubinSize); return 0; }
int nvrtcGetPTXSize(Program* p, size_t* size) { (void) p; (void) size; return 3; }
int nvrtcGetPTX(Program* p, char* out) { (void) p; (void) out; return 3; }

int nvrtcDestroyProgram(Program** pp) {
    if (!pp || !*pp) return 4;
    Program* p = *pp;
    for (int i = 0; i < p->headers; i++) { free(p->texts[i]); free(p->names[i]); }
    free(p->texts); free(p->names); free(p->src); free(p->name); free(p->log); free(p->cubin); free(p);
    *pp = NULL;
    return 0;
}

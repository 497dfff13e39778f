// fake_libcuda.cpp: a stand-in for the NVIDIA driver (libcuda.so.1) whose kernels are the CPU
// emulation in libnrpm_emu.so. Loaded in place of the real driver (LD_PRELOAD), it lets the tests
// run the product's real GPU path -- JCuda's JNI library, JCudaDevice's marshalling of kernel
// arguments, copies, module loading and error handling -- on machines without a GPU. It is a test
// tool: never on a user's library path, and the bundle for GPU machines does not carry it.
//
// It implements the driver calls JCudaDevice makes, with the checks a real driver makes that the
// emulator alone cannot: a context must be current on the calling thread; copies must stay inside
// one live allocation; a module must be a fatbin; a function must be named in its module's image;
// kernel failures are reported at the next synchronizing call, not at the launch; allocations fail
// with CUDA_ERROR_OUT_OF_MEMORY beyond a limit (fake_cuda_set_memory_limit). Every allocation has
// guard zones, checked after each launch. JCuda's JNI library references ~300 driver symbols but
// binds lazily, so only the ones called need to exist here; a call to a missing one stops the JVM
// with "undefined symbol", naming it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

extern "C" int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                          unsigned bz, void** args);
extern "C" const char* emu_last_error();
extern "C" int emu_kernel_arity(const char* name);

#define API extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void* CUstream;

enum : CUresult {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_LAUNCH_FAILED = 719,
};

// CUdevice_attribute values JCudaDevice asks for
enum { ATTR_MULTIPROCESSOR_COUNT = 16, ATTR_CC_MAJOR = 75, ATTR_CC_MINOR = 76 };

namespace {
constexpr size_t kGuard = 4096;   // bytes each side; an overrun past it corrupts the heap undetected
// Each allocation's guards hold their own byte (from the allocation count), so a kernel that copies
// one buffer's guard into another's, past both ends, still changes the bytes it lands on.
unsigned char guard_byte(size_t serial) { return (unsigned char)(0x21 + 37 * serial % 200); }

struct Context { int retained = 0; };
struct Module { std::string image; };
struct Function { std::string name; };
struct Event { std::chrono::steady_clock::time_point at; bool recorded = false; };
struct Alloc { unsigned char* base; size_t bytes; unsigned char guard; };

std::mutex g_lock;
bool g_initialized = false;
Context g_primary;
thread_local Context* t_current = nullptr;
std::map<CUdeviceptr, Alloc> g_allocs;   // by the address handed out (base + kGuard)
size_t g_in_use = 0;
size_t g_serial = 0;
size_t g_limit = 4ull << 30;
CUresult g_pending = CUDA_SUCCESS;       // a failed kernel, reported at the next synchronizing call

void say(const std::string& msg) { std::fprintf(stderr, "[fake libcuda] %s\n", msg.c_str()); }

CUresult need_context() {
    if (!g_initialized) return CUDA_ERROR_NOT_INITIALIZED;
    return t_current ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

// A synchronizing call returns a kernel failure pending from an earlier launch, once.
CUresult take_pending() {
    CUresult rc = g_pending;
    g_pending = CUDA_SUCCESS;
    return rc;
}

// The allocation holding [p, p + bytes), or null.
const Alloc* inside(CUdeviceptr p, size_t bytes) {
    auto it = g_allocs.upper_bound(p);
    if (it == g_allocs.begin()) return nullptr;
    --it;
    CUdeviceptr start = it->first;
    if (p < start || p + bytes > start + it->second.bytes || p + bytes < p) return nullptr;
    return &it->second;
}

// Which guard a kernel wrote into, or ""; the guards are re-armed, so one bad kernel is reported once.
std::string damaged_guard() {
    std::vector<unsigned char> intact(kGuard);
    std::string found;
    for (auto& [addr, a] : g_allocs) {
        std::memset(intact.data(), a.guard, kGuard);
        if (std::memcmp(a.base, intact.data(), kGuard) != 0)
            found = "before the start of a buffer of " + std::to_string(a.bytes) + " bytes";
        else if (std::memcmp(a.base + kGuard + a.bytes, intact.data(), kGuard) != 0)
            found = "past the end of a buffer of " + std::to_string(a.bytes) + " bytes";
        if (!found.empty()) {
            std::memset(a.base, a.guard, kGuard);
            std::memset(a.base + kGuard + a.bytes, a.guard, kGuard);
            return found;
        }
    }
    return "";
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }
}  // namespace

// ------------------------------------------------------------------ test controls (not CUDA)
API void fake_cuda_set_memory_limit(size_t bytes) {
    std::lock_guard<std::mutex> l(g_lock);
    g_limit = bytes;
}

// For fake_libcublas.cpp: 1 when [p, p + bytes) lies inside one live allocation.
API int fake_cuda_inside(unsigned long long p, size_t bytes) {
    std::lock_guard<std::mutex> l(g_lock);
    return inside(p, bytes) != nullptr;
}

API size_t fake_cuda_bytes_in_use() {
    std::lock_guard<std::mutex> l(g_lock);
    return g_in_use;
}

// ------------------------------------------------------------------ initialization, device
API CUresult cuInit(unsigned flags) {
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    g_initialized = true;
    return CUDA_SUCCESS;
}

API CUresult cuDriverGetVersion(int* v) {
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    *v = 13000;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetCount(int* n) {
    if (!g_initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    *n = 1;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    if (!g_initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    std::snprintf(name, (size_t)len, "%s", "fake libcuda over the CPU emulation (kernels/emu)");
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetAttribute(int* v, int attribute, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute) {
        case ATTR_CC_MAJOR: *v = 9; return CUDA_SUCCESS;
        case ATTR_CC_MINOR: *v = 0; return CUDA_SUCCESS;
        case ATTR_MULTIPROCESSOR_COUNT: {   // FAKE_CUDA_SMS, else 4: small, so the tests' shapes still split
            const char* e = std::getenv("FAKE_CUDA_SMS");
            *v = e && std::atoi(e) > 0 ? std::atoi(e) : 4;
            return CUDA_SUCCESS;
        }
        default: say("cuDeviceGetAttribute: attribute " + std::to_string(attribute) + " not emulated");
                 return CUDA_ERROR_INVALID_VALUE;
    }
}

API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> l(g_lock);
    *bytes = g_limit;
    return CUDA_SUCCESS;
}

// ------------------------------------------------------------------ contexts
API CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice d) {
    if (!g_initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> l(g_lock);
    g_primary.retained++;
    *ctx = &g_primary;
    return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> l(g_lock);
    if (g_primary.retained == 0) return CUDA_ERROR_INVALID_CONTEXT;
    g_primary.retained--;
    return CUDA_SUCCESS;
}

API CUresult cuCtxSetCurrent(void* ctx) {
    if (!g_initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (ctx && ctx != &g_primary) return CUDA_ERROR_INVALID_CONTEXT;
    t_current = static_cast<Context*>(ctx);
    return CUDA_SUCCESS;
}

API CUresult cuCtxGetCurrent(void** ctx) {
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    *ctx = t_current;
    return CUDA_SUCCESS;
}

API CUresult cuCtxSynchronize() {
    if (CUresult rc = need_context()) return rc;
    std::lock_guard<std::mutex> l(g_lock);
    return take_pending();
}

// ------------------------------------------------------------------ modules
API CUresult cuModuleLoadData(void** module, const void* image) {
    if (CUresult rc = need_context()) return rc;
    if (!module || !image) return CUDA_ERROR_INVALID_VALUE;
    // a fatbin: magic 0xBA55ED50, version (u16), header size (u16), payload size (u64)
    const unsigned char* p = static_cast<const unsigned char*>(image);
    unsigned magic;
    unsigned short header;
    unsigned long long payload;
    std::memcpy(&magic, p, 4);
    std::memcpy(&header, p + 6, 2);
    std::memcpy(&payload, p + 8, 8);
    if (magic != 0xBA55ED50u || header < 16 || payload > (1ull << 31)) {
        say("cuModuleLoadData: the image is not a fatbin");
        return CUDA_ERROR_INVALID_IMAGE;
    }
    Module* m = new Module();
    m->image.assign(reinterpret_cast<const char*>(p), header + payload);
    *module = m;
    return CUDA_SUCCESS;
}

// Found where the image names the entry point (the SASS string table or the PTX) and the emulator
// has it: a kernel the nvcc build dropped, or one only the emulator knows, is CUDA_ERROR_NOT_FOUND.
API CUresult cuModuleGetFunction(void** f, void* module, const char* name) {
    if (CUresult rc = need_context()) return rc;
    if (!f || !module || !name) return CUDA_ERROR_INVALID_VALUE;
    const std::string& image = static_cast<Module*>(module)->image;
    std::string n(name);
    bool named = contains(image, std::string(1, '\0') + n + std::string(1, '\0')) || contains(image, ".entry " + n + "(");
    if (!named || emu_kernel_arity(name) < 0) return CUDA_ERROR_NOT_FOUND;
    *f = new Function{n};
    return CUDA_SUCCESS;
}

// ------------------------------------------------------------------ memory
API CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytes) {
    if (CUresult rc = need_context()) return rc;
    if (!dptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> l(g_lock);
    if (bytes > g_limit || g_in_use > g_limit - bytes) return CUDA_ERROR_OUT_OF_MEMORY;
    unsigned char* base = static_cast<unsigned char*>(std::malloc(bytes + 2 * kGuard));
    if (!base) return CUDA_ERROR_OUT_OF_MEMORY;
    const unsigned char guard = guard_byte(g_serial++);
    std::memset(base, guard, kGuard);
    std::memset(base + kGuard + bytes, guard, kGuard);
    std::memset(base + kGuard, 0x7f, bytes);         // not zeros: code must not rely on fresh memory
    CUdeviceptr addr = reinterpret_cast<CUdeviceptr>(base + kGuard);
    g_allocs[addr] = Alloc{base, bytes, guard};
    g_in_use += bytes;
    *dptr = addr;
    return CUDA_SUCCESS;
}

API CUresult cuMemFree_v2(CUdeviceptr p) {
    if (CUresult rc = need_context()) return rc;
    std::lock_guard<std::mutex> l(g_lock);
    auto it = g_allocs.find(p);
    if (it == g_allocs.end()) {
        say("cuMemFree: " + std::to_string(p) + " is not a live allocation (double free?)");
        return CUDA_ERROR_INVALID_VALUE;
    }
    g_in_use -= it->second.bytes;
    std::free(it->second.base);
    g_allocs.erase(it);
    return CUDA_SUCCESS;
}

namespace {
CUresult copy_checked(const char* what, CUdeviceptr dev, size_t bytes) {
    if (CUresult rc = need_context()) return rc;
    if (!inside(dev, bytes)) {
        say(std::string(what) + ": " + std::to_string(bytes) + " bytes at " + std::to_string(dev) +
            " are not inside one live allocation");
        return CUDA_ERROR_INVALID_VALUE;
    }
    return take_pending();               // copies synchronize with earlier launches
}
}  // namespace

API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
    std::lock_guard<std::mutex> l(g_lock);
    if (CUresult rc = copy_checked("cuMemcpyHtoD", dst, bytes)) return rc;
    std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
    return CUDA_SUCCESS;
}

API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
    std::lock_guard<std::mutex> l(g_lock);
    if (CUresult rc = copy_checked("cuMemcpyDtoH", src, bytes)) return rc;
    std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
}

API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
    std::lock_guard<std::mutex> l(g_lock);
    if (CUresult rc = copy_checked("cuMemcpyDtoD (source)", src, bytes)) return rc;
    if (CUresult rc = copy_checked("cuMemcpyDtoD (destination)", dst, bytes)) return rc;
    std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
}

API CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned value, size_t count) {
    std::lock_guard<std::mutex> l(g_lock);
    if (dst % 4 != 0) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult rc = copy_checked("cuMemsetD32", dst, 4 * count)) return rc;
    unsigned* w = reinterpret_cast<unsigned*>(dst);
    for (size_t i = 0; i < count; i++) w[i] = value;
    return CUDA_SUCCESS;
}

// ------------------------------------------------------------------ launches
API CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                            unsigned sharedBytes, CUstream stream, void** params, void** extra) {
    if (CUresult rc = need_context()) return rc;
    if (!f) return CUDA_ERROR_INVALID_HANDLE;
    const std::string& name = static_cast<Function*>(f)->name;
    if (extra) {
        say("cuLaunchKernel " + name + ": the `extra` argument style is not emulated");
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (sharedBytes > 48 * 1024 || stream) {
        say("cuLaunchKernel " + name + ": dynamic shared memory / non-default streams are not emulated");
        return CUDA_ERROR_INVALID_VALUE;
    }
    // as the driver: an impossible launch configuration fails at once, not at the next sync
    if (!gx || !gy || !gz || !bx || !by || !bz || bx > 1024 || by > 1024 || bz > 64 ||
        (unsigned long long)bx * by * bz > 1024 || gx > 0x7fffffffu || gy > 65535 || gz > 65535) {
        say("cuLaunchKernel " + name + ": invalid launch configuration");
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (emu_kernel_arity(name.c_str()) > 0 && !params) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> l(g_lock);
    if (emu_launch(name.c_str(), gx, gy, gz, bx, by, bz, params) != 0) {
        say(emu_last_error());
        g_pending = CUDA_ERROR_LAUNCH_FAILED;
        return CUDA_SUCCESS;
    }
    std::string damage = damaged_guard();
    if (!damage.empty()) {
        say("kernel " + name + " wrote " + damage);
        g_pending = CUDA_ERROR_LAUNCH_FAILED;
    }
    return CUDA_SUCCESS;
}

// ------------------------------------------------------------------ events (host clock)
API CUresult cuEventCreate(void** e, unsigned flags) {
    if (CUresult rc = need_context()) return rc;
    if (!e) return CUDA_ERROR_INVALID_VALUE;
    (void)flags;
    *e = new Event();
    return CUDA_SUCCESS;
}

API CUresult cuEventRecord(void* e, CUstream stream) {
    if (CUresult rc = need_context()) return rc;
    if (!e || stream) return CUDA_ERROR_INVALID_VALUE;
    static_cast<Event*>(e)->at = std::chrono::steady_clock::now();
    static_cast<Event*>(e)->recorded = true;
    return CUDA_SUCCESS;
}

API CUresult cuEventSynchronize(void* e) {
    if (CUresult rc = need_context()) return rc;
    if (!e) return CUDA_ERROR_INVALID_HANDLE;
    std::lock_guard<std::mutex> l(g_lock);
    return take_pending();
}

API CUresult cuEventElapsedTime(float* ms, void* start, void* stop) {
    if (!ms || !start || !stop) return CUDA_ERROR_INVALID_VALUE;
    Event* a = static_cast<Event*>(start);
    Event* b = static_cast<Event*>(stop);
    if (!a->recorded || !b->recorded) return CUDA_ERROR_INVALID_HANDLE;
    *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
    return CUDA_SUCCESS;
}

API CUresult cuEventDestroy_v2(void* e) {
    if (!e) return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<Event*>(e);
    return CUDA_SUCCESS;
}

// ------------------------------------------------------------------ error strings
API CUresult cuGetErrorName(CUresult rc, const char** s) {
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    *s = rc == CUDA_SUCCESS ? "CUDA_SUCCESS" : "CUDA_ERROR (fake libcuda)";
    return CUDA_SUCCESS;
}

API CUresult cuGetErrorString(CUresult rc, const char** s) { return cuGetErrorName(rc, s); }

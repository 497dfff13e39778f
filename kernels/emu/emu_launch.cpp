// emu_launch.cpp: the CPU "driver" of the CUDA emulation (see cuda_emu.h). libnrpm_emu.so exports
//   int emu_launch(name, gx, gy, gz, bx, by, bz, void** args)   0 = ok, else see emu_last_error()
//   const char* emu_last_error()                                 "" when the last launch was fine
//   int emu_kernel_arity(name)                                   parameter count, -1 if unknown
// so the Java conformance suite (JNA) can run the real kernels/*.cu on machines without a GPU and
// compare them with the float64 reference backend.
//
// Scheduling: blocks run in order (x fastest, then y, z) on the calling OS thread; a block's
// threads are fibers (x fastest), each run until it reaches __syncthreads() or returns. One pass
// over the block brings every live thread to its next barrier; a pass where some threads wait and
// others have returned is a kernel bug and aborts the launch with an error (never a hang).
// NRPM_EMU_ORDER=reverse reverses both orders (see g_reverse). Launches are serialized by a mutex: __shared__ variables are process-wide statics.
#include "emu/cuda_emu.h"

#include <sys/mman.h>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

// ------------------------------------------------------------------ context switch
// x86-64 ELF: a 14-instruction switch of the callee-saved registers (~ns). Elsewhere: ucontext
// (portable, but swapcontext makes a sigprocmask syscall per switch).
#if defined(__x86_64__) && defined(__ELF__) && !defined(EMU_UCONTEXT)
asm(R"(
    .text
    .p2align 4
    .globl emu_ctx_switch
    .hidden emu_ctx_switch
    .type emu_ctx_switch, @function
emu_ctx_switch:                     # (void** save_sp, void* load_sp)
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_ctx_switch, .-emu_ctx_switch
)");
extern "C" EMU_API void emu_ctx_switch(void** save_sp, void* load_sp);

namespace {
struct Ctx { void* sp; };
void ctx_switch(Ctx& from, Ctx& to) { emu_ctx_switch(&from.sp, to.sp); }
void ctx_start(Ctx& c, char* stack, size_t size, void (*entry)()) {
    void** sp = (void**)(((uintptr_t)(stack + size)) & ~(uintptr_t)15);
    *--sp = nullptr;           // entry's return address: entry never returns
    *--sp = (void*)entry;      // popped by `ret`, leaving rsp = 8 mod 16 as at any function entry
    for (int i = 0; i < 6; i++) *--sp = nullptr;   // rbp rbx r12..r15
    c.sp = sp;
}
}  // namespace
#else
#include <ucontext.h>
namespace {
struct Ctx { ucontext_t uc; };
void ctx_switch(Ctx& from, Ctx& to) { swapcontext(&from.uc, &to.uc); }
void ctx_start(Ctx& c, char* stack, size_t size, void (*entry)()) {
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
}  // namespace
#endif

// ------------------------------------------------------------------ scheduler state
namespace {
constexpr size_t kStack = 256 << 10;     // per fiber; a PROT_NONE guard page below each
constexpr size_t kGuard = 4096;
enum State { kWaiting, kDone, kTrapped };

struct Fiber { Ctx ctx; char* stack; State state; };
struct Kernel { emu::Invoker invoke; int nargs; };

std::unordered_map<std::string, Kernel>& table() { static std::unordered_map<std::string, Kernel> t; return t; }
std::mutex g_lock;
thread_local std::string g_error;

std::vector<Fiber> g_fibers;   // reused across blocks and launches
Fiber* g_cur;
Ctx g_sched;
emu::Invoker g_invoke;
void** g_args;
unsigned g_phase;              // barriers completed by the current block
int g_count[2];                // __syncthreads_count accumulators, by phase parity

void fiber_main() {
    g_invoke(g_args);
    g_cur->state = kDone;
    ctx_switch(g_cur->ctx, g_sched);
    __builtin_unreachable();
}

bool ensure_fibers(size_t n) {
    while (g_fibers.size() < n) {
        void* m = mmap(nullptr, kStack + kGuard, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return false;
        mprotect(m, kGuard, PROT_NONE);
        g_fibers.push_back(Fiber{Ctx{}, (char*)m + kGuard, kDone});
    }
    return true;
}

std::string fmt3(unsigned x, unsigned y, unsigned z) {
    return "(" + std::to_string(x) + "," + std::to_string(y) + "," + std::to_string(z) + ")";
}

// NRPM_EMU_ORDER=reverse runs blocks, and a block's threads between barriers, last first. A GPU
// promises no order: a kernel whose result depends on one (a block reading what another block of
// the same launch writes, a thread reading shared memory another wrote without a barrier between)
// then gives a different answer in one of the two orders, and the tests, run in both, catch it.
const bool g_reverse = [] {
    const char* v = getenv("NRPM_EMU_ORDER");
    return v && std::string(v) == "reverse";
}();

// Runs the block blockIdx to completion; returns "" or what went wrong.
std::string run_block() {
    const dim3 b = blockDim;
    const unsigned n = b.x * b.y * b.z;
    // stack tops staggered by 64 B * (t mod 63) so that 1024 hot stack tops do not share cache sets
    for (unsigned t = 0; t < n; t++) ctx_start(g_fibers[t].ctx, g_fibers[t].stack, kStack - 64 * (t % 63), fiber_main);
    for (unsigned t = 0; t < n; t++) g_fibers[t].state = kWaiting;   // "waiting" to start
    g_phase = 0;
    g_count[0] = g_count[1] = 0;
    for (;;) {
        unsigned waiting = 0, exited = 0;
        uint3 oneExited{}, oneWaiting{};
        for (unsigned i = 0; i < n; i++) {
            const unsigned t = g_reverse ? n - 1 - i : i;   // x fastest, then y, z
            const unsigned x = t % b.x, y = t / b.x % b.y, z = t / (b.x * b.y);
            Fiber& f = g_fibers[t];
            if (f.state == kDone) { exited++; continue; }
            threadIdx = uint3{x, y, z};
            g_cur = &f;
            ctx_switch(g_sched, f.ctx);
            if (f.state == kTrapped) return "__trap() in thread " + fmt3(x, y, z);
            if (f.state == kWaiting) { if (!waiting++) oneWaiting = uint3{x, y, z}; }
            else if (!exited++) oneExited = uint3{x, y, z};
        }
        if (waiting == 0) return "";
        if (exited)
            return "__syncthreads() #" + std::to_string(g_phase + 1) + " reached by " + std::to_string(waiting) +
                   " of " + std::to_string(n) + " threads (e.g. " + fmt3(oneWaiting.x, oneWaiting.y, oneWaiting.z) +
                   "), but thread " + fmt3(oneExited.x, oneExited.y, oneExited.z) +
                   " had returned: every thread of a block must reach every barrier";
        g_phase++;
        g_count[g_phase & 1] = 0;
    }
}

int fail(std::string msg) { g_error = std::move(msg); return 1; }
}  // namespace

// ------------------------------------------------------------------ device-side entry points
void __syncthreads() {
    Fiber* f = g_cur;
    f->state = kWaiting;
    ctx_switch(f->ctx, g_sched);
}

int __syncthreads_count(int pred) {
    unsigned ph = g_phase;
    g_count[ph & 1] += pred != 0;
    __syncthreads();
    return g_count[ph & 1];   // reset only when barrier ph + 1 releases, after everyone read it
}

void __trap() {
    g_cur->state = kTrapped;
    ctx_switch(g_cur->ctx, g_sched);
    __builtin_unreachable();
}

void emu::register_kernel(const char* name, Invoker invoke, int nargs) { table()[name] = Kernel{invoke, nargs}; }

// ------------------------------------------------------------------ C API
extern "C" __attribute__((visibility("default"))) int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz,
                                                                 unsigned bx, unsigned by, unsigned bz, void** args) {
    g_error.clear();
    std::string kname = name ? name : "(null)";
    auto it = table().find(kname);
    if (it == table().end()) return fail("emu_launch: unknown kernel '" + kname + "'");
    auto dims = [&] { return "grid " + fmt3(gx, gy, gz) + " block " + fmt3(bx, by, bz); };
    if (!gx || !gy || !gz || !bx || !by || !bz || bx > 1024 || by > 1024 || bz > 64 ||
        (unsigned long long)bx * by * bz > 1024 || gx > 0x7fffffffu || gy > 65535 || gz > 65535)
        return fail("emu_launch " + kname + ": bad launch dimensions " + dims());
    if (it->second.nargs > 0 && !args) return fail("emu_launch " + kname + ": args is null");

    std::lock_guard<std::mutex> lock(g_lock);
    if (!ensure_fibers((size_t)bx * by * bz)) return fail("emu_launch: cannot map fiber stacks");
    g_invoke = it->second.invoke;
    g_args = args;
    gridDim = dim3(gx, gy, gz);
    blockDim = dim3(bx, by, bz);
    const unsigned long long blocks = (unsigned long long)gx * gy * gz;
    for (unsigned long long i = 0; i < blocks; i++) {
        const unsigned long long k = g_reverse ? blocks - 1 - i : i;   // x fastest, then y, z
        const unsigned x = (unsigned)(k % gx), y = (unsigned)(k / gx % gy), z = (unsigned)(k / gx / gy);
        blockIdx = uint3{x, y, z};
        std::string err = run_block();
        if (!err.empty()) return fail("kernel " + kname + " (" + dims() + "), block " + fmt3(x, y, z) + ": " + err);
    }
    return 0;
}

extern "C" __attribute__((visibility("default"))) const char* emu_last_error() { return g_error.c_str(); }

extern "C" __attribute__((visibility("default"))) int emu_kernel_arity(const char* name) {
    auto it = table().find(name ? name : "");
    return it == table().end() ? -1 : it->second.nargs;
}

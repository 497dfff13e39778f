// selftest_driver.cpp LIB [quick]: loads a libnrpm_emu.so built with selftest.cu (see selftest.sh) through
// dlopen, exactly as the Java suite does through JNA, launches each self-test kernel through
// emu_launch and checks the results on the host. Exit status 0 only when every check passes.
#include <dlfcn.h>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

typedef int (*LaunchFn)(const char*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void**);
static LaunchFn launch;
static const char* (*last_error)();
static int (*arity)(const char*);
static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static bool run(const char* k, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, std::vector<void*> a) {
    int rc = launch(k, gx, gy, gz, bx, by, bz, a.data());
    CHECK(rc == 0, "%s returned %d: %s", k, rc, last_error());
    CHECK(rc != 0 || !*last_error(), "%s: error message after success", k);
    return rc == 0;
}

// Host copies of common.cuh's RNG (CounterRng), to check the device code compiled under emu.
static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static float uniform(uint64_t seed, uint64_t i) { return (float)(mix(seed * 0x9E3779B97F4A7C15ULL + mix(i + 0x632BE59BD9B4E019ULL)) >> 40) * 5.9604644775390625e-8f; }

struct NrpmParams { int k; float eps; int fn; float gamma; float delta; };
struct ConvShape { int batch, inC, inH, inW, outC, kH, kW, strideH, strideW, padH, padW, outH, outW; };

int main(int argc, char** argv) {
    void* lib = dlopen(argc > 1 ? argv[1] : "./libnrpm_emu.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) { printf("dlopen: %s\n", dlerror()); return 1; }
    launch = (LaunchFn)dlsym(lib, "emu_launch");
    last_error = (const char* (*)())dlsym(lib, "emu_last_error");
    arity = (int (*)(const char*))dlsym(lib, "emu_kernel_arity");
    if (!launch || !last_error || !arity) { printf("missing symbols\n"); return 1; }
    // NRPM_EMU_ORDER=reverse: blocks and threads run last first; the checks that name a particular
    // block or thread assume the default order and are skipped then
    const bool reverse = getenv("NRPM_EMU_ORDER") && std::string(getenv("NRPM_EMU_ORDER")) == "reverse";

    // --- block reduction with 9 barriers, grid-stride loop (n > grid * block)
    {
        long long n = 100000;
        std::vector<float> x(n), out(8, -1.0f);
        for (long long i = 0; i < n; i++) x[i] = (float)(i % 17) - 8.0f;
        float* xp = x.data(); float* op = out.data();
        run("st_block_sum", 8, 1, 1, 256, 1, 1, {&xp, &op, &n});
        double total = 0, want = 0;
        for (float v : out) total += v;
        for (float v : x) want += v;
        CHECK(total == want, "block sum %g != %g", total, want);
        for (int b = 0; b < 8; b++) {   // each block's own slice
            double s = 0;
            for (long long i = b * 256; i < n; i += 8 * 256)
                for (long long j = i; j < i + 256 && j < n; j++) s += x[j];
            CHECK(out[b] == (float)s, "block %d sum %g != %g", b, out[b], s);
        }
        CHECK(arity("st_block_sum") == 3 && arity("nope") == -1, "arity");
    }
    // --- 2-D grid of 2-D blocks with a shared tile
    {
        int rows = 37, cols = 50;
        std::vector<float> y(rows * cols, -1.0f);
        float* yp = y.data();
        run("st_grid2d", (cols + 15) / 16, (rows + 15) / 16, 1, 16, 16, 1, {&yp, &rows, &cols});
        int bad = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) bad += y[r * cols + c] != 1000.0f * r + c;
        CHECK(bad == 0, "grid2d: %d wrong cells", bad);
    }
    // --- scheduling order: blocks x,y,z; threads x,y,z; all starts, then all post-barrier
    {
        unsigned gx = 3, gy = 2, gz = 2, bx = 4, by = 3, bz = 2, nt = bx * by * bz, nb = gx * gy * gz;
        std::vector<int> tickets(2 * nt * nb, -1);
        int counter = 0;
        int* tp = tickets.data(); int* cp = &counter;
        run("st_order", gx, gy, gz, bx, by, bz, {&tp, &cp});
        int bad = 0;
        for (unsigned b = 0; b < nb; b++)
            for (unsigned t = 0; t < nt; t++) {
                const unsigned rb = reverse ? nb - 1 - b : b, rt = reverse ? nt - 1 - t : t;   // run ranks
                bad += tickets[2 * (b * nt + t)] != (int)(rb * 2 * nt + rt);
                bad += tickets[2 * (b * nt + t) + 1] != (int)(rb * 2 * nt + nt + rt);
            }
        CHECK(bad == 0 && counter == (int)(2 * nt * nb), "order: %d wrong tickets", bad);
    }
    // --- atomics over a grid-stride loop
    {
        long long n = 5000;
        std::vector<float> x(n);
        for (long long i = 0; i < n; i++) x[i] = 0.5f * (float)(i % 5);
        float fsum = 1.0f; double dsum = 0; unsigned long long cnt = 7; int isum = 0, imax = -5;
        float* xp = x.data(); float* fp = &fsum; double* dp = &dsum; unsigned long long* cp = &cnt; int* ip = &isum; int* mp = &imax;
        run("st_atomics", 3, 1, 1, 128, 1, 1, {&xp, &n, &fp, &dp, &cp, &ip, &mp});
        double want = 0; int wmax = -5;
        for (long long i = 0; i < n; i++) { want += x[i]; wmax = std::max(wmax, (int)(i * 7 % 1001)); }
        CHECK(dsum == want && fsum == (float)(want + 1) && cnt == 5007ULL && isum == (int)(n * (n - 1) / 2) && imax == wmax,
              "atomics: %g %g %llu %d %d", fsum, dsum, cnt, isum, imax);
    }
    // --- __syncthreads_count / and / or
    {
        std::vector<int> out(12, -1);
        int* op = out.data();
        run("st_sync_count", 3, 1, 1, 100, 1, 1, {&op});
        for (int b = 0; b < 3; b++)
            CHECK(out[4 * b] == 34 && out[4 * b + 1] == 1 && out[4 * b + 2] == (b == 1) && out[4 * b + 3] == 100,
                  "sync_count block %d: %d %d %d %d", b, out[4 * b], out[4 * b + 1], out[4 * b + 2], out[4 * b + 3]);
    }
    // --- common.cuh under the emulator, structs by value
    {
        NrpmParams p{3, 1e-3f, 1, 4.0f, 0.5f};
        ConvShape s{2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 8, 9};
        unsigned long long seed = 42;
        long long n = 64;
        std::vector<float> out(4 * n + 4, -1.0f);
        float* op = out.data();
        run("st_common", 2, 1, 1, 16, 1, 1, {&p, &s, &seed, &op, &n});
        int bad = 0;
        for (long long i = 0; i < n; i++) {
            bad += out[4 * i] != uniform(seed, i);
            float u1 = 1.0f - uniform(seed, 2 * i), u2 = uniform(seed, 2 * i + 1);
            bad += out[4 * i + 1] != (float)(std::sqrt(-2.0 * std::log((double)u1)) * std::cos(2.0 * 3.141592653589793 * (double)u2));
            bad += out[4 * i + 2] != p.eps * (float)i;
            bad += out[4 * i + 3] != (float)(p.fn + s.outC);
        }
        CHECK(bad == 0, "common.cuh: %d mismatches", bad);
        CHECK(out[4 * n] == 2 && out[4 * n + 1] == 9 && out[4 * n + 2] == 3 && out[4 * n + 3] == 0.5f, "struct fields by value");
    }
    // --- intrinsics
    {
        long long n = 6; int lim = 3;
        std::vector<float> x = {0.0f, 1.0f, -2.0f, INFINITY, NAN, 9.0f}, y(8 * n);
        float* xp = x.data(); float* yp = y.data();
        run("st_math", 1, 1, 1, 32, 1, 1, {&xp, &yp, &n, &lim});
        for (long long i = 0; i < n; i++) {
            float a = std::isfinite(x[i]) ? x[i] : 0.0f;
            float want[8] = {1.0f / std::sqrt(std::fabs(a) + 1.0f), std::exp(std::fmin(a, 10.0f)) + std::log(std::fmax(a, 1.0f)),
                             std::fma(a, 2.0f, a * a + 1.0f), a,
                             (float)((float)std::min(i, (long long)lim) + (float)std::max(3u, (unsigned)i) + std::fmin(a, 0.5f) + std::fmax(-1.0, (double)a)),
                             (std::isnan(x[i]) ? 1.0f : 0.0f) + a / 2.0f + 0.25f,
                             std::sqrt(std::fabs(a)) + 1.0f + 0.0f + 3.0f, (float)std::max(2, std::min((int)i, 5))};
            for (int k = 0; k < 8; k++) CHECK(y[8 * i + k] == want[k], "math[%lld][%d] = %g, want %g", i, k, y[8 * i + k], want[k]);
        }
    }
    // --- the compiler reloads shared memory after barriers (no forwarding of a thread's own store)
    if (!reverse) {
        std::vector<int> out(3 * 64, -1);
        int* op = out.data();
        run("st_shared_reload", 1, 1, 1, 64, 1, 1, {&op});
        int bad = 0;
        for (int t = 0; t < 64; t++) bad += out[3 * t] != 62 + (t & 1) || out[3 * t + 1] != 63 || out[3 * t + 2] != 62;
        CHECK(bad == 0, "shared reload: %d threads saw a stale value (t=0: %d %d %d)", bad, out[0], out[1], out[2]);
    }
    // --- stack depth
    {
        std::vector<float> y(64);
        float* yp = y.data();
        run("st_stack", 1, 1, 1, 64, 1, 1, {&yp});
        float want0 = 0; for (int i = 0; i < 16384; i += 1024) want0 += (float)i;
        CHECK(y[0] == want0 && y[63] == want0 + 16 * 63, "stack: %g %g", y[0], y[63]);
    }
    // --- broken kernels: errors naming kernel and block, never a hang; the next launch still works
    if (!reverse) {
        std::vector<float> y(1024, 0.0f);
        float* yp = y.data();
        void* ya[] = {&yp};
        int rc = launch("st_broken_exit", 2, 1, 1, 256, 1, 1, ya);
        printf("expected error: %s\n", last_error());
        CHECK(rc != 0 && strstr(last_error(), "st_broken_exit") && strstr(last_error(), "block (0,0,0)"), "broken_exit: rc %d", rc);
        rc = launch("st_broken_count", 3, 1, 1, 64, 1, 1, ya);
        printf("expected error: %s\n", last_error());
        CHECK(rc != 0 && strstr(last_error(), "st_broken_count") && strstr(last_error(), "block (1,0,0)") &&
              strstr(last_error(), "#2"), "broken_count: rc %d", rc);
        CHECK(y[0] == 2.0f && y[65] == 0.0f, "broken_count: block 0 ran, block 1 did not finish");
        rc = launch("st_trap", 4, 1, 1, 32, 1, 1, ya);
        printf("expected error: %s\n", last_error());
        CHECK(rc != 0 && strstr(last_error(), "block (2,0,0)") && strstr(last_error(), "(5,0,0)"), "trap: rc %d", rc);
        rc = launch("no_such_kernel", 1, 1, 1, 1, 1, 1, ya);
        printf("expected error: %s\n", last_error());
        CHECK(rc != 0 && strstr(last_error(), "no_such_kernel"), "unknown kernel: rc %d", rc);
        CHECK(launch("st_trap", 1, 1, 1, 1025, 1, 1, ya) != 0, "block of 1025 accepted");
        CHECK(launch("st_trap", 1, 1, 1, 32, 32, 2, ya) != 0, "block 32x32x2 accepted");
        CHECK(launch("st_trap", 0, 1, 1, 32, 1, 1, ya) != 0, "grid 0 accepted");
        CHECK(launch("st_trap", 1, 65536, 1, 32, 1, 1, ya) != 0, "grid y 65536 accepted");
        printf("expected error: %s\n", last_error());
        int rounds = 3;
        std::vector<float> z(1024);
        float* zp = z.data();
        run("st_barriers", 1, 1, 1, 1024, 1, 1, {&zp, &rounds});   // after failures, a full block still runs
        CHECK(z[0] == 3.0f + 3.0f && z[1023] == 2.0f + 3.0f, "barriers after errors: %g %g", z[0], z[1023]);
    }
    // --- timing: grid 64 x block 256, 10 barriers; and a barrier-free 1-D launch of 1M threads
    {
        int rounds = 10;
        std::vector<float> y(64 * 256);
        float* yp = y.data();
        run("st_barriers", 64, 1, 1, 256, 1, 1, {&yp, &rounds});
        auto t0 = std::chrono::steady_clock::now();
        int reps = 20;
        for (int r = 0; r < reps; r++) run("st_barriers", 64, 1, 1, 256, 1, 1, {&yp, &rounds});
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
        CHECK(y[0] == 10.0f + 10.0f, "barriers: %g", y[0]);
        printf("timing: grid 64 x block 256, 10 barriers: %.2f ms per launch (%.1f ns per thread-barrier)\n",
               ms, ms * 1e6 / (64 * 256 * 11));
        if (argc > 2 && !strcmp(argv[2], "quick")) goto done;
        long long n = 4096LL * 256;
        std::vector<float> x(n, 1.0f), out(4096);
        float* xp = x.data(); float* op = out.data();
        run("st_block_sum", 4096, 1, 1, 256, 1, 1, {&xp, &op, &n});
        t0 = std::chrono::steady_clock::now();
        run("st_block_sum", 4096, 1, 1, 256, 1, 1, {&xp, &op, &n});
        ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        printf("timing: grid 4096 x block 256 block reduction (9 barriers): %.1f ms per launch\n", ms);
        float a = 2.0f;
        std::vector<float> y2(n, 1.0f);
        float* y2p = y2.data();
        t0 = std::chrono::steady_clock::now();
        run("st_axpy", 4096, 1, 1, 256, 1, 1, {&a, &xp, &y2p, &n});
        ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        CHECK(y2[0] == 3.0f && y2[n - 1] == 3.0f, "axpy");
        printf("timing: grid 4096 x block 256 axpy over 1M floats (no barrier): %.1f ms per launch\n", ms);
    }
done:
    printf(failures ? "SELFTEST FAILED: %d check(s)\n" : "SELFTEST OK\n", failures);
    return failures ? 1 : 0;
}

// selftest.cu: kernels that test the CPU emulation itself (cuda_emu.h + emu_launch.cpp), not part
// of the product: it lives in kernels/emu/ so nvcc's kernels/*.cu build never sees it, and
// selftest.sh builds it alone into an emulator library and checks every result from a C++ driver.
// Covered: block reductions with many barriers, 2-D/3-D blocks and grids and their scheduling order,
// atomics, grid-stride loops, __syncthreads_count, by-value structs and common.cuh's device code,
// CUDA intrinsics, and kernels that misuse barriers (they must fail the launch, not hang).
#include "common.cuh"

// Tree reduction of a grid-stride partial sum: out[blockIdx.x] = sum of this block's elements.
NRPM_KERNEL void st_block_sum(const float* __restrict__ x, float* __restrict__ out, long long n) {
    __shared__ float buf[NRPM_BLOCK];
    float acc = 0.0f;
    GRID_STRIDE_LOOP(i, n) acc += x[i];
    buf[threadIdx.x] = acc;
    __syncthreads();
#pragma unroll
    for (int s = NRPM_BLOCK / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = buf[0];
}

// 2-D grid of 2-D blocks: y[r, c] = 1000 r + c, written through a shared 2-D tile and transposed
// twice (the classic tile transpose with a padded tile and two barriers per tile).
NRPM_KERNEL void st_grid2d(float* y, int rows, int cols) {
    __shared__ float tile[16][17];
    int c = blockIdx.x * blockDim.x + threadIdx.x, r = blockIdx.y * blockDim.y + threadIdx.y;
    tile[threadIdx.y][threadIdx.x] = 1000.0f * r + c;
    __syncthreads();
    float v = tile[threadIdx.y][threadIdx.x];
    __syncthreads();
    tile[threadIdx.x][threadIdx.y] = v;   // transpose in place through the barrier
    __syncthreads();
    v = tile[threadIdx.x][threadIdx.y];
    if (r < rows && c < cols) y[(long long)r * cols + c] = v;
}

// Scheduling order: each thread takes a ticket at start and after one barrier.
NRPM_KERNEL void st_order(int* tickets, int* counter) {
    unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    unsigned nt = blockDim.x * blockDim.y * blockDim.z;
    unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    tickets[2 * (b * nt + t)] = atomicAdd(counter, 1);
    __syncthreads();
    tickets[2 * (b * nt + t) + 1] = atomicAdd(counter, 1);
}

// Atomics of every flavour over a grid-stride loop.
NRPM_KERNEL void st_atomics(const float* x, long long n, float* fsum, double* dsum,
                            unsigned long long* count, int* isum, int* imax) {
    GRID_STRIDE_LOOP(i, n) {
        atomicAdd(fsum, x[i]);
        atomicAdd(dsum, (double)x[i]);
        atomicAdd(count, 1ULL);
        atomicAdd(isum, (int)i);
        atomicMax(imax, (int)(i * 7 % 1001));
    }
}

// __syncthreads_count/and/or; out[b*3 + 0..2] from thread 0.
NRPM_KERNEL void st_sync_count(int* out) {
    int c = __syncthreads_count(threadIdx.x % 3 == 0);
    int a = __syncthreads_and(threadIdx.x < 1000);
    int o = __syncthreads_or(threadIdx.x == blockDim.x - 1 && blockIdx.x == 1);
    int c2 = __syncthreads_count(1);
    if (threadIdx.x == 0) { out[blockIdx.x * 4] = c; out[blockIdx.x * 4 + 1] = a; out[blockIdx.x * 4 + 2] = o; out[blockIdx.x * 4 + 3] = c2; }
}

// common.cuh under the emulator; structs by value: out[0..n) rng and struct fields, then shape fields.
NRPM_KERNEL void st_common(NrpmParams p, ConvShape s, unsigned long long seed, float* out, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        out[4 * i] = rng_uniform(seed, i);
        out[4 * i + 1] = rng_normal(seed, i);
        out[4 * i + 2] = p.eps * (float)i;
        out[4 * i + 3] = (float)(p.fn + s.outC);
    }
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        out[4 * n] = (float)s.batch; out[4 * n + 1] = (float)s.outW; out[4 * n + 2] = (float)p.k; out[4 * n + 3] = p.delta;
    }
}

// Intrinsics and overloads kernel writers may use.
__device__ __forceinline__ float st_helper(float v) { return __fdividef(v, 2.0f) + __frcp_rn(4.0f); }
NRPM_KERNEL void st_math(const float* x, float* y, long long n, int lim) {
    GRID_STRIDE_LOOP(i, n) {
        float v = __ldg(x + i);
        long long j = min(i, (long long)lim);
        unsigned u = max(3u, (unsigned)i);
        float a = isfinite(v) ? v : 0.0f;
        float b = isnan(v) ? 1.0f : 0.0f;
        y[8 * i] = rsqrtf(fabsf(a) + 1.0f);
        y[8 * i + 1] = __expf(fminf(a, 10.0f)) + __logf(fmaxf(a, 1.0f));
        y[8 * i + 2] = __fmaf_rn(a, 2.0f, __fadd_rn(__fmul_rn(a, a), 1.0f));
        y[8 * i + 3] = __int_as_float(__float_as_int(a));
        y[8 * i + 4] = (float)j + (float)u + min(a, 0.5f) + max(-1.0, (double)a);
        y[8 * i + 5] = b + st_helper(a);
        y[8 * i + 6] = sqrtf(fabsf(a)) + expf(0.0f) + logf(1.0f) + (float)(sqrt(4.0) + log(1.0) + cos(0.0));
        y[8 * i + 7] = (float)max(2, min((int)i, 5));
    }
}

// The benchmark shape: 10 barriers per thread around shared-memory traffic.
NRPM_KERNEL void st_barriers(float* y, int rounds) {
    __shared__ float buf[2][1024];   // double-buffered: one barrier per round suffices
    unsigned t = threadIdx.x;
    float v = (float)t;
    for (int r = 0; r < rounds; r++) {
        buf[r & 1][t] = v;
        __syncthreads();
        v = buf[r & 1][(t + 1) % blockDim.x] + 1.0f;
    }
    y[blockIdx.x * blockDim.x + t] = v;
}

// Broken on purpose: threads >= 100 return before the barrier.
NRPM_KERNEL void st_broken_exit(float* y) {
    if (threadIdx.x >= 100) return;
    __syncthreads();
    y[threadIdx.x] = 1.0f;
}

// Broken on purpose: odd threads pass one barrier more than even threads (block 1 only).
NRPM_KERNEL void st_broken_count(float* y) {
    int k = blockIdx.x == 1 ? 1 + (threadIdx.x & 1) : 1;
    for (int i = 0; i < k; i++) __syncthreads();
    y[blockIdx.x * blockDim.x + threadIdx.x] = 2.0f;
}

// Broken on purpose: thread 5 of block 2 traps.
NRPM_KERNEL void st_trap(float* y) {
    if (blockIdx.x == 2 && threadIdx.x == 5) __trap();
    y[blockIdx.x * blockDim.x + threadIdx.x] = 3.0f;
}

// Per-thread stacks are deep enough for a sizeable local array (~64 KiB).
NRPM_KERNEL void st_stack(float* y) {
    float local[16384];
    for (int i = 0; i < 16384; i++) local[i] = (float)(i + threadIdx.x);
    __syncthreads();
    float s = 0.0f;
    for (int i = 0; i < 16384; i += 1024) s += local[i];
    y[threadIdx.x] = s;
}

// The common 1-D shape without barriers (timed by the driver): y = a x + y.
NRPM_KERNEL void st_axpy(float a, const float* x, float* y, long long n) {
    GRID_STRIDE_LOOP(i, n) y[i] = a * x[i] + y[i];
}

// Not a pattern for real kernels (a write race on purpose): checks that g++ reloads __shared__
// statics after __syncthreads() instead of forwarding this thread's own store across it. The
// emulator runs threads in order, so after the barrier every thread must see the last writer's
// value, blockDim.x - 1; out[t] == t would mean the compiler cached s across the barrier.
__device__ __noinline__ int st_store_shared(int v) {
    __shared__ int s;
    s = v;
    __syncthreads();
    return s;
}
NRPM_KERNEL void st_shared_reload(int* out) {
    __shared__ int s[2];
    s[threadIdx.x & 1] = threadIdx.x;
    __syncthreads();
    out[3 * threadIdx.x] = s[threadIdx.x & 1];
    out[3 * threadIdx.x + 1] = st_store_shared(threadIdx.x);
    out[3 * threadIdx.x + 2] = s[0] + 0 * __syncthreads_count(s[1] = threadIdx.x);
}

// common.cuh: what every kernel file shares. Types passed by value from Java (shape structs),
// the counter-based RNG that matches dev.nrpm.backend.CounterRng bit for bit, the NRPM weight
// functions, and launch conventions. See kernels/README.md for the whole ABI.
//
// The same sources compile two ways:
//   nvcc  (the product: a fatbin the jar carries), and
//   g++ -DNRPM_EMU (tests: kernels/emu/cuda_emu.h runs each block's threads on CPU threads, so the
//   Java conformance suite checks these very kernels against the float64 oracle without a GPU).
// Hence the rules: no warp shuffles, no inline PTX (except under #ifdef __CUDA_ARCH__ beside an
// exact host equivalent, as nrpm_rcp's rcp.approx), no dynamic (extern) shared memory, no
// cooperative groups; __syncthreads() must be reached by every thread of a block (as CUDA demands
// anyway); atomics only through atomicAdd on float and unsigned long long.
#pragma once

#ifdef NRPM_EMU
#include "emu/cuda_emu.h"
#else
#include <cuda_runtime.h>
#include <stdint.h>
#endif

#define NRPM_KERNEL extern "C" __global__

// ------------------------------------------------------------------ launch conventions
// 1-D kernels take (long long n) and stride over the grid: Java launches
// block = NRPM_BLOCK, grid = min(ceil(n / NRPM_BLOCK), NRPM_MAX_GRID).
#define NRPM_BLOCK 256
#define NRPM_MAX_GRID 4096

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)

// ------------------------------------------------------------------ ReLU

// Java's Math.max(v, 0f), as the CPU backend and PyTorch: NaN stays NaN (a diverging run must not
// turn into zeros here), -0 becomes +0.
__device__ __forceinline__ float relu(float v) {
    return v != v ? v : (v > 0.0f ? v : 0.0f);
}

// ------------------------------------------------------------------ block reduction
// Sum over the block (blockDim.x a power of two <= NRPM_BLOCK, part holding blockDim.x values);
// every thread gets the total, and the trailing barrier lets the caller reuse `part` at once.
// Every thread of the block must call it (it has barriers).
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* part) {
    const unsigned t = threadIdx.x;
    part[t] = v;
    __syncthreads();
    for (unsigned s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (t < s) part[t] += part[t + s];
        __syncthreads();
    }
    const T total = part[0];
    __syncthreads();
    return total;
}

// ------------------------------------------------------------------ shapes passed by value
// Java passes these as int arrays of the same length (Pointer.to(int[])); keep the field order.

// Convolution, NCHW: x (batch, inC, inH, inW), w (outC, inC, kH, kW), y (batch, outC, outH, outW).
struct ConvShape {
    int batch, inC, inH, inW, outC, kH, kW, strideH, strideW, padH, padW, outH, outW;
};

// Pooling over planes = batch * channels independent planes of inH x inW.
struct PoolShape {
    int planes, inH, inW, kH, kW, strideH, strideW, padH, padW, outH, outW;
};

// NRPM settings (dev.nrpm.matching.NrpmSpec); fn is a weight function code, NRPM_WF_* below.
struct NrpmParams {
    int k;
    float eps;
    int fn;
    float gamma;
    float delta;
};

// ------------------------------------------------------------------ counter-based RNG
// dev.nrpm.backend.CounterRng: SplitMix64's finalizer; unsigned arithmetic wraps like Java's long.
__device__ __forceinline__ unsigned long long rng_mix(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ unsigned long long rng_bits(unsigned long long seed, unsigned long long index) {
    return rng_mix(seed * 0x9E3779B97F4A7C15ULL + rng_mix(index + 0x632BE59BD9B4E019ULL));
}

// Uniform in [0, 1) with 24 bits, exactly CounterRng.uniform.
__device__ __forceinline__ float rng_uniform(unsigned long long seed, unsigned long long index) {
    return (float)(rng_bits(seed, index) >> 40) * 5.9604644775390625e-8f;   // 2^-24
}

// Standard normal, exactly CounterRng.normal (computed in double, then rounded).
__device__ __forceinline__ float rng_normal(unsigned long long seed, unsigned long long index) {
    float u1 = 1.0f - rng_uniform(seed, 2 * index);
    float u2 = rng_uniform(seed, 2 * index + 1);
    return (float)(sqrt(-2.0 * log((double)u1)) * cos(2.0 * 3.141592653589793 * (double)u2));
}

// ------------------------------------------------------------------ NRPM weight functions
// NrpmParams.fn: dev.nrpm.matching.WeightFunction.code() (WeightFunctionCodesTest keeps the two the same).
// nrpm_fused.cuh defines the functions and traps on any other code.
#define NRPM_WF_L1 0
#define NRPM_WF_HUBER 1
#define NRPM_WF_MCP 2
#define NRPM_WF_HM 3

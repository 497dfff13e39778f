// cuda_emu.h: the CUDA vocabulary our kernels use, for g++ on a CPU (common.cuh includes it under
// -DNRPM_EMU). With emu_launch.cpp it runs the real kernels/*.cu sources on the CPU, so the Java
// conformance suite checks them against the float64 reference backend on machines without a GPU.
//
// Execution model (emu_launch.cpp): the blocks of a grid run one after another on the calling OS
// thread; the threads of a block are fibers (own stacks, cooperative switches) that run until
// __syncthreads() or return. Hence __shared__ is plain `static` (one block lives at a time), the
// atomics are plain read-modify-writes, and threadIdx/blockIdx are globals set at each switch.
// Kernel files are compiled inside a namespace of their own (build.sh), so every standard header
// they might include is included here first, at global scope, where include guards then keep it.
#pragma once

#include <math.h>      // the libstdc++ wrapper: expf, fabsf, ... and isfinite/isnan unqualified
#include <cmath>
#include <cfloat>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits>
#include <type_traits>
#include <utility>

// ------------------------------------------------------------------ qualifiers
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))   // GNU form: allowed amid decl-specifiers
#define __launch_bounds__(...)
#define __device_builtin__

#define EMU_API __attribute__((visibility("hidden")))

// ------------------------------------------------------------------ built-in vector types, indices
struct uint3 { unsigned x, y, z; };
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};
struct int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

// Set by the scheduler before each fiber runs (valid between barriers, like real registers).
extern EMU_API uint3 threadIdx, blockIdx;
extern EMU_API dim3 blockDim, gridDim;
constexpr int warpSize = 32;   // for index arithmetic only: there are no warps (see README)

// ------------------------------------------------------------------ barriers and faults
EMU_API void __syncthreads();                 // yields to the scheduler; misuse aborts the launch
EMU_API int __syncthreads_count(int pred);
inline int __syncthreads_and(int pred) { return __syncthreads_count(pred != 0) == (int)(blockDim.x * blockDim.y * blockDim.z); }
inline int __syncthreads_or(int pred) { return __syncthreads_count(pred != 0) != 0; }
[[noreturn]] EMU_API void __trap();            // aborts the launch with an error (does not return)
inline void __threadfence() {}
inline void __threadfence_block() {}

// ------------------------------------------------------------------ atomics (one OS thread: plain RMW)
template <class T> inline T emu_rmw_add(T* p, T v) { T old = *p; *p = old + v; return old; }
inline float atomicAdd(float* p, float v) { return emu_rmw_add(p, v); }
inline double atomicAdd(double* p, double v) { return emu_rmw_add(p, v); }
inline int atomicAdd(int* p, int v) { return emu_rmw_add(p, v); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return emu_rmw_add(p, v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return emu_rmw_add(p, v); }
inline int atomicSub(int* p, int v) { int o = *p; *p = o - v; return o; }
inline unsigned atomicSub(unsigned* p, unsigned v) { unsigned o = *p; *p = o - v; return o; }
inline int atomicMax(int* p, int v) { int o = *p; if (v > o) *p = v; return o; }
inline int atomicMin(int* p, int v) { int o = *p; if (v < o) *p = v; return o; }
inline unsigned atomicMax(unsigned* p, unsigned v) { unsigned o = *p; if (v > o) *p = v; return o; }
inline unsigned atomicMin(unsigned* p, unsigned v) { unsigned o = *p; if (v < o) *p = v; return o; }
template <class T> inline T atomicExch(T* p, T v) { T o = *p; *p = v; return o; }
template <class T> inline T atomicCAS(T* p, T cmp, T v) { T o = *p; if (o == cmp) *p = v; return o; }

// ------------------------------------------------------------------ min / max (nvcc's overload set)
#define EMU_MINMAX(R, A, B, LT) \
    inline R min(A a, B b) { return (R)a LT (R)b ? (R)a : (R)b; } \
    inline R max(A a, B b) { return (R)a LT (R)b ? (R)b : (R)a; }
EMU_MINMAX(int, int, int, <)
EMU_MINMAX(unsigned, unsigned, unsigned, <)
EMU_MINMAX(unsigned, int, unsigned, <)
EMU_MINMAX(unsigned, unsigned, int, <)
EMU_MINMAX(long, long, long, <)
EMU_MINMAX(unsigned long, unsigned long, unsigned long, <)
EMU_MINMAX(unsigned long, long, unsigned long, <)
EMU_MINMAX(unsigned long, unsigned long, long, <)
EMU_MINMAX(long long, long long, long long, <)
EMU_MINMAX(unsigned long long, unsigned long long, unsigned long long, <)
EMU_MINMAX(unsigned long long, long long, unsigned long long, <)
EMU_MINMAX(unsigned long long, unsigned long long, long long, <)
#undef EMU_MINMAX
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline double min(float a, double b) { return fmin(a, b); }
inline double max(float a, double b) { return fmax(a, b); }
inline double min(double a, float b) { return fmin(a, b); }
inline double max(double a, float b) { return fmax(a, b); }
inline long long llmin(long long a, long long b) { return a < b ? a : b; }
inline long long llmax(long long a, long long b) { return a < b ? b : a; }
inline unsigned umin(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned umax(unsigned a, unsigned b) { return a < b ? b : a; }

// ------------------------------------------------------------------ intrinsics g++ lacks
// The fast-math ones (__expf, __fdividef, ...) are computed exactly here; kernels must not depend
// on their reduced GPU accuracy.
inline float emu_rsqrtf(float x) { return 1.0f / sqrtf(x); }   // macros: newer libcs declare
inline double emu_rsqrt(double x) { return 1.0 / sqrt(x); }     // C23 rsqrt/rsqrtf themselves
#define rsqrtf emu_rsqrtf
#define rsqrt emu_rsqrt
inline float __fdividef(float a, float b) { return a / b; }
inline float fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __powf(float a, float b) { return powf(a, b); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __saturatef(float x) { return x != x ? 0.0f : fminf(1.0f, fmaxf(0.0f, x)); }
inline float __fmul_rn(float a, float b) { return a * b; }   // build uses -ffp-contract=off
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
inline int __float2int_rz(float x) { return (int)x; }
inline int __float2int_rd(float x) { return (int)floorf(x); }
inline int __float2int_ru(float x) { return (int)ceilf(x); }
inline long long __float2ll_rn(float x) { return (long long)nearbyintf(x); }
inline float __int2float_rn(int x) { return (float)x; }
inline float __ll2float_rn(long long x) { return (float)x; }
inline float __double2float_rn(double x) { return (float)x; }
inline int __float_as_int(float x) { int i; memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; memcpy(&x, &i, 4); return x; }
inline unsigned __float_as_uint(float x) { unsigned i; memcpy(&i, &x, 4); return i; }
inline float __uint_as_float(unsigned i) { float x; memcpy(&x, &i, 4); return x; }
inline long long __double_as_longlong(double x) { long long i; memcpy(&i, &x, 8); return i; }
inline double __longlong_as_double(long long i) { double x; memcpy(&x, &i, 8); return x; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
inline int __ffs(int x) { return __builtin_ffs(x); }
template <class T> inline T __ldg(const T* p) { return *p; }

// ------------------------------------------------------------------ launcher plumbing (emu_launch.cpp)
namespace emu {
using Invoker = void (*)(void** args);
EMU_API void register_kernel(const char* name, Invoker invoke, int nargs);

// Calls kernel K with its parameters unpacked from cuLaunchKernel-style args (args[i] -> value i).
template <class... A, size_t... I>
inline void call(void (*k)(A...), void** a, std::index_sequence<I...>) {
    k(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(a[I])...);
}
template <class... A> constexpr int arity(void (*)(A...)) { return (int)sizeof...(A); }
template <auto K> void invoke(void** a) { call(K, a, std::make_index_sequence<arity(K)>{}); }
struct Registrar {
    template <class K> Registrar(const char* name, Invoker f, K k) { register_kernel(name, f, arity(k)); }
};
}  // namespace emu
// Used by the generated per-file wrappers (build.sh): one line per NRPM_KERNEL entry point.
#define EMU_REGISTER(k) static emu::Registrar emu_reg_##k(#k, &emu::invoke<&k>, &k);

#include "common.cuh"

// elementwise.cu: the memory-bound primitives of the CUDA backend (CudaElementwise): unary and binary maps, axpby,
// affine clamp, the non-finite count, per-channel broadcasts and sums, SGD, dropout and the
// counter-based random fills. Semantics follow ReferenceBackend (float64) evaluated in float32.
//
// Layouts: flat vectors of n floats, except the per-channel ops, which see
//   x, y (outer, channels, inner)   e.g. (B, C, H*W) for images, (B, O, 1) for dense outputs
//   v, s, out (channels)
//
// Launch shapes (kernels/README.md):
//   map_unary, zip_binary, axpby, affine_clamp, count_nonfinite, sgd_step, dropout,
//   random_uniform, random_normal           1-D over n: block 256, grid min(ceil(n/256), 4096)
//   add_channels, mul_channels              1-D over outer*channels*inner
//   sum_channels                            grid channels, block 256 (one block per channel)
//   sum_slices                              1-D over n (the split-K epilogue of the weight
//                                           gradients: conv2d_bwd_filter, nrpm_*_bwd_gw)
//   sgd_multi, zero_multi                   grid (min(ceil(max n/256), 4096), tensors), block 256
//   address_table_set                       grid 1, block 1
//
// The 1-D kernels that divide an index (channel lookups, dropout groups) do it in 32 bits when
// the whole range fits: a 64-bit division is ~4x the instructions and these kernels must stay
// bandwidth-bound.

namespace nrpm_elementwise {

// Java's Math.max / Math.min on floats: NaN if either is NaN, and +0 > -0. (fmaxf would drop a
// NaN, which would hide divergence from countNonFinite.)
__device__ __forceinline__ float jmax(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return copysignf(1.0f, a) < 0.0f ? b : a;
    return a > b ? a : b;
}

__device__ __forceinline__ float jmin(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return copysignf(1.0f, a) < 0.0f ? a : b;
    return a < b ? a : b;
}

// dev.nrpm.backend.UnaryOp.code() and BinaryOp.code() (ElementwiseCodesTest keeps them equal).
#define UNARY_SIGN 0
#define UNARY_RELU 1
#define UNARY_SIGMOID 2
#define UNARY_SQRT 3
#define UNARY_SQUARE 4
#define UNARY_RECIPROCAL 5
#define BINARY_ADD 0
#define BINARY_SUB 1
#define BINARY_MUL 2
#define BINARY_MAX 3
#define BINARY_MIN 4
#define BINARY_RELU_GRAD 5
#define BINARY_SIGMOID_GRAD 6
#define BINARY_ADD_RELU 7

template <int OP>
__device__ __forceinline__ float unary(float v) {
    static_assert(OP >= UNARY_SIGN && OP <= UNARY_RECIPROCAL, "unknown unary op");
    switch (OP) {
        case UNARY_SIGN: return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v);   // Math.signum: keeps +-0 and NaN
        case UNARY_RELU: return relu(v);
        case UNARY_SIGMOID: return 1.0f / (1.0f + expf(-v));
        case UNARY_SQRT: return sqrtf(v);
        case UNARY_SQUARE: return v * v;
        default: return 1.0f / v;   // UNARY_RECIPROCAL
    }
}

template <int OP>
__device__ __forceinline__ float binary(float a, float b) {
    static_assert(OP >= BINARY_ADD && OP <= BINARY_ADD_RELU, "unknown binary op");
    switch (OP) {
        case BINARY_ADD: return a + b;
        case BINARY_SUB: return a - b;
        case BINARY_MUL: return a * b;
        case BINARY_MAX: return jmax(a, b);
        case BINARY_MIN: return jmin(a, b);
        case BINARY_RELU_GRAD: return a > 0.0f ? b : 0.0f;
        case BINARY_SIGMOID_GRAD: return b * a * (1.0f - a);
        default: return relu(a + b);   // BINARY_ADD_RELU
    }
}

// One loop per op (the op is a template argument), so the loop body has no switch in it.
template <int OP>
__device__ __forceinline__ void map_loop(const float* x, float* y, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        y[i] = unary<OP>(x[i]);
    }
}

template <int OP>
__device__ __forceinline__ void zip_loop(const float* a, const float* b, float* y, long long n) {
    GRID_STRIDE_LOOP(i, n) {
        y[i] = binary<OP>(a[i], b[i]);
    }
}

// Channel of flat index i in (outer, channels, inner).
__device__ __forceinline__ int channel_of(long long i, int channels, int inner, bool small) {
    if (small) {
        return (int)(((unsigned)i / (unsigned)inner) % (unsigned)channels);
    }
    return (int)((i / inner) % channels);
}

// Offset in the (outer, channels, inner) array of the j-th value (j < outer*inner) of channel ch.
__device__ __forceinline__ long long channel_offset(long long j, int channels, int inner, int ch, bool small) {
    if (small) {
        const unsigned o = (unsigned)j / (unsigned)inner;
        return ((long long)o * channels + ch) * inner + ((unsigned)j - o * (unsigned)inner);
    }
    const long long o = j / inner;
    return (o * channels + ch) * inner + (j - o * inner);
}

}  // namespace nrpm_elementwise

// y = f(x), f the UnaryOp of code op. x and y may be the same buffer.
NRPM_KERNEL void map_unary(int op, const float* x, float* y, long long n) {
    using namespace nrpm_elementwise;
    switch (op) {
        case UNARY_SIGN: map_loop<UNARY_SIGN>(x, y, n); break;
        case UNARY_RELU: map_loop<UNARY_RELU>(x, y, n); break;
        case UNARY_SIGMOID: map_loop<UNARY_SIGMOID>(x, y, n); break;
        case UNARY_SQRT: map_loop<UNARY_SQRT>(x, y, n); break;
        case UNARY_SQUARE: map_loop<UNARY_SQUARE>(x, y, n); break;
        case UNARY_RECIPROCAL: map_loop<UNARY_RECIPROCAL>(x, y, n); break;
        default: __trap();   // a code the host does not send
    }
}

// y = f(a, b), f the BinaryOp of code op. y may alias a or b.
NRPM_KERNEL void zip_binary(int op, const float* a, const float* b, float* y, long long n) {
    using namespace nrpm_elementwise;
    switch (op) {
        case BINARY_ADD: zip_loop<BINARY_ADD>(a, b, y, n); break;
        case BINARY_SUB: zip_loop<BINARY_SUB>(a, b, y, n); break;
        case BINARY_MUL: zip_loop<BINARY_MUL>(a, b, y, n); break;
        case BINARY_MAX: zip_loop<BINARY_MAX>(a, b, y, n); break;
        case BINARY_MIN: zip_loop<BINARY_MIN>(a, b, y, n); break;
        case BINARY_RELU_GRAD: zip_loop<BINARY_RELU_GRAD>(a, b, y, n); break;
        case BINARY_SIGMOID_GRAD: zip_loop<BINARY_SIGMOID_GRAD>(a, b, y, n); break;
        case BINARY_ADD_RELU: zip_loop<BINARY_ADD_RELU>(a, b, y, n); break;
        default: __trap();
    }
}

// y = alpha x + beta y; with beta == 0, y is not read (it may hold NaN garbage).
NRPM_KERNEL void axpby(float alpha, const float* x, float beta, float* y, long long n) {
    if (beta == 0.0f) {
        GRID_STRIDE_LOOP(i, n) {
            y[i] = alpha * x[i];
        }
    } else {
        GRID_STRIDE_LOOP(i, n) {
            y[i] = alpha * x[i] + beta * y[i];
        }
    }
}

// y = min(hi, max(lo, scale x + shift)), NaN propagating as in Java.
NRPM_KERNEL void affine_clamp(const float* x, float scale, float shift, float lo, float hi, float* y, long long n) {
    using namespace nrpm_elementwise;
    GRID_STRIDE_LOOP(i, n) {
        y[i] = jmin(hi, jmax(lo, scale * x[i] + shift));
    }
}

// counts[slot] += number of NaN or infinite values: per-thread counts, a block tree, one atomic
// per block. slot: which of the CUDA backend's pending checks this is (0 for a plain count).
NRPM_KERNEL void count_nonfinite(const float* x, long long n, unsigned long long* counts, int slot) {
    unsigned long long* count = counts + slot;
    __shared__ unsigned long long part[NRPM_BLOCK];
    unsigned long long c = 0;
    GRID_STRIDE_LOOP(i, n) {
        float v = x[i];
        c += (v - v != 0.0f) ? 1ULL : 0ULL;   // v - v is 0 for finite v, NaN for NaN and +-Inf
    }
    const unsigned long long total = block_sum(c, part);
    if (threadIdx.x == 0 && total != 0) atomicAdd(count, total);
}

// y[o, c, i] += alpha v[c]   y (outer, channels, inner), v (channels)
NRPM_KERNEL void add_channels(const float* v, float alpha, float* y, int outer, int channels, int inner) {
    using namespace nrpm_elementwise;
    const long long n = (long long)outer * channels * inner;
    const bool small = n <= 0xFFFFFFFFLL;
    GRID_STRIDE_LOOP(i, n) {
        y[i] += alpha * v[channel_of(i, channels, inner, small)];
    }
}

// y[o, c, i] = x[o, c, i] s[c]   x, y (outer, channels, inner), s (channels); y may alias x
NRPM_KERNEL void mul_channels(const float* x, const float* s, float* y, int outer, int channels, int inner) {
    using namespace nrpm_elementwise;
    const long long n = (long long)outer * channels * inner;
    const bool small = n <= 0xFFFFFFFFLL;
    GRID_STRIDE_LOOP(i, n) {
        y[i] = x[i] * s[channel_of(i, channels, inner, small)];
    }
}

// out[c] = (accumulate ? out[c] : 0) + sum over o, i of x[o, c, i]; block c owns channel c.
// Threads stride over the outer*inner values of the channel (consecutive threads read consecutive
// i, so rows of inner >= 32 are coalesced); four independent partial sums keep several loads in
// flight per thread; then a shared-memory tree.
NRPM_KERNEL void sum_channels(const float* x, float* out, int outer, int channels, int inner, int accumulate) {
    using namespace nrpm_elementwise;
    __shared__ float part[NRPM_BLOCK];
    const int c = blockIdx.x;
    const unsigned t = threadIdx.x;
    const unsigned nt = blockDim.x;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    if (inner >= (int)nt) {
        // rows long enough to keep every thread busy: no division per element
        for (int o = 0; o < outer; ++o) {
            const float* row = x + ((long long)o * channels + c) * inner;
            int i = t;
            for (; i + 3 * (int)nt < inner; i += 4 * nt) {
                s0 += row[i];
                s1 += row[i + nt];
                s2 += row[i + 2 * nt];
                s3 += row[i + 3 * nt];
            }
            for (; i < inner; i += nt) s0 += row[i];
        }
    } else {
        // short rows (inner < 256, e.g. 1 for a dense bias): walk the flattened (o, i) range,
        // four loads in flight per thread, 32-bit division when the range allows
        const long long m = (long long)outer * inner;
        const bool small = m <= 0x7FFFFFFFLL;
        const long long step = nt;
        long long j = t;
        for (; j + 3 * step < m; j += 4 * step) {
            float v[4];
#pragma unroll
            for (int k = 0; k < 4; ++k) v[k] = x[channel_offset(j + k * step, channels, inner, c, small)];
            s0 += v[0];
            s1 += v[1];
            s2 += v[2];
            s3 += v[3];
        }
        for (; j < m; j += step) s0 += x[channel_offset(j, channels, inner, c, small)];
    }
    const float total = block_sum((s0 + s1) + (s2 + s3), part);
    if (t == 0) out[c] = accumulate ? out[c] + total : total;
}

// out[i] += sum over z = 0..slices-1 of partial[z n + i], the slices summed in increasing z first
// (a fixed order: the result is bitwise reproducible, no atomics). The second pass of the split-K
// weight gradients; consecutive threads read consecutive i of each slice (coalesced).
NRPM_KERNEL void sum_slices(const float* partial, int slices, long long n, float* out) {
    GRID_STRIDE_LOOP(i, n) {
        float sum = partial[i];
        for (int z = 1; z < slices; ++z) sum += partial[(long long)z * n + i];
        out[i] += sum;
    }
}

// PyTorch SGD (dampening 0): d = g + wd p; v = momentum v + d; p -= lr (nesterov ? d + momentum v : v)
__device__ __forceinline__ void nrpm_sgd_update(float* p, const float* g, float* v, long long i, float lr,
                                                float momentum, float wd, int nesterov) {
    const float pi = p[i];
    const float d = g[i] + wd * pi;
    const float vel = momentum * v[i] + d;
    v[i] = vel;
    p[i] = pi - lr * (nesterov ? d + momentum * vel : vel);
}

NRPM_KERNEL void sgd_step(float* p, const float* g, float* v, long long n, float lr, float momentum, float wd, int nesterov) {
    GRID_STRIDE_LOOP(i, n) nrpm_sgd_update(p, g, v, i, lr, momentum, wd, nesterov);
}

// The parameters of a whole model in one launch: table (the CUDA backend's AddressTable) holds, per
// tensor t, the addresses of p, g, v and the length n as four 64-bit words; blockIdx.y = t, and
// blocks along x stride over that tensor's n. The same update as sgd_step.
NRPM_KERNEL void sgd_multi(const unsigned long long* table, float lr, float momentum, float wd, int nesterov) {
    const unsigned long long* e = table + 4 * (long long)blockIdx.y;
    float* p = (float*)e[0];
    const float* g = (const float*)e[1];
    float* v = (float*)e[2];
    const long long n = (long long)e[3];
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x)
        nrpm_sgd_update(p, g, v, i, lr, momentum, wd, nesterov);
}

// Zeroes the first buffer of every table entry over its n values (a whole model's gradients).
NRPM_KERNEL void zero_multi(const unsigned long long* table) {
    const unsigned long long* e = table + 4 * (long long)blockIdx.y;
    float* a = (float*)e[0];
    const long long n = (long long)e[3];
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x)
        a[i] = 0.0f;
}

// Entry t of a multi-tensor table: the device addresses of a, b, c (0 where unused) and n. One
// thread; AddressTable rebuilds a table only when its buffers change, so about once per run.
NRPM_KERNEL void address_table_set(unsigned long long* table, int t, float* a, float* b, float* c, long long n) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        unsigned long long* e = table + 4 * (long long)t;
        e[0] = (unsigned long long)a;
        e[1] = (unsigned long long)b;
        e[2] = (unsigned long long)c;
        e[3] = (unsigned long long)n;
    }
}

// y[i] = (acc ? y[i] : 0) + x[i] m(i / inner), m(j) = 0 with probability p, else 1/(1-p), drawn
// from CounterRng at (seed, j). inner = 1 drops elements, inner = H*W whole channels. y may alias x.
NRPM_KERNEL void dropout(const float* x, float* y, long long n, int inner, float p, unsigned long long seed, int accumulate) {
    const float keep = 1.0f / (1.0f - p);
    const bool small = n <= 0xFFFFFFFFLL;
    GRID_STRIDE_LOOP(i, n) {
        const unsigned long long j = small ? (unsigned long long)((unsigned)i / (unsigned)inner)
                                           : (unsigned long long)(i / inner);
        const float v = x[i] * (rng_uniform(seed, j) < p ? 0.0f : keep);
        y[i] = accumulate ? y[i] + v : v;
    }
}

// y[i] = lo + (hi - lo) u(seed, i), u uniform in [0, 1) (CounterRng.uniform)
NRPM_KERNEL void random_uniform(float* y, long long n, float lo, float hi, unsigned long long seed) {
    const float span = hi - lo;
    GRID_STRIDE_LOOP(i, n) {
        y[i] = lo + span * rng_uniform(seed, (unsigned long long)i);
    }
}

// y[i] = mean + std g(seed, i), g standard normal (CounterRng.normal, Box-Muller in double)
NRPM_KERNEL void random_normal(float* y, long long n, float mean, float std, unsigned long long seed) {
    GRID_STRIDE_LOOP(i, n) {
        y[i] = mean + std * rng_normal(seed, (unsigned long long)i);
    }
}

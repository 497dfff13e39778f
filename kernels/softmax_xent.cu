#include "common.cuh"

// softmax_xent.cu: row-wise log-softmax and the negative log-likelihood loss, with gradients.
// Cross-entropy is nll_fwd(log_softmax_fwd(x)).
//
// Layouts:
//   x, y, gy, gx, logp, glogp  (rows, cols)   row-major, one row per sample
//   labels, out, gout          (rows)         labels hold class indices as exact floats
//
// Launch shapes:
//   log_softmax_fwd, log_softmax_bwd   grid rows, block 256: block r owns row r, threads stride
//                                      over its columns, shared-memory tree reductions
//   nll_fwd, nll_bwd                   1-D over rows: block 256, grid min(ceil(rows/256), 4096)

namespace nrpm_sx {

// Block-wide max (blockDim.x a power of two <= 256; block_sum is in common.cuh); every thread
// gets the result and `part` may be reused right after.
__device__ __forceinline__ float block_max(float v, float* part) {
    const unsigned t = threadIdx.x;
    part[t] = v;
    __syncthreads();
    for (unsigned s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (t < s) part[t] = fmaxf(part[t], part[t + s]);
        __syncthreads();
    }
    const float r = part[0];
    __syncthreads();
    return r;
}

// The class index held by a label, or -1 when it is not an integer in [0, cols) (the Java side
// validates labels first, as the reference throws on them; this only keeps a bad one in bounds).
__device__ __forceinline__ int label_index(float v, int cols) {
    if (!(v >= 0.0f && v < (float)cols)) return -1;   // also rejects NaN
    const int l = (int)v;
    return (float)l == v ? l : -1;
}

}  // namespace nrpm_sx

// y[r, j] = x[r, j] - (max_r + log sum_j exp(x[r, j] - max_r)); block r owns row r.
NRPM_KERNEL void log_softmax_fwd(const float* x, float* y, int rows, int cols) {
    using namespace nrpm_sx;
    __shared__ float part[NRPM_BLOCK];
    (void)rows;   // the grid has one block per row
    const long long base = (long long)blockIdx.x * cols;
    const float* xr = x + base;
    float* yr = y + base;
    const int t = threadIdx.x;
    const int nt = blockDim.x;

    float mx = -INFINITY;
    for (int j = t; j < cols; j += nt) mx = fmaxf(mx, xr[j]);
    mx = block_max(mx, part);

    float s = 0.0f;
    for (int j = t; j < cols; j += nt) s += expf(xr[j] - mx);
    s = block_sum(s, part);
    const float lse = mx + logf(s);

    for (int j = t; j < cols; j += nt) yr[j] = xr[j] - lse;
}

// gx[r, j] += gy[r, j] - exp(y[r, j]) sum_j gy[r, j], y the log-softmax output; block r owns row r.
// accumulate = 0: = instead of += (gx not read).
NRPM_KERNEL void log_softmax_bwd(const float* y, const float* gy, float* gx, int rows, int cols, int accumulate) {
    using namespace nrpm_sx;
    __shared__ float part[NRPM_BLOCK];
    (void)rows;   // the grid has one block per row
    const long long base = (long long)blockIdx.x * cols;
    const float* yr = y + base;
    const float* gr = gy + base;
    float* gxr = gx + base;
    const int t = threadIdx.x;
    const int nt = blockDim.x;

    float s = 0.0f;
    for (int j = t; j < cols; j += nt) s += gr[j];
    s = block_sum(s, part);

    for (int j = t; j < cols; j += nt) {
        const float v = gr[j] - expf(yr[j]) * s;
        gxr[j] = accumulate ? gxr[j] + v : v;
    }
}

// out[r] = -logp[r, labels[r]] (NaN for a label that is not a class index)
NRPM_KERNEL void nll_fwd(const float* logp, const float* labels, float* out, int rows, int cols) {
    using namespace nrpm_sx;
    GRID_STRIDE_LOOP(r, (long long)rows) {
        const int l = label_index(labels[r], cols);
        out[r] = l >= 0 ? -logp[r * cols + l] : NAN;
    }
}

// glogp[r, labels[r]] += -gout[r] (rows with an invalid label are skipped). accumulate = 0: the
// thread of row r writes the whole row (-gout[r] at the label, 0 elsewhere), glogp not read.
NRPM_KERNEL void nll_bwd(const float* gout, const float* labels, float* glogp, int rows, int cols, int accumulate) {
    using namespace nrpm_sx;
    GRID_STRIDE_LOOP(r, (long long)rows) {
        const int l = label_index(labels[r], cols);
        float* row = glogp + r * cols;
        if (!accumulate) {
            for (int j = 0; j < cols; ++j) row[j] = 0.0f;
        }
        if (l >= 0) row[l] -= gout[r];
    }
}

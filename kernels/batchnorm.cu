#include "common.cuh"

// batchnorm.cu: batch normalization over the channels of x (n, c, hw): training forward (batch
// statistics, running-statistics update), evaluation forward, and the backward of either.
//
// Layouts:
//   x, y, gy, gx  (n, c, hw)     (B, C, H*W) for images, (B, F, 1) after a dense layer
//   gamma, beta, runMean, runVar, saveMean, saveInvStd, mean, invStd, gGamma, gBeta  (c)
//   part          (c, S, 2)      per slice: (mean, M2) in the forward, (sum gy, sum gy (x - mean)) backward
//
// Launch shapes:
//   bn_stats, bn_train_apply, bn_bwd_sums, bn_bwd_apply
//                  grid (c, S), block 256: block (ch, s) owns slice s of channel ch's m = n*hw
//                  values, j in [s L, min(m, (s+1) L)), L = ceil(m / S); every slice non-empty
//   bn_eval_fwd    1-D over n*c*hw: block 256, grid min(ceil(n*c*hw/256), 4096), grid-stride
//
// A channel is split into S slices so that the grid fills the GPU when channels are few (early
// ResNet layers: 8 to 64 channels of 131072 values at batch 128); the Java side picks S. Each
// pass is one launch over all slices, and a slice's partial results are combined by every block
// that needs them, in slice order: no atomics, the same result on every run.
//
// Statistics are two-pass within a slice (mean, then the sum of squared deviations), and slices
// combine with Chan's pairwise formula: no E[x^2] - E[x]^2 cancellation anywhere.
// y = (x - mean) invStd gamma + beta, invStd = 1/sqrt(var + eps) with the biased variance; runVar
// takes the unbiased m/(m-1) var. With relu, the forwards write relu(y) (common.cuh) and the
// backward takes reluOut, that output: gy counts only where reluOut > 0. Batch norm
// and the ReLU after it are then one pass each way, and the pre-activation is never stored.

namespace nrpm_bn {

// Offset in the (n, c, hw) array of the j-th value (j < n*hw) of channel ch.
__device__ __forceinline__ long long channel_offset(long long j, int c, int hw, int ch, bool small) {
    if (small) {   // 32-bit division: a quarter of the instructions of a 64-bit one
        const unsigned b = (unsigned)j / (unsigned)hw;
        return ((long long)b * c + ch) * hw + ((unsigned)j - b * (unsigned)hw);
    }
    const long long b = j / hw;
    return (b * c + ch) * hw + (j - b * hw);
}

// This block's slice [lo, hi) of channel ch's m values (grid (c, S)).
struct Slice {
    long long lo, hi;
};

__device__ __forceinline__ Slice slice_of(long long m, int s, int slices) {
    const long long len = (m + slices - 1) / slices;
    const long long lo = (long long)s * len;
    return Slice{lo, lo + len < m ? lo + len : m};
}

// Walks this thread's share of the slice four values at a time: f(o, 4) with four offsets, then
// f(o, 1) for the tail. f loads all of its cnt values before using (or storing) any of them, so
// each thread keeps several loads in flight.
template <class F>
__device__ __forceinline__ void for_slice(int n, int c, int hw, int ch, Slice sl, F f) {
    const long long nt = blockDim.x;
    const bool small = (long long)n * hw <= 0x7FFFFFFFLL;
    long long o[4];
    long long j = sl.lo + threadIdx.x;
    for (; j + 3 * nt < sl.hi; j += 4 * nt) {
#pragma unroll
        for (int k = 0; k < 4; ++k) o[k] = channel_offset(j + k * nt, c, hw, ch, small);
        f(o, 4);
    }
    for (; j < sl.hi; j += nt) {
        o[0] = channel_offset(j, c, hw, ch, small);
        f(o, 1);
    }
}

// Two sums at once (one tree, two arrays).
__device__ __forceinline__ void block_sum2(float& u, float& v, float* pu, float* pv) {
    const unsigned t = threadIdx.x;
    pu[t] = u;
    pv[t] = v;
    __syncthreads();
    for (unsigned s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (t < s) {
            pu[t] += pu[t + s];
            pv[t] += pv[t + s];
        }
        __syncthreads();
    }
    u = pu[0];
    v = pv[0];
    __syncthreads();
}

// Channel ch's mean and biased variance from its slices' (mean, M2), combined in slice order
// (Chan et al.): every thread computes the same values from the same reads.
__device__ __forceinline__ void combine_stats(const float* part, long long m, int ch, int slices, float& mean,
                                              float& var) {
    float na = 0.0f, mu = 0.0f, m2 = 0.0f;
    for (int s = 0; s < slices; ++s) {
        const Slice sl = slice_of(m, s, slices);
        const float nb = (float)(sl.hi - sl.lo);
        if (nb <= 0.0f) continue;
        const float mb = part[((long long)ch * slices + s) * 2];
        const float qb = part[((long long)ch * slices + s) * 2 + 1];
        const float n = na + nb;
        const float d = mb - mu;
        mu += d * (nb / n);
        m2 += qb + d * d * (na * nb / n);
        na = n;
    }
    mean = mu;
    var = m2 / (float)m;
}

// Channel ch's (sum gy, sum gy (x - mean)) over all slices, in slice order.
__device__ __forceinline__ void combine_sums(const float* part, int ch, int slices, float& sumGy, float& sumGyD) {
    float a = 0.0f, b = 0.0f;
    for (int s = 0; s < slices; ++s) {
        a += part[((long long)ch * slices + s) * 2];
        b += part[((long long)ch * slices + s) * 2 + 1];
    }
    sumGy = a;
    sumGyD = b;
}

}  // namespace nrpm_bn

// Training forward, pass 1: each slice's mean and sum of squared deviations from it into part.
NRPM_KERNEL void bn_stats(int n, int c, int hw, const float* x, int slices, float* part) {
    using namespace nrpm_bn;
    __shared__ float sh[NRPM_BLOCK];
    const int ch = blockIdx.x;
    const int sIdx = blockIdx.y;
    const Slice sl = slice_of((long long)n * hw, sIdx, slices);
    const float cnt = (float)(sl.hi - sl.lo);

    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for_slice(n, c, hw, ch, sl, [&](const long long (&o)[4], int k4) {
        for (int k = 0; k < k4; ++k) s[k] += x[o[k]];
    });
    const float mean = block_sum((s[0] + s[1]) + (s[2] + s[3]), sh) / cnt;

    float q[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for_slice(n, c, hw, ch, sl, [&](const long long (&o)[4], int k4) {
        for (int k = 0; k < k4; ++k) {
            const float d = x[o[k]] - mean;
            q[k] += d * d;
        }
    });
    const float m2 = block_sum((q[0] + q[1]) + (q[2] + q[3]), sh);
    if (threadIdx.x == 0) {
        part[((long long)ch * slices + sIdx) * 2] = mean;
        part[((long long)ch * slices + sIdx) * 2 + 1] = m2;
    }
}

// Training forward, pass 2: y over the slice from the combined statistics; slice 0 of each channel
// writes the saved and running statistics, run = (1 - momentum) run + momentum batch (variance
// unbiased, m/(m-1)).
NRPM_KERNEL void bn_train_apply(int n, int c, int hw, const float* x, const float* gamma, const float* beta, float* runMean, float* runVar, float momentum, float eps, float* y, float* saveMean, float* saveInvStd, int slices, const float* part, int doRelu) {
    using namespace nrpm_bn;
    const int ch = blockIdx.x;
    const long long m = (long long)n * hw;
    float mean, var;
    combine_stats(part, m, ch, slices, mean, var);
    const float inv = 1.0f / sqrtf(var + eps);

    const float g = gamma[ch];
    const float bt = beta[ch];
    for_slice(n, c, hw, ch, slice_of(m, blockIdx.y, slices), [&](const long long (&o)[4], int cnt) {
        float v[4];
        for (int k = 0; k < cnt; ++k) v[k] = x[o[k]];
        for (int k = 0; k < cnt; ++k) {
            const float r = (v[k] - mean) * inv * g + bt;
            y[o[k]] = doRelu ? relu(r) : r;
        }
    });

    if (blockIdx.y == 0 && threadIdx.x == 0) {
        if (saveMean) saveMean[ch] = mean;
        if (saveInvStd) saveInvStd[ch] = inv;
        // m >= 2 is checked on the Java side (as the reference does); m = 1 keeps the biased var
        const float unbiased = m > 1 ? (float)((double)var * ((double)m / (double)(m - 1))) : var;
        if (runMean) runMean[ch] = (1.0f - momentum) * runMean[ch] + momentum * mean;
        if (runVar) runVar[ch] = (1.0f - momentum) * runVar[ch] + momentum * unbiased;
    }
}

// Evaluation forward: y = (x - runMean) / sqrt(runVar + eps) gamma + beta; saveInvStd (c) when not 0.
NRPM_KERNEL void bn_eval_fwd(int n, int c, int hw, const float* x, const float* gamma, const float* beta, const float* runMean, const float* runVar, float eps, float* y, float* saveInvStd, int doRelu) {
    const long long total = (long long)n * c * hw;
    const bool small = total <= 0xFFFFFFFFLL;
    GRID_STRIDE_LOOP(i, total) {
        const int ch = small ? (int)(((unsigned)i / (unsigned)hw) % (unsigned)c) : (int)((i / hw) % c);
        const float inv = 1.0f / sqrtf(runVar[ch] + eps);
        const float r = (x[i] - runMean[ch]) * inv * gamma[ch] + beta[ch];
        y[i] = doRelu ? relu(r) : r;
    }
    if (saveInvStd) {
        GRID_STRIDE_LOOP(ch, (long long)c) {
            saveInvStd[ch] = 1.0f / sqrtf(runVar[ch] + eps);
        }
    }
}

// Backward of either forward (ReferenceBackend.batchNormBackward):
//   gGamma += sum gy xhat, gBeta += sum gy, xhat = (x - mean) invStd
//   gx += batchStats ? gamma invStd (gy - mean(gy) - xhat mean(gy xhat)) : gy gamma invStd
// Pass 1 (launched only when gGamma, gBeta or batch-statistics gx need them): each slice's
// (sum gy, sum gy (x - mean)) into part.
NRPM_KERNEL void bn_bwd_sums(int n, int c, int hw, const float* x, const float* mean, const float* gy, const float* reluOut, int slices, float* part) {
    using namespace nrpm_bn;
    __shared__ float pa[NRPM_BLOCK];
    __shared__ float pb[NRPM_BLOCK];
    const int ch = blockIdx.x;
    const float mu = mean[ch];
    float sg[4] = {0.0f, 0.0f, 0.0f, 0.0f}, sgd[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for_slice(n, c, hw, ch, slice_of((long long)n * hw, blockIdx.y, slices), [&](const long long (&o)[4], int cnt) {
        float g[4], xv[4];
        for (int k = 0; k < cnt; ++k) {
            g[k] = reluOut && !(reluOut[o[k]] > 0.0f) ? 0.0f : gy[o[k]];
            xv[k] = x[o[k]];
        }
        for (int k = 0; k < cnt; ++k) {
            sg[k] += g[k];
            sgd[k] += g[k] * (xv[k] - mu);
        }
    });
    float tg = (sg[0] + sg[1]) + (sg[2] + sg[3]);
    float tgd = (sgd[0] + sgd[1]) + (sgd[2] + sgd[3]);
    block_sum2(tg, tgd, pa, pb);
    if (threadIdx.x == 0) {
        part[((long long)ch * slices + blockIdx.y) * 2] = tg;
        part[((long long)ch * slices + blockIdx.y) * 2 + 1] = tgd;
    }
}

// Pass 2: slice 0 of each channel adds the combined sums into gGamma and gBeta; every slice adds
// its share of gx (writes it, gx not read, when accumulate is 0). part is 0 when pass 1 did not run
// (then only gx without batch statistics). gx, gGamma, gBeta may each be 0.
NRPM_KERNEL void bn_bwd_apply(int n, int c, int hw, const float* x, const float* gamma, const float* mean, const float* invStd, int batchStats, const float* gy, const float* reluOut, float* gx, int accumulate, float* gGamma, float* gBeta, int slices, const float* part) {
    using namespace nrpm_bn;
    const int ch = blockIdx.x;
    const float mu = mean[ch];
    const float inv = invStd[ch];
    const float k = gamma[ch] * inv;
    float sumGy = 0.0f, sumGyD = 0.0f;
    if (part) combine_sums(part, ch, slices, sumGy, sumGyD);
    const float sumGyXhat = sumGyD * inv;
    if (part && blockIdx.y == 0 && threadIdx.x == 0) {
        if (gGamma) gGamma[ch] += sumGyXhat;
        if (gBeta) gBeta[ch] += sumGy;
    }
    if (!gx) return;
    const long long mm = (long long)n * hw;
    const Slice sl = slice_of(mm, blockIdx.y, slices);
    if (batchStats) {
        const float m = (float)mm;
        const float meanGy = sumGy / m;
        const float meanGyXhat = sumGyXhat / m;
        for_slice(n, c, hw, ch, sl, [&](const long long (&o)[4], int cnt) {
            float xv[4], gv[4], ov[4];
            for (int q = 0; q < cnt; ++q) {
                xv[q] = x[o[q]];
                gv[q] = reluOut && !(reluOut[o[q]] > 0.0f) ? 0.0f : gy[o[q]];
                ov[q] = accumulate ? gx[o[q]] : 0.0f;
            }
            for (int q = 0; q < cnt; ++q) {
                const float xhat = (xv[q] - mu) * inv;
                gx[o[q]] = ov[q] + k * (gv[q] - meanGy - xhat * meanGyXhat);
            }
        });
    } else {
        for_slice(n, c, hw, ch, sl, [&](const long long (&o)[4], int cnt) {
            float gv[4], ov[4];
            for (int q = 0; q < cnt; ++q) {
                gv[q] = reluOut && !(reluOut[o[q]] > 0.0f) ? 0.0f : gy[o[q]];
                ov[q] = accumulate ? gx[o[q]] : 0.0f;
            }
            for (int q = 0; q < cnt; ++q) gx[o[q]] = ov[q] + gv[q] * k;
        });
    }
}

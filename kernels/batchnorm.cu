#include "common.cuh"

// batchnorm.cu: batch normalization over the channels of x (n, c, hw): training forward (batch
// statistics, running-statistics update), evaluation forward, and the backward of either.
//
// Layouts:
//   x, y, gy, gx  (n, c, hw)     (B, C, H*W) for images, (B, F, 1) after a dense layer
//   gamma, beta, runMean, runVar, saveMean, saveInvStd, mean, invStd, gGamma, gBeta  (c)
//
// Launch shapes:
//   bn_train_fwd   grid c, block 256: block ch owns channel ch (its m = n*hw values)
//   bn_eval_fwd    1-D over n*c*hw: block 256, grid min(ceil(n*c*hw/256), 4096), grid-stride
//   bn_bwd         grid c, block 256
//
// Statistics are two-pass (mean, then the mean of squared deviations), accumulated in float with
// 256-thread shared-memory trees: no E[x^2] - E[x]^2 cancellation. y = (x - mean) invStd gamma + beta,
// invStd = 1/sqrt(var + eps) with the biased variance; runVar takes the unbiased m/(m-1) var.

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

// Walks this thread's share of channel ch's m = n*hw values four at a time: f(o, 4) with four
// offsets, then f(o, 1) for the tail. Grid c gives few blocks, so each thread must keep several
// loads in flight; f loads all of its cnt values before using (or storing) any of them.
template <class F>
__device__ __forceinline__ void for_channel(int n, int c, int hw, int ch, F f) {
    const long long nt = blockDim.x;
    const long long m = (long long)n * hw;
    const bool small = m <= 0x7FFFFFFFLL;
    long long o[4];
    long long j = threadIdx.x;
    for (; j + 3 * nt < m; j += 4 * nt) {
#pragma unroll
        for (int k = 0; k < 4; ++k) o[k] = channel_offset(j + k * nt, c, hw, ch, small);
        f(o, 4);
    }
    for (; j < m; j += nt) {
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

}  // namespace nrpm_bn

// Training forward for channel blockIdx.x: batch mean and biased variance, y, saved statistics,
// running statistics run = (1 - momentum) run + momentum batch (variance unbiased, m/(m-1)).
NRPM_KERNEL void bn_train_fwd(int n, int c, int hw, const float* x, const float* gamma, const float* beta, float* runMean, float* runVar, float momentum, float eps, float* y, float* saveMean, float* saveInvStd) {
    using namespace nrpm_bn;
    __shared__ float part[NRPM_BLOCK];
    const int ch = blockIdx.x;
    const long long m = (long long)n * hw;

    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for_channel(n, c, hw, ch, [&](const long long (&o)[4], int cnt) {
        for (int k = 0; k < cnt; ++k) s[k] += x[o[k]];
    });
    const float mean = block_sum((s[0] + s[1]) + (s[2] + s[3]), part) / (float)m;

    float q[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for_channel(n, c, hw, ch, [&](const long long (&o)[4], int cnt) {
        for (int k = 0; k < cnt; ++k) {
            const float d = x[o[k]] - mean;
            q[k] += d * d;
        }
    });
    const float var = block_sum((q[0] + q[1]) + (q[2] + q[3]), part) / (float)m;
    const float inv = 1.0f / sqrtf(var + eps);

    const float g = gamma[ch];
    const float bt = beta[ch];
    for_channel(n, c, hw, ch, [&](const long long (&o)[4], int cnt) {
        float v[4];
        for (int k = 0; k < cnt; ++k) v[k] = x[o[k]];
        for (int k = 0; k < cnt; ++k) y[o[k]] = (v[k] - mean) * inv * g + bt;
    });

    if (threadIdx.x == 0) {
        if (saveMean) saveMean[ch] = mean;
        if (saveInvStd) saveInvStd[ch] = inv;
        // m >= 2 is checked on the Java side (as the reference does); m = 1 keeps the biased var
        const float unbiased = m > 1 ? (float)((double)var * ((double)m / (double)(m - 1))) : var;
        if (runMean) runMean[ch] = (1.0f - momentum) * runMean[ch] + momentum * mean;
        if (runVar) runVar[ch] = (1.0f - momentum) * runVar[ch] + momentum * unbiased;
    }
}

// Evaluation forward: y = (x - runMean) / sqrt(runVar + eps) gamma + beta; saveInvStd (c) when not 0.
NRPM_KERNEL void bn_eval_fwd(int n, int c, int hw, const float* x, const float* gamma, const float* beta, const float* runMean, const float* runVar, float eps, float* y, float* saveInvStd) {
    const long long total = (long long)n * c * hw;
    const bool small = total <= 0xFFFFFFFFLL;
    GRID_STRIDE_LOOP(i, total) {
        const int ch = small ? (int)(((unsigned)i / (unsigned)hw) % (unsigned)c) : (int)((i / hw) % c);
        const float inv = 1.0f / sqrtf(runVar[ch] + eps);
        y[i] = (x[i] - runMean[ch]) * inv * gamma[ch] + beta[ch];
    }
    if (saveInvStd) {
        GRID_STRIDE_LOOP(ch, (long long)c) {
            saveInvStd[ch] = 1.0f / sqrtf(runVar[ch] + eps);
        }
    }
}

// Backward of either forward (ReferenceBackend.batchNormBackward), channel blockIdx.x:
//   gGamma += sum gy xhat, gBeta += sum gy, xhat = (x - mean) invStd
//   gx += batchStats ? gamma invStd (gy - mean(gy) - xhat mean(gy xhat)) : gy gamma invStd
// gx, gGamma, gBeta may each be 0.
NRPM_KERNEL void bn_bwd(int n, int c, int hw, const float* x, const float* gamma, const float* mean, const float* invStd, int batchStats, const float* gy, float* gx, float* gGamma, float* gBeta) {
    using namespace nrpm_bn;
    __shared__ float pa[NRPM_BLOCK];
    __shared__ float pb[NRPM_BLOCK];
    const int ch = blockIdx.x;
    const float mu = mean[ch];
    const float inv = invStd[ch];
    const float k = gamma[ch] * inv;

    // the sums are needed for gGamma, gBeta, and gx with batch statistics (uniform condition)
    float sumGy = 0.0f, sumGyXhat = 0.0f;
    if (gGamma || gBeta || (gx && batchStats)) {
        float sg[4] = {0.0f, 0.0f, 0.0f, 0.0f}, sgd[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for_channel(n, c, hw, ch, [&](const long long (&o)[4], int cnt) {
            for (int k = 0; k < cnt; ++k) {
                const float g = gy[o[k]];
                sg[k] += g;
                sgd[k] += g * (x[o[k]] - mu);
            }
        });
        float tg = (sg[0] + sg[1]) + (sg[2] + sg[3]);
        float tgd = (sgd[0] + sgd[1]) + (sgd[2] + sgd[3]);
        block_sum2(tg, tgd, pa, pb);
        sumGy = tg;
        sumGyXhat = tgd * inv;
        if (threadIdx.x == 0) {
            if (gGamma) gGamma[ch] += sumGyXhat;
            if (gBeta) gBeta[ch] += sumGy;
        }
    }
    if (!gx) return;   // no barrier follows
    if (batchStats) {
        const float m = (float)((long long)n * hw);
        const float meanGy = sumGy / m;
        const float meanGyXhat = sumGyXhat / m;
        for_channel(n, c, hw, ch, [&](const long long (&o)[4], int cnt) {
            float xv[4], gv[4], ov[4];
            for (int q = 0; q < cnt; ++q) {
                xv[q] = x[o[q]];
                gv[q] = gy[o[q]];
                ov[q] = gx[o[q]];
            }
            for (int q = 0; q < cnt; ++q) {
                const float xhat = (xv[q] - mu) * inv;
                gx[o[q]] = ov[q] + k * (gv[q] - meanGy - xhat * meanGyXhat);
            }
        });
    } else {
        for_channel(n, c, hw, ch, [&](const long long (&o)[4], int cnt) {
            float gv[4], ov[4];
            for (int q = 0; q < cnt; ++q) {
                gv[q] = gy[o[q]];
                ov[q] = gx[o[q]];
            }
            for (int q = 0; q < cnt; ++q) gx[o[q]] = ov[q] + gv[q] * k;
        });
    }
}

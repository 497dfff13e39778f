#include "common.cuh"
#include "tiled_mainloop.cuh"

// conv2d.cu: 2-D convolution (zero padding, no bias) and its two gradients, as implicit GEMMs
// (no im2col buffer is ever written).
//
// Layouts, NCHW (ConvShape in common.cuh):
//   x  (batch, inC, inH, inW)      w  (outC, inC, kH, kW)      y, gy  (batch, outC, outH, outW)
//   K = inC*kH*kW (a patch, index (c, i, j)),  P = outH*outW,  N = batch*P (index (b, py, px))
//
// Launch shapes:
//   conv2d_fwd         block 256, grid (ceil(N/64), ceil(outC/64))
//                      y as the GEMM (outC x N) = w (outC x K) . col(x) (K x N); the col(x) tile
//                      is gathered from x, zeros where the window leaves the image.
//   conv2d_bwd_filter  block 256, grid (ceil(K/64), ceil(outC/64), S)
//                      gw (outC x K) += gy (outC x N) . col(x)^T (N x K), reduced over N.
//                      Split-K over gridDim.z = S: slice z reduces the 16-pixel chunks
//                      [C z/S, C (z+1)/S) of the C = ceil(N/16). S = 1 (partial = 0): adds into
//                      gw. S > 1: overwrites partial[z outC K + i] for every gw element i of its
//                      tile (zeros where its share was empty) and leaves gw alone; sum_slices
//                      (elementwise.cu) then adds the S slices into gw in order z = 0..S-1
//                      (deterministic, no atomics).
//   conv2d_bwd_data    1-D over batch*inC*inH*inW: block 256, grid min(ceil(n/256), 4096)
//                      gx (inC x batch*inH*inW) += w^T (inC x outC*kH*kW) . col(gy) (= when
//                      accumulate is 0: gx is then not read, a fresh gradient needs no memset): each
//                      block takes 64x64 tiles of gx in a grid-stride loop, every gx cell owned
//                      by one thread (a gather, no atomics). With inC < 32 a 64-row tile would be
//                      mostly idle, so those layers use a plain per-cell gather instead.
//
// The tiled kernels share one engine (as in gemm.cu): 64x64 output tile per 256-thread block,
// 4x4 register micro-tile per thread, the reduction staged through shared memory 16 at a time in
// two buffers (loads of chunk c+1 overlap the FMAs of chunk c, one barrier per chunk). Patch
// indices (c, i, j) and pixel indices (b, py, px) are advanced by 16 with carries instead of
// being divided out for every element.

namespace nrpm_conv {

using namespace nrpm_tiled;   // TILE, TK, LDS, Stage, stage_kfast, stage_mnfast, mainloop

constexpr int DIRECT_BWD_DATA_BELOW_INC = 32;

// A mixed-radix index (hi, mid, lo) with radices (-, midN, loN), advanced by a fixed step that was
// decomposed the same way; one conditional carry per digit suffices since each step digit < radix.
struct Digits {
    int hi, mid, lo;
    __device__ __forceinline__ void set(int v, int midN, int loN) {
        const int ml = midN * loN;
        hi = v / ml;
        const int r = v - hi * ml;
        mid = r / loN;
        lo = r - mid * loN;
    }
    __device__ __forceinline__ void advance(const Digits& step, int midN, int loN) {
        lo += step.lo;
        if (lo >= loN) { lo -= loN; ++mid; }
        mid += step.mid;
        if (mid >= midN) { mid -= midN; ++hi; }
        hi += step.hi;
    }
};

// ------------------------------------------------------------------ forward: y = w . col(x)
struct FwdLoader {
    ConvShape s;
    const float* x;
    const float* w;
    int K, row0, k0;
    // this thread's column of the col(x) chunk (fixed for the whole kernel)
    bool colOk;
    long long xoff;   // offset of image b in x
    int iy0, ix0;     // top-left of its window
    Digits kd[4];     // patch index (c, i, j) of its 4 rows of the chunk: (t / 64) + 4 q + k0
    Digits kstep;     // TK as (c, i, j)

    __device__ __forceinline__ void fetch(float (&ra)[4], float (&rb)[4]) {
        const int t = threadIdx.x;
        const int kk = k0 + (t & 15);
#pragma unroll
        for (int i = 0; i < 4; ++i) {   // w (outC, K): K contiguous
            const int o = row0 + (t >> 4) + 16 * i;
            ra[i] = (o < s.outC && kk < K) ? w[(long long)o * K + kk] : 0.0f;
        }
#pragma unroll
        for (int q = 0; q < 4; ++q) {   // x gathered: consecutive threads take consecutive pixels
            const int iy = iy0 + kd[q].mid;
            const int ix = ix0 + kd[q].lo;
            const bool ok = colOk && kd[q].hi < s.inC && (unsigned)iy < (unsigned)s.inH && (unsigned)ix < (unsigned)s.inW;
            rb[q] = ok ? x[xoff + (kd[q].hi * s.inH + iy) * s.inW + ix] : 0.0f;
            kd[q].advance(kstep, s.kH, s.kW);
        }
        k0 += TK;
    }

    __device__ __forceinline__ void stage(float (*as)[LDS], float (*bs)[LDS], const float (&ra)[4], const float (&rb)[4]) {
        stage_kfast(as, ra);
        stage_mnfast(bs, rb);
    }
};

// ------------------------------------------------------------------ filter gradient: gw += gy . col(x)^T
struct FilterLoader {
    ConvShape s;
    const float* x;
    const float* gy;
    int P, row0;
    // the pixel n = n0 + t % 16 this thread loads in the current chunk, as (b, py, px)
    Digits nd;
    Digits nstep;
    // its 4 patch columns (t / 16) + 16 q of the tile, fixed
    bool kOk[4];
    int coff[4], ki[4], kj[4];

    __device__ __forceinline__ void fetch(float (&ra)[4], float (&rb)[4]) {
        const int t = threadIdx.x;
        const bool nOk = nd.hi < s.batch;
        const long long gyoff = (long long)nd.hi * s.outC * P + nd.mid * s.outW + nd.lo;
#pragma unroll
        for (int i = 0; i < 4; ++i) {   // gy (batch, outC, P): pixels contiguous
            const int o = row0 + (t >> 4) + 16 * i;
            ra[i] = (nOk && o < s.outC) ? gy[gyoff + (long long)o * P] : 0.0f;
        }
        const long long xoff = (long long)nd.hi * s.inC * s.inH * s.inW;
        const int iy0 = nd.mid * s.strideH - s.padH;
        const int ix0 = nd.lo * s.strideW - s.padW;
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            const int iy = iy0 + ki[q];
            const int ix = ix0 + kj[q];
            const bool ok = nOk && kOk[q] && (unsigned)iy < (unsigned)s.inH && (unsigned)ix < (unsigned)s.inW;
            rb[q] = ok ? x[xoff + coff[q] + iy * s.inW + ix] : 0.0f;
        }
        nd.advance(nstep, s.outH, s.outW);
    }

    __device__ __forceinline__ void stage(float (*as)[LDS], float (*bs)[LDS], const float (&ra)[4], const float (&rb)[4]) {
        stage_kfast(as, ra);   // As[n][o]
        stage_kfast(bs, rb);   // Bs[n][patch]
    }
};

// ------------------------------------------------------------------ data gradient: gx += w^T . col(gy)
template <bool UNIT_STRIDE>
struct DataLoader {
    ConvShape s;
    const float* w;
    const float* gy;
    int P, kHW, row0;
    // A = w viewed (inC x outC*kH*kW): this thread's reduction index r0 + t % 16 as (o, ij)
    int ao, aij, stepO, stepIJ;
    // B = col(gy): this thread's gx cell (fixed per tile) and its 4 reduction indices as (o, i, j)
    bool qOk;
    long long gyoff;
    int iy, ix;
    Digits rd[4];
    Digits rstep;

    __device__ __forceinline__ void fetch(float (&ra)[4], float (&rb)[4]) {
        const int t = threadIdx.x;
        const bool aOk = ao < s.outC;
        const long long woff = (long long)ao * s.inC * kHW + aij;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int c = row0 + (t >> 4) + 16 * i;
            ra[i] = (aOk && c < s.inC) ? w[woff + (long long)c * kHW] : 0.0f;
        }
        aij += stepIJ;
        if (aij >= kHW) { aij -= kHW; ++ao; }
        ao += stepO;
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            // output pixel (py, px) whose window puts kernel tap (i, j) on this cell
            const int ty = iy + s.padH - rd[q].mid;
            const int tx = ix + s.padW - rd[q].lo;
            bool ok = qOk && rd[q].hi < s.outC && ty >= 0 && tx >= 0;
            int py = ty, px = tx;
            if (!UNIT_STRIDE) {
                py = ty / s.strideH;
                px = tx / s.strideW;
                ok = ok && py * s.strideH == ty && px * s.strideW == tx;
            }
            ok = ok && py < s.outH && px < s.outW;
            rb[q] = ok ? gy[gyoff + ((long long)rd[q].hi * s.outH + py) * s.outW + px] : 0.0f;
            rd[q].advance(rstep, s.kH, s.kW);
        }
    }

    __device__ __forceinline__ void stage(float (*as)[LDS], float (*bs)[LDS], const float (&ra)[4], const float (&rb)[4]) {
        stage_kfast(as, ra);    // As[r][c]
        stage_mnfast(bs, rb);   // Bs[r][cell]
    }
};

// The 64x64 gx tile at (row0, col0). Not inlined into its grid-stride loop: inlined, the compiler
// keeps the loop's invariants live across the whole main loop (128 registers instead of ~80).
// Its staging buffers are file-scope __shared__ so it addresses them as shared memory.
__shared__ __align__(16) Stage bwd_data_stage;

template <bool UNIT_STRIDE>
__device__ __noinline__ void bwd_data_tile(ConvShape s, const float* w, const float* gy, float* gx, int accumulate,
                                           int row0, int col0) {
    const int t = threadIdx.x;
    const int inHW = s.inH * s.inW;
    const int kHW = s.kH * s.kW;
    const int nq = s.batch * inHW;
    DataLoader<UNIT_STRIDE> ld;
    ld.s = s;
    ld.w = w;
    ld.gy = gy;
    ld.P = s.outH * s.outW;
    ld.kHW = kHW;
    ld.row0 = row0;
    ld.aij = t & 15;   // r = t % 16 < 16, decomposed as (o, ij)
    ld.ao = ld.aij / kHW;
    ld.aij -= ld.ao * kHW;
    ld.stepO = TK / kHW;
    ld.stepIJ = TK - ld.stepO * kHW;
    const int q = col0 + (t & 63);
    ld.qOk = q < nq;
    const int b = ld.qOk ? q / inHW : 0;
    const int cell = ld.qOk ? q - b * inHW : 0;
    ld.iy = cell / s.inW;
    ld.ix = cell - ld.iy * s.inW;
    ld.gyoff = (long long)b * s.outC * ld.P;
#pragma unroll
    for (int k = 0; k < 4; ++k) ld.rd[k].set((t >> 6) + 4 * k, s.kH, s.kW);
    ld.rstep.set(TK, s.kH, s.kW);

    float acc[4][4];
    mainloop(ld, (s.outC * kHW + TK - 1) / TK, bwd_data_stage, acc);

    const int tx = t & 15;
    const int ty = t >> 4;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int qq = col0 + 4 * tx + j;
        if (qq >= nq) continue;
        const int bb = qq / inHW;
        float* g = gx + (long long)bb * s.inC * inHW + (qq - bb * inHW);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int c = row0 + 4 * ty + i;
            if (c < s.inC) {
                float* cell = g + (long long)c * inHW;
                *cell = accumulate ? *cell + acc[i][j] : acc[i][j];
            }
        }
    }
}

template <bool UNIT_STRIDE>
__device__ __forceinline__ void bwd_data_tiled(const ConvShape& s, const float* w, const float* gy, float* gx,
                                               int accumulate) {
    const int nq = s.batch * s.inH * s.inW;
    const int tilesM = (s.inC + TILE - 1) / TILE;
    const long long tiles = (long long)tilesM * ((nq + TILE - 1) / TILE);
    // the same number of tiles for every thread of the block, so the barriers inside match up;
    // consecutive blocks take the row tiles of one column range (they share its gy gather in L2)
    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        bwd_data_tile<UNIT_STRIDE>(s, w, gy, gx, accumulate, (int)(tile % tilesM) * TILE, (int)(tile / tilesM) * TILE);
    }
}

}  // namespace nrpm_conv

// y (batch, outC, outH, outW) = conv(x, w); block 256, grid (ceil(batch*outH*outW/64), ceil(outC/64))
NRPM_KERNEL void conv2d_fwd(ConvShape s, const float* x, const float* w, float* y) {
    using namespace nrpm_conv;
    __shared__ __align__(16) Stage sh;
    const int t = threadIdx.x;
    const int P = s.outH * s.outW;
    const int N = s.batch * P;
    const int kHW = s.kH * s.kW;
    FwdLoader ld;
    ld.s = s;
    ld.x = x;
    ld.w = w;
    ld.K = s.inC * kHW;
    ld.row0 = blockIdx.y * TILE;
    ld.k0 = 0;
    const int col0 = blockIdx.x * TILE;
    const int col = col0 + (t & 63);
    ld.colOk = col < N;
    const int b = ld.colOk ? col / P : 0;
    const int p = ld.colOk ? col - b * P : 0;
    const int py = p / s.outW;
    const int px = p - py * s.outW;
    ld.xoff = (long long)b * s.inC * s.inH * s.inW;
    ld.iy0 = py * s.strideH - s.padH;
    ld.ix0 = px * s.strideW - s.padW;
#pragma unroll
    for (int q = 0; q < 4; ++q) ld.kd[q].set((t >> 6) + 4 * q, s.kH, s.kW);
    ld.kstep.set(TK, s.kH, s.kW);

    float acc[4][4];
    mainloop(ld, (ld.K + TK - 1) / TK, sh, acc);

    const int tx = t & 15;
    const int ty = t >> 4;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int n = col0 + 4 * tx + j;
        if (n >= N) continue;
        const int bb = n / P;
        float* yb = y + (long long)bb * s.outC * P + (n - bb * P);
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int o = ld.row0 + 4 * ty + i;
            if (o < s.outC) yb[(long long)o * P] = acc[i][j];
        }
    }
}

// gx (batch, inC, inH, inW) (+)= conv_transpose(gy, w) (+= when accumulate, else =); 1-D launch over
// batch*inC*inH*inW
NRPM_KERNEL void conv2d_bwd_data(ConvShape s, const float* w, const float* gy, float* gx, int accumulate) {
    using namespace nrpm_conv;
    if (s.inC >= DIRECT_BWD_DATA_BELOW_INC) {   // uniform: the whole grid takes the same path
        if (s.strideH == 1 && s.strideW == 1) bwd_data_tiled<true>(s, w, gy, gx, accumulate);
        else bwd_data_tiled<false>(s, w, gy, gx, accumulate);
        return;   // after the last barrier
    }
    // Few input channels: each thread sums over the (o, i, j) that reach its cell.
    const long long n = (long long)s.batch * s.inC * s.inH * s.inW;
    const int P = s.outH * s.outW;
    const int kHW = s.kH * s.kW;
    GRID_STRIDE_LOOP(idx, n) {
        const int ix = (int)(idx % s.inW);
        long long r = idx / s.inW;
        const int iy = (int)(r % s.inH);
        r /= s.inH;
        const int c = (int)(r % s.inC);
        const long long b = r / s.inC;
        const float* gyb = gy + b * s.outC * P;
        const float* wc = w + (long long)c * kHW;
        float sum = 0.0f;
        for (int i = 0; i < s.kH; ++i) {
            const int ty = iy + s.padH - i;
            if (ty < 0 || ty % s.strideH != 0) continue;
            const int py = ty / s.strideH;
            if (py >= s.outH) continue;
            for (int j = 0; j < s.kW; ++j) {
                const int tx = ix + s.padW - j;
                if (tx < 0 || tx % s.strideW != 0) continue;
                const int px = tx / s.strideW;
                if (px >= s.outW) continue;
                const float* g = gyb + py * s.outW + px;
                const float* wk = wc + i * s.kW + j;
                for (int o = 0; o < s.outC; ++o) {
                    sum += g[(long long)o * P] * wk[(long long)o * s.inC * kHW];
                }
            }
        }
        gx[idx] = accumulate ? gx[idx] + sum : sum;
    }
}

// gw (outC, inC, kH, kW) += sum over b, pixels of gy x-patch; block 256, grid (ceil(K/64), ceil(outC/64), S);
// S > 1: slice z's share into partial (S, outC, K) instead (see the launch shapes above)
NRPM_KERNEL void conv2d_bwd_filter(ConvShape s, const float* x, const float* gy, float* gw, float* partial) {
    using namespace nrpm_conv;
    __shared__ __align__(16) Stage sh;
    const int t = threadIdx.x;
    const int kHW = s.kH * s.kW;
    const int K = s.inC * kHW;
    const int P = s.outH * s.outW;
    const int N = s.batch * P;
    const int row0 = blockIdx.y * TILE;
    const int col0 = blockIdx.x * TILE;

    // split-K: slice blockIdx.z takes chunks [cBegin, cEnd) of the N pixels
    const long long total = (N + TK - 1) / TK;
    const int cBegin = (int)(total * blockIdx.z / gridDim.z);
    const int cEnd = (int)(total * (blockIdx.z + 1) / gridDim.z);

    FilterLoader ld;
    ld.s = s;
    ld.x = x;
    ld.gy = gy;
    ld.P = P;
    ld.row0 = row0;
    ld.nd.set(cBegin * TK + (t & 15), s.outH, s.outW);
    ld.nstep.set(TK, s.outH, s.outW);
    const int inHW = s.inH * s.inW;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
        const int kc = col0 + (t >> 4) + 16 * q;
        ld.kOk[q] = kc < K;
        Digits d;
        d.set(ld.kOk[q] ? kc : 0, s.kH, s.kW);
        ld.coff[q] = d.hi * inHW;
        ld.ki[q] = d.mid;
        ld.kj[q] = d.lo;
    }

    float acc[4][4];
    mainloop(ld, cEnd - cBegin, sh, acc);

    const int tx = t & 15;
    const int ty = t >> 4;
    float* const out = partial ? partial + (long long)blockIdx.z * s.outC * K : gw;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int o = row0 + 4 * ty + i;
        if (o >= s.outC) continue;
        float* g = out + (long long)o * K;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int kc = col0 + 4 * tx + j;
            if (kc >= K) continue;
            if (partial) g[kc] = acc[i][j];   // this slice's share, summed by sum_slices
            else g[kc] += acc[i][j];
        }
    }
}

// nrpm_conv.cu: fused NRPM for 2-D convolutions (NRPM.md), implicit im2col. Backend primitives
// nrpmConv2d / nrpmConv2dBackward (CudaNrpm) (the per-output chain is nrpm_chain, in
// nrpm_dense.cu).
//
// Layouts (NCHW, row-major), P = outH outW pixels, D = inC kH kW terms per output:
//   x (B, inC, inH, inW), w (O, inC, kH, kW) = (O, D), bias (O) or 0, lambda (1)
//   y (B, O, outH, outW); z0 = conv2d(x, w) (B, O, outH, outW) is the LPM sum, computed by nrpm_conv_fwd
//   state (3K+1, B, O, P): planes z(0..K), S0(0..K-1), A(0..K-1) of N = B O P outputs (NrpmSpec)
//   gz (K+1, B, O, P): plane 0 = gz0 (the LPM sum's total gradient), plane k = dL/dz(k), k = 1..K
//   (written by nrpm_chain)
//   gx like x, gw like w: added into; the whole gradient but the bias's, the LPM share included
//   gcol (nb P, D): scratch column gradient of a batch chunk, row (b - b0) P + pixel, column d
// The patch of output (b, oy, ox) has term d = (c, i, j) = x[b, c, oy sH - pH + i, ox sW - pW + j],
// 0 where that cell lies in the padding (such terms still count in D and get weights). Nothing of
// size B x O x D x P is ever formed (engines and their design in nrpm_fused.cuh).
//
// Launch shapes (block 256 everywhere):
//   nrpm_conv_fwd     grid (ceil(B P/64), ceil(O/64)): a block owns 64 (b, pixel) rows x 64 out channels
//   nrpm_conv_bwd_gcol  grid (ceil(D/64), ceil(nb P/64)), for the batch chunk [b0, b0 + nb): a
//                     block owns gcol[r, d] for 64 rows r = (b - b0) P + pixel x 64 d, loops over
//                     o (the nrpm_dense_bwd_gx engine on patch rows), overwrites gcol (nb P, D)
//   col2im_add        1-D over nb inC inH inW input cells of the chunk (grid min(ceil(n/256),
//                     4096), grid-stride): each thread gathers its cell's gcol entries into gx,
//                     no atomics. Java walks the batch in chunks so that gcol stays <= 32M floats
//   nrpm_conv_bwd_gw  grid (ceil(D/64), ceil(O/64), S): a block owns gw[o, d] for 64 o x 64 d, loops
//                     over the B P (b, pixel) rows, split-K over gridDim.z: slice z takes the
//                     32-row chunks [C z/S, C (z+1)/S) of the C = ceil(B P/32). S = 1 (partial
//                     = 0): adds into gw; S > 1: overwrites partial[z O D + o D + d] (every
//                     element of its tile, zeros for an empty share), gw untouched, and
//                     sum_slices (elementwise.cu) adds the slices into gw in order
#include "nrpm_fused.cuh"

// Decoded term indices d of a chunk: the patch offset c inH inW + i inW + j and (i, j).
template <int LEN>
struct ConvTermTab {
    int off[LEN];
    int ti[LEN];
    int tj[LEN];
};

// Entry e of tab for term d (ti far negative past D, so the bounds test reads it as padding).
__device__ __forceinline__ void conv_decode(const ConvShape& s, int D, int d, int& off, int& ti, int& tj) {
    if (d < D) {
        const int kk = s.kH * s.kW;
        const int c = d / kk;
        const int rem = d - c * kk;
        const int i = rem / s.kW;
        const int j = rem - i * s.kW;
        off = (c * s.inH + i) * s.inW + j;
        ti = i;
        tj = j;
    } else {
        off = 0;
        ti = -(1 << 29);
        tj = 0;
    }
}

// A (b, pixel) row m: xrow = offset of x[b, 0, iy0, ix0] (may point outside: only read with the
// bounds test), iy0 / ix0 = the patch's top-left corner.
struct ConvRow {
    long long xrow;
    int iy0, ix0;
    bool valid;
};

__device__ __forceinline__ ConvRow conv_row(const ConvShape& s, int m) {
    ConvRow r;
    const int P = s.outH * s.outW;
    r.valid = m < s.batch * P;
    const int b = r.valid ? m / P : 0;
    const int px = r.valid ? m - b * P : 0;
    const int oy = px / s.outW;
    const int ox = px - oy * s.outW;
    r.iy0 = oy * s.strideH - s.padH;
    r.ix0 = ox * s.strideW - s.padW;
    r.xrow = (long long)b * s.inC * s.inH * s.inW + (long long)r.iy0 * s.inW + r.ix0;
    return r;
}

__device__ __forceinline__ float conv_patch(const ConvShape& s, const float* x, const ConvRow& r, int off, int ti,
                                            int tj) {
    const int iy = r.iy0 + ti;
    const int ix = r.ix0 + tj;
    return r.valid && iy >= 0 && iy < s.inH && ix >= 0 && ix < s.inW ? x[r.xrow + off] : 0.0f;
}

// ------------------------------------------------------------------ forward

// Double-buffered decode of the current and the next chunk's term indices (nrpm_conv_fwd).
__shared__ ConvTermTab<NRPM_TD> nrpm_conv_fwd_tab[2];

// Rows (b, pixel) m = b P + p, columns out channels o; output (b, o, p) at (b O + o) P + p.
struct ConvFwdGeo {
    ConvShape s;
    int D, P;
    long long N;
    int row0, col0;
    const float* x;
    const float* w;   // (O, D)

    __device__ __forceinline__ int rowBase(int m) const {   // (b, 0, p)
        if (m >= s.batch * P) return -1;
        const int b = m / P;
        return b * s.outC * P + (m - b * P);
    }
    __device__ __forceinline__ int colOff(int o) const { return o < s.outC ? o * P : -1; }

    __device__ __forceinline__ void prepare() const {
        if (threadIdx.x < NRPM_TD) {
            const int e = threadIdx.x;
            conv_decode(s, D, e, nrpm_conv_fwd_tab[0].off[e], nrpm_conv_fwd_tab[0].ti[e], nrpm_conv_fwd_tab[0].tj[e]);
        }
    }

    // xs[dd][r] = patch value (row0 + r, d0 + dd): threads walk rows, i.e. neighbouring pixels;
    // ws[dd][c] = w[col0 + c, d0 + dd]: warps read 32 consecutive d. The decode of chunk + 1 is
    // written into the other table buffer, read only after the next barrier.
    __device__ __forceinline__ void load(int d0, int chunk, int nextD0) const {
        NrpmFwdSmem& sm = nrpm_fwd_sm;
        ConvTermTab<NRPM_TD>* tab = nrpm_conv_fwd_tab;
        const int buf = chunk & 1;
        const int r = threadIdx.x % NRPM_TILE;
        const ConvRow lrow = conv_row(s, row0 + r);   // decoded per chunk: registers are scarce here
        NRPM_UNROLL
        for (int k = 0; k < NRPM_TILE * NRPM_TD / NRPM_BLOCK; ++k) {
            const int dd = threadIdx.x / NRPM_TILE + k * (NRPM_BLOCK / NRPM_TILE);
            sm.xs[dd][r] = conv_patch(s, x, lrow, tab[buf].off[dd], tab[buf].ti[dd], tab[buf].tj[dd]);
        }
        const int dd = threadIdx.x % NRPM_TD;
        const int d = d0 + dd;
        NRPM_UNROLL
        for (int k = 0; k < NRPM_TILE * NRPM_TD / NRPM_BLOCK; ++k) {
            const int c = threadIdx.x / NRPM_TD + k * (NRPM_BLOCK / NRPM_TD);
            const int o = col0 + c;
            sm.ws[dd][c] = o < s.outC && d < D ? w[(long long)o * D + d] : 0.0f;
        }
        if (threadIdx.x < NRPM_TD) {
            const int e = threadIdx.x;
            conv_decode(s, D, nextD0 + e, tab[buf ^ 1].off[e], tab[buf ^ 1].ti[e], tab[buf ^ 1].tj[e]);
        }
    }
};

// y = lambda z0 + (1 - lambda) z(K) + bias[o]; state (3K+1 planes of B O P) written when not 0.
NRPM_KERNEL void NRPM_LAUNCH_BOUNDS(256, 2)
nrpm_conv_fwd(NrpmParams p, ConvShape s, const float* x, const float* w, const float* bias, const float* lambda,
              float* y, float* state) {
    ConvFwdGeo geo;
    geo.s = s;
    geo.D = s.inC * s.kH * s.kW;
    geo.P = s.outH * s.outW;
    geo.N = (long long)s.batch * s.outC * geo.P;
    geo.row0 = blockIdx.x * NRPM_TILE;
    geo.col0 = blockIdx.y * NRPM_TILE;
    geo.x = x;
    geo.w = w;
    nrpm_fwd_dispatch<true>(p, geo, bias, lambda, y, state);
}

// ------------------------------------------------------------------ backward: gx (gcol, then col2im_add)

// gcol: rows (b, pixel) r = (b - b0) P + pixel of the batch chunk [b0, b0 + nb), iterated o, held
// the patch values x_patch(b, pixel, d), streamed w[o, d]; state index (b O + o) P + pixel, pixels
// fastest: staging threads walk rows (ITER_FAST = false).
struct ConvGcolGeo {
    ConvShape s;
    int D, NI, rows, P, b0;
    long long N;
    int row0, d0;
    float* grad;        // gcol (nb P, D)
    const float* x;
    const float* w;     // (O, D)

    __device__ __forceinline__ float heldAt(int r, int d) const {
        int off, ti, tj;
        conv_decode(s, D, d, off, ti, tj);
        return conv_patch(s, x, conv_row(s, b0 * P + r), off, ti, tj);
    }
    __device__ __forceinline__ int iterBase(int o) const { return o < s.outC ? o * P : -1; }
    __device__ __forceinline__ int out(int base, int r) const {
        if (base < 0 || r >= rows) return -1;
        const int bl = r / P;
        return (b0 + bl) * s.outC * P + (r - bl * P) + base;
    }
    __device__ __forceinline__ void prepare() {}
    // ss[it][dd] = w[it0 + it, d0 + dd]: warps read 32 consecutive d of one out channel.
    __device__ __forceinline__ void loadStreamed(int it0) const { nrpm_stream_rows(w, s.outC, D, d0, it0); }
};

// gcol[(b - b0) P + pixel, d] = sum_o gt(b, o, pixel, d) w[o, d] for b in [b0, b0 + nb) (overwritten)
// (256, 3) as the gw kernels: 80 registers, no spills on sm_80 / sm_90 ((256, 2) lets ptxas take 116).
NRPM_KERNEL void NRPM_LAUNCH_BOUNDS(256, 3)
nrpm_conv_bwd_gcol(NrpmParams p, ConvShape s, int b0, int nb, const float* x, const float* w, const float* state,
                   const float* gz, float* gcol) {
    ConvGcolGeo geo;
    geo.s = s;
    geo.D = s.inC * s.kH * s.kW;
    geo.P = s.outH * s.outW;
    geo.NI = s.outC;
    geo.rows = nb * geo.P;
    geo.b0 = b0;
    geo.N = (long long)s.batch * s.outC * geo.P;
    geo.row0 = blockIdx.y * NRPM_TILE;
    geo.d0 = blockIdx.x * NRPM_TILE;
    geo.grad = gcol;
    geo.x = x;
    geo.w = w;
    nrpm_bwd_engine<false, false, ConvGcolGeo, true>(p, geo, state, gz, nullptr);   // never split
}

// gx[b, c, h, w] += sum over (i, j) with oy sH - pH + i = h, ox sW - pW + j = w of
// gcol[(b - b0) P + oy outW + ox, (c kH + i) kW + j], for b in [b0, b0 + nb): a gather, no atomics.
// accumulate = 0: = instead of += (gx not read).
NRPM_KERNEL void col2im_add(ConvShape s, int b0, int nb, const float* gcol, float* gx, int accumulate) {
    const int D = s.inC * s.kH * s.kW;
    const int P = s.outH * s.outW;
    const long long plane = (long long)s.inC * s.inH * s.inW;
    const long long cells = (long long)nb * plane;
    GRID_STRIDE_LOOP(idx, cells) {
        const int wc = (int)(idx % s.inW);
        const int h = (int)(idx / s.inW % s.inH);
        const int c = (int)(idx / ((long long)s.inW * s.inH) % s.inC);
        const int bl = (int)(idx / plane);
        const float* gb = gcol + (long long)bl * P * D + (long long)c * s.kH * s.kW;   // (b, pixel 0, (c, 0, 0))
        float acc = 0.0f;
        for (int i = 0; i < s.kH; ++i) {
            const int ty = h + s.padH - i;   // = oy sH
            if (ty < 0 || ty % s.strideH != 0) continue;
            const int oy = ty / s.strideH;
            if (oy >= s.outH) continue;
            for (int j = 0; j < s.kW; ++j) {
                const int tx = wc + s.padW - j;
                if (tx < 0 || tx % s.strideW != 0) continue;
                const int ox = tx / s.strideW;
                if (ox >= s.outW) continue;
                acc += gb[(long long)(oy * s.outW + ox) * D + i * s.kW + j];
            }
        }
        float* cell = gx + (long long)b0 * plane + idx;
        *cell = accumulate ? *cell + acc : acc;
    }
}

// ------------------------------------------------------------------ backward: gw

// Decode of the block's 64 term indices d0 + dd (nrpm_conv_bwd_gw).
__shared__ ConvTermTab<NRPM_TILE> nrpm_conv_gw_tab;

// Rows out channels o, iterated (b, pixel) m, held w[o, d], streamed patch values; state index
// (b O + o) P + p, pixels fastest: staging threads walk m.
struct ConvGwGeo {
    ConvShape s;
    int D, NI, rows, P;
    long long N;
    int row0, d0;
    const float* held;   // w (O, D)
    float* grad;         // gw (O, D)
    const float* x;

    __device__ __forceinline__ float heldAt(int o, int d) const { return held[(long long)o * D + d]; }

    __device__ __forceinline__ int iterBase(int m) const {   // (b, 0, p)
        if (m >= NI) return -1;
        const int b = m / P;
        return b * s.outC * P + (m - b * P);
    }
    __device__ __forceinline__ int out(int base, int o) const { return base >= 0 && o < s.outC ? base + o * P : -1; }
    __device__ __forceinline__ void prepare() {
        if (threadIdx.x < NRPM_TILE) {
            const int e = threadIdx.x;
            conv_decode(s, D, d0 + e, nrpm_conv_gw_tab.off[e], nrpm_conv_gw_tab.ti[e], nrpm_conv_gw_tab.tj[e]);
        }
    }
    // ss[it][dd] = patch value (it0 + it, d0 + dd); threads walk it (neighbouring pixels).
    __device__ __forceinline__ void loadStreamed(int it0) const {
        NrpmBwdSmem& sm = nrpm_bwd_sm;
        ConvTermTab<NRPM_TILE>* tab = &nrpm_conv_gw_tab;
        const int it = threadIdx.x % NRPM_TI;
        const ConvRow r = conv_row(s, it0 + it);
        NRPM_UNROLL
        for (int k = 0; k < NRPM_TILE * NRPM_TI / NRPM_BLOCK; ++k) {
            const int dd = threadIdx.x / NRPM_TI + k * (NRPM_BLOCK / NRPM_TI);
            sm.ss[it][dd] = conv_patch(s, x, r, tab->off[dd], tab->ti[dd], tab->tj[dd]);
        }
    }
};

// gw[o, d] += sum over b and pixels of gt(b, o, pixel, d) x_patch(b, pixel, d) (partial: see the launch shapes)
NRPM_KERNEL void NRPM_LAUNCH_BOUNDS(256, 3)
nrpm_conv_bwd_gw(NrpmParams p, ConvShape s, const float* x, const float* w, const float* state, const float* gz,
                 float* gw, float* partial) {
    ConvGwGeo geo;
    geo.s = s;
    geo.D = s.inC * s.kH * s.kW;
    geo.P = s.outH * s.outW;
    geo.NI = s.batch * geo.P;
    geo.N = (long long)s.batch * s.outC * geo.P;
    geo.row0 = blockIdx.y * NRPM_TILE;
    geo.d0 = blockIdx.x * NRPM_TILE;
    geo.rows = s.outC;
    geo.held = w;
    geo.grad = gw;
    geo.x = x;
    nrpm_bwd_engine<true, true>(p, geo, state, gz, partial);
}

// nrpm_dense.cu: fused NRPM for dense layers (NRPM.md), and the per-output backward chain that
// dense and conv share. Backend primitives nrpmDense / nrpmDenseBackward (CudaNrpm).
//
// Layouts (row-major):
//   x (B, D), w (O, D), y (B, O), bias (O) or 0, lambda (1); z0 = x w^T (B, O) is the LPM sum
//   state (3K+1, B, O): planes z(0..K), S0(0..K-1), A(0..K-1) of N = B O outputs (NrpmSpec)
//   gz (K+1, N): plane 0 = gz0, the total gradient of z(0) = z_LPM; plane k = dL/dz(k), k = 1..K
//   (scratch written by nrpm_chain)
//   gx (B, D), gw (O, D): added into; the whole gradient of y but the bias's, the LPM sum's share
//   included (the engines add gz0 to every term, nrpm_fused.cuh)
// Nothing of size B x O x D is ever formed: terms t = w[o, d] x[b, d] are recomputed from tiles
// staged in shared memory (engines and their design in nrpm_fused.cuh).
//
// Launch shapes (block 256 everywhere):
//   nrpm_dense_fwd     grid (ceil(O/64), ceil(B/64)): a block owns outputs b in [64 by, +64), o in [64 bx, +64)
//   nrpm_chain         1-D over n outputs (grid min(ceil(n/256), 4096), grid-stride)
//   nrpm_dense_bwd_gx  grid (ceil(D/64), ceil(B/64)): a block owns gx[b, d] for 64 b x 64 d, loops over o;
//                      adds into gx (nrpm_dense_bwd_gx_set, same shape: overwrites it)
//   nrpm_dense_bwd_gw  grid (ceil(D/64), ceil(O/64), S): a block owns gw[o, d] for 64 o x 64 d, loops
//                      over b, split-K over gridDim.z: slice z takes the 32-row chunks
//                      [C z/S, C (z+1)/S) of the C = ceil(B/32). S = 1 (partial = 0): adds into gw;
//                      S > 1: overwrites partial[z O D + o D + d] (every element of its tile, zeros
//                      for an empty share), gw untouched, and sum_slices (elementwise.cu) adds the
//                      slices into gw in order
#include "nrpm_fused.cuh"

// ------------------------------------------------------------------ forward

// Rows are batch rows, columns output units; output (b, o) at b O + o.
struct DenseFwdGeo {
    int D, B, O;
    long long N;
    int row0, col0;
    const float* x;   // (B, D)
    const float* w;   // (O, D)

    __device__ __forceinline__ int rowBase(int b) const { return b < B ? b * O : -1; }
    __device__ __forceinline__ int colOff(int o) const { return o < O ? o : -1; }
    __device__ __forceinline__ void prepare() {}

    // xs[dd][r] = x[row0 + r, d0 + dd], ws[dd][c] = w[col0 + c, d0 + dd], zeros outside. Warps
    // read 32 consecutive d of one row (coalesced); the pitch 65 spreads the column stores.
    __device__ __forceinline__ void load(int d0, int, int) const {
        NrpmFwdSmem& sm = nrpm_fwd_sm;
        const int dd = threadIdx.x % NRPM_TD;
        const int d = d0 + dd;
        NRPM_UNROLL
        for (int s = 0; s < NRPM_TILE * NRPM_TD / NRPM_BLOCK; ++s) {
            const int r = threadIdx.x / NRPM_TD + s * (NRPM_BLOCK / NRPM_TD);
            const int b = row0 + r;
            const int o = col0 + r;
            sm.xs[dd][r] = b < B && d < D ? x[(long long)b * D + d] : 0.0f;
            sm.ws[dd][r] = o < O && d < D ? w[(long long)o * D + d] : 0.0f;
        }
    }
};

// y = lambda z0 + (1 - lambda) z(K) + bias, z0 = x w^T computed here (pass 0); state (3K+1 planes
// of B O) written when not 0.
NRPM_KERNEL void NRPM_LAUNCH_BOUNDS(256, 2)
nrpm_dense_fwd(NrpmParams p, int batch, int in, int out, const float* x, const float* w, const float* bias,
               const float* lambda, float* y, float* state) {
    DenseFwdGeo geo;
    geo.D = in;
    geo.B = batch;
    geo.O = out;
    geo.N = (long long)batch * out;
    geo.row0 = blockIdx.y * NRPM_TILE;
    geo.col0 = blockIdx.x * NRPM_TILE;
    geo.x = x;
    geo.w = w;
    nrpm_fwd_dispatch<false>(p, geo, bias, lambda, y, state);
}

// ------------------------------------------------------------------ backward: per-output chain

// Mirrors NrpmOutputGrad.chain: gz(K) = (1 - lambda) g, gz(k) = gz(k+1) A(k) (-1/D),
// plane 0 gz0 = lambda g + gz(0) (K = 0: gz0 = g, y = z0 + b does not depend on lambda);
// *gLambda += sum g (z(0) - z(K)), one atomicAdd per block after a block reduction in double.
NRPM_KERNEL void nrpm_chain(NrpmParams p, long long n, int dTerms, const float* lambda, const float* state,
                            const float* gy, float* gz, float* gLambda) {
    __shared__ double red[NRPM_BLOCK];
    const int K = p.k;
    const float lam = K > 0 ? *lambda : 1.0f;
    const float back = -1.0f / (float)dTerms;   // dz(k+1)/dz(k) = -A(k)/D
    double part = 0.0;
    GRID_STRIDE_LOOP(i, n) {
        const float g = gy[i];
        if (K == 0) {
            gz[i] = g;
        } else {
            part += (double)g * (double)(state[i] - state[(long long)K * n + i]);
            float gk = (1.0f - lam) * g;
            gz[(long long)K * n + i] = gk;
            for (int s = K - 1; s >= 1; --s) {
                gk = gk * state[(long long)(2 * K + 1 + s) * n + i] * back;
                gz[(long long)s * n + i] = gk;
            }
            gz[i] = lam * g + gk * state[(long long)(2 * K + 1) * n + i] * back;
        }
    }
    const double total = block_sum(part, red);
    if (threadIdx.x == 0 && gLambda && K > 0) atomicAdd(gLambda, (float)total);
}

// ------------------------------------------------------------------ backward: gx and gw

// gx: rows b, iterated o, held x[b, d], streamed w[o, d]; state index b O + o (o fastest).
struct DenseGxGeo {
    int D, NI, rows, B, O;
    long long N;
    int row0, d0;
    const float* held;   // x (B, D)
    float* grad;         // gx (B, D)
    const float* w;      // (O, D)

    __device__ __forceinline__ float heldAt(int b, int d) const { return held[(long long)b * D + d]; }

    __device__ __forceinline__ int iterBase(int o) const { return o < O ? o : -1; }
    __device__ __forceinline__ int out(int base, int b) const { return base >= 0 && b < B ? b * O + base : -1; }
    __device__ __forceinline__ void prepare() {}
    __device__ __forceinline__ void loadStreamed(int it0) const { nrpm_stream_rows(w, O, D, d0, it0); }
};

// gx[b, d] += sum_o gt(b, o, d) w[o, d], gt with the LPM share gz0 (OVERWRITE: =, gx not read)
template <bool OVERWRITE>
__device__ __forceinline__ void dense_bwd_gx(const NrpmParams& p, int batch, int in, int out, const float* x,
                                             const float* w, const float* state, const float* gz, float* gx) {
    DenseGxGeo geo;
    geo.D = in;
    geo.NI = out;
    geo.B = batch;
    geo.O = out;
    geo.N = (long long)batch * out;
    geo.row0 = blockIdx.y * NRPM_TILE;
    geo.d0 = blockIdx.x * NRPM_TILE;
    geo.rows = batch;
    geo.held = x;
    geo.grad = gx;
    geo.w = w;
    nrpm_bwd_engine<true, false, DenseGxGeo, OVERWRITE>(p, geo, state, gz, nullptr);   // never split
}

// Two entry points rather than a flag: one engine with both epilogues takes 128 registers and
// spills; each alone takes 80. (256, 3) as the gw kernels: with (256, 2) ptxas takes 83 on sm_90,
// which leaves room for 2 blocks per SM instead of 3.
NRPM_KERNEL void NRPM_LAUNCH_BOUNDS(256, 3)
nrpm_dense_bwd_gx(NrpmParams p, int batch, int in, int out, const float* x, const float* w, const float* state,
                  const float* gz, float* gx) {
    dense_bwd_gx<false>(p, batch, in, out, x, w, state, gz, gx);
}

// nrpm_dense_bwd_gx writing gx instead of adding (a fresh gradient, see Backend.nrpmDenseBackward)
NRPM_KERNEL void NRPM_LAUNCH_BOUNDS(256, 3)
nrpm_dense_bwd_gx_set(NrpmParams p, int batch, int in, int out, const float* x, const float* w,
                      const float* state, const float* gz, float* gx) {
    dense_bwd_gx<true>(p, batch, in, out, x, w, state, gz, gx);
}

// gw: rows o, iterated b, held w[o, d], streamed x[b, d]; state index b O + o (o fastest).
struct DenseGwGeo {
    int D, NI, rows, B, O;
    long long N;
    int row0, d0;
    const float* held;   // w (O, D)
    float* grad;         // gw (O, D)
    const float* x;      // (B, D)

    __device__ __forceinline__ float heldAt(int o, int d) const { return held[(long long)o * D + d]; }

    __device__ __forceinline__ int iterBase(int b) const { return b < B ? b * O : -1; }
    __device__ __forceinline__ int out(int base, int o) const { return base >= 0 && o < O ? base + o : -1; }
    __device__ __forceinline__ void prepare() {}
    __device__ __forceinline__ void loadStreamed(int it0) const { nrpm_stream_rows(x, B, D, d0, it0); }
};

// gw[o, d] += sum_b gt(b, o, d) x[b, d], gt with the LPM share gz0 (partial: see the launch shapes)
NRPM_KERNEL void NRPM_LAUNCH_BOUNDS(256, 3)
nrpm_dense_bwd_gw(NrpmParams p, int batch, int in, int out, const float* x, const float* w, const float* state,
                  const float* gz, float* gw, float* partial) {
    DenseGwGeo geo;
    geo.D = in;
    geo.NI = batch;
    geo.B = batch;
    geo.O = out;
    geo.N = (long long)batch * out;
    geo.row0 = blockIdx.y * NRPM_TILE;
    geo.d0 = blockIdx.x * NRPM_TILE;
    geo.rows = out;
    geo.held = w;
    geo.grad = gw;
    geo.x = x;
    nrpm_bwd_engine<false, true>(p, geo, state, gz, partial);
}

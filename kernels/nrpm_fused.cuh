// nrpm_fused.cuh: the tile engines shared by nrpm_dense.cu and nrpm_conv.cu (NRPM.md sections 2-5).
//
// An NRPM layer has B x O outputs (conv: B x O x P, P = outH outW), each a robust sum of D terms
// t = w[o, d] * x[row, d] (conv: x[row, d] = the d-th value of the row's patch, 0 where padded).
// Nothing of size B x O x D is ever stored: like a GEMM, the engines stage 64-wide chunks of the
// two operands in shared memory and recompute every term in registers, once per reweighting step.
//
// Forward engine (nrpm_fwd_engine): a block owns a 64 x 64 tile of outputs (64 rows x 64 output
// units), 256 threads each own a 4 x 4 micro-tile with rows rl + 16 i and columns cl + 16 j (the
// stride 16 keeps shared-memory reads conflict free). Every pass runs over D in chunks of NRPM_TD
// terms: xs (TD, 64 rows) and ws (TD, 64 cols) are staged, then each thread accumulates its 16
// outputs. Pass 0 sums the terms into z(0), the LPM sum (one FMA per term, as a GEMM: no separate
// LPM kernel and no z0 buffer). Pass k + 1, reweighting step k, accumulates S0 = sum w, R = sum w r
// (S1 = sum w t = R + S0 z(k)/D: the update z(k+1) = D S1 / S0 becomes z(k) plus a correction, and
// the loop needs r alone, one FFMA from x and w) and, when state is kept, P = sum r w'(r) and
// Q = sum w'(r). Since r = t - z(k)/D, the state value
//     A(k) = sum (D t - z(k+1)) / S0 w'(r) = (D P - (z(k+1) - D z(k)/D) Q) / S0
// is exact algebra on quantities of the same pass, so K + 1 passes suffice with or without state
// and each term costs one reciprocal per step. (Expanding around z(k) rather than 0 keeps the
// cancellation small: it scales with the step's change of z, not with z itself.)
//
// Backward engine (nrpm_bwd_engine): gx (dense; for conv the column gradient gcol, which
// col2im_add of nrpm_conv.cu gathers into gx) and gw (dense and conv) are GEMM-like sums over one
// index of gt(b, o, d) times the other operand. A block owns 64 "rows" (b for gx, (b, pixel) for
// gcol, o for gw) x 64 term indices d; each thread holds its 4 x 4 fixed operand values (x for gx,
// patch values for gcol, w for gw) in registers and loops over the third index ("iter": o for gx
// and gcol, b or (b, pixel) for gw) in chunks of NRPM_TI, staging the streamed operand and, per
// step k, three per-output scalars (z(k)/D, delta = (z(k+1) - z(k))/D, gz(k+1) D / S0(k)). Per
// term and step (t - z(k+1)/D = r - delta):
//     gt += gz(k+1) D / S0(k) * (w(r) + (r - delta) w'(r)),  r = t - z(k)/D,
// which is gz (D w/S0 + (D t - z(k+1))/S0 w') of NRPM.md section 4, one reciprocal per term.
// The hybrid layer's LPM sum z(0) = sum t sends its total gradient gz0 (lambda g plus what flows
// back through the steps) to every term alike, so step 0 also stages gz0 per output and its terms
// take gt = fma(.., .., gz0) where they had a plain product: the same instruction count, and no
// separate transposed GEMM or convolution for the LPM share of gx and gw (gz0 is staged as 0 in
// the later steps).
// With L1 weights (w = 1/a, w' = -sign(r)/a^2, a = |r| + eps) the bracket is exactly
//     (eps + sign(r) delta) / a^2,  delta = (z(k+1) - z(k)) / D,
// (sign(0) = 0, where w' is taken as 0), so the L1 engine stages c eps and c delta (c = gz(k+1)
// D / S0(k)) in place of delta and c: about 11 instructions per term, no per-term cancellation.
// Both passes take r = fmaf(x, w, -z(k)/D), the exact product rounded once, so that the
// backward's r is bit-identical to the forward's (its sign and r == 0 enter the bracket); the
// product t itself is never needed.
//
// Reciprocals use the hardware approximation (rcp.approx.ftz, ~1 ulp): the term reciprocal is the
// cost floor (NRPM.md section 5) and float32 NRPM is far less precise than that anyway.
#pragma once

#include "common.cuh"

#ifdef __CUDACC__
#define NRPM_LAUNCH_BOUNDS(threads, blocks) __launch_bounds__(threads, blocks)
#define NRPM_UNROLL _Pragma("unroll")
#define NRPM_PRAGMA(x) _Pragma(#x)
#define NRPM_UNROLL_N(n) NRPM_PRAGMA(unroll n)
#else
#define NRPM_LAUNCH_BOUNDS(threads, blocks)
#define NRPM_UNROLL
#define NRPM_UNROLL_N(n)
#endif

#define NRPM_TILE 64   // outputs per tile side; 256 threads x (4 x 4) = 64 x 64
#define NRPM_PAD 65    // row pitch of staged tiles: column-wise stores hit 32 distinct banks
#define NRPM_TD 32     // forward: terms per staged chunk
#define NRPM_TI 32     // backward: iterations per staged chunk
#ifndef NRPM_FWD_UNROLL
#define NRPM_FWD_UNROLL 1
#endif
#ifndef NRPM_BWD_UNROLL
#define NRPM_BWD_UNROLL 1
#endif

__device__ __forceinline__ int nrpm_imin(int a, int b) { return a < b ? a : b; }

// 1/a for a > 0 (a term's |r| + eps, or a sum of weights S0): one MUFU.RCP on the GPU.
// rcp.approx.ftz, not __fdividef(1, a): that is div.approx without ftz, which ptxas wraps in a
// subnormal test and two rescaling multiplies (4 instructions per term in SASS, half the budget of
// a reciprocal-bound loop). A term's a is never subnormal (eps is normal), and a result below
// 2^-126 (|r| > 2^126) flushing to 0 is the right weight. The host branch is the emulator's
// rcp.approx.ftz: exact, with subnormal inputs and results flushed to (signed) zero as the GPU does.
__device__ __forceinline__ float nrpm_rcp(float a) {
#ifdef __CUDA_ARCH__
    float y;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(a));
    return y;
#else
    if (fabsf(a) < FLT_MIN) a = copysignf(0.0f, a);
    const float y = 1.0f / a;
    return fabsf(y) < FLT_MIN ? copysignf(0.0f, y) : y;
#endif
}

// Per-launch constants of the weight function (WeightFunction), hoisted out of the term loops.
struct NrpmConsts {
    float eps, delta, invGamma, c, cg;
};

__device__ __forceinline__ NrpmConsts nrpm_consts(const NrpmParams& p) {
    NrpmConsts k;
    k.eps = p.eps;
    k.delta = p.delta;
    k.invGamma = 1.0f / p.gamma;
    k.c = p.delta / (p.gamma - p.delta);   // HM: w = c (gamma / a - 1) = cg / a - c
    k.cg = k.c * p.gamma;
    return k;
}

// w(r) for weight function FN (NRPM_WF_*, common.cuh), a = |r| + eps; when DERIV also
// q = dw/dr, which is 0 where a clamp is active and at r == 0: WeightFunction.weight and
// .derivative in float32, with one reciprocal.
template <int FN, bool DERIV, bool SIGN_BITS = true>
__device__ __forceinline__ float nrpm_wq(const NrpmConsts& k, float r, float& q) {
    static_assert(FN == NRPM_WF_L1 || FN == NRPM_WF_HUBER || FN == NRPM_WF_MCP || FN == NRPM_WF_HM,
                  "unknown weight function");
    const float inv = nrpm_rcp(fabsf(r) + k.eps);
    float w, m;   // m = |dw/dr|
    if (FN == NRPM_WF_L1) {
        w = inv;
        m = inv * inv;
    } else if (FN == NRPM_WF_HUBER) {
        const float u = k.delta * inv;
        w = fminf(1.0f, u);
        m = u < 1.0f ? u * inv : 0.0f;
    } else if (FN == NRPM_WF_MCP) {
        const float v = inv - k.invGamma;
        w = fmaxf(k.eps, v);
        m = v > k.eps ? inv * inv : 0.0f;
    } else {
        const float v = fmaf(k.cg, inv, -k.c);
        w = fminf(1.0f, fmaxf(k.eps, v));
        m = (v > k.eps && v < 1.0f) ? k.cg * inv * inv : 0.0f;
    }
    if (DERIV) {
        // -sign(r) m. SIGN_BITS: m >= 0 with the inverse of r's sign bit xor-ed in, one LOP3 where
        // copysignf(m, -r) takes a negation and two (the same value); see NRPM_BWD_SIGN_BITS
        if (SIGN_BITS) {
            q = r != 0.0f ? __uint_as_float(__float_as_uint(m) ^ (~__float_as_uint(r) & 0x80000000u)) : 0.0f;
        } else {
            q = r != 0.0f ? copysignf(m, -r) : 0.0f;
        }
    }
    return w;
}

// ================================================================== forward engine

struct NrpmFwdSmem {
    float xs[NRPM_TD][NRPM_PAD];   // (TD, 64 rows): x of the chunk's terms
    float ws[NRPM_TD][NRPM_PAD];   // (TD, 64 cols): w of the chunk's terms
    int rb[NRPM_TILE];             // Geo::rowBase of the tile's rows
    int co[NRPM_TILE];             // Geo::colOff of the tile's columns
};
// Static shared memory at file scope (one per kernel that uses it), read directly by the engines.
__shared__ NrpmFwdSmem nrpm_fwd_sm;

// The staged operands of term dd for the thread's rows rl + 16 i and columns cl + 16 j.
__device__ __forceinline__ void nrpm_fwd_operands(int dd, int rl, int cl, float (&xv)[4], float (&wv)[4]) {
    NRPM_UNROLL
    for (int i = 0; i < 4; ++i) xv[i] = nrpm_fwd_sm.xs[dd][rl + 16 * i];
    NRPM_UNROLL
    for (int j = 0; j < 4; ++j) wv[j] = nrpm_fwd_sm.ws[dd][cl + 16 * j];
}

// One staged chunk of cnt terms for the thread's 16 outputs, weight function FN: the inner loop.
template <int FN, bool SAVE>
__device__ __forceinline__ void nrpm_fwd_chunk(const NrpmParams& p, int cnt, int rl, int cl, const float (&zd)[4][4],
                                               float (&s0)[4][4], float (&s1)[4][4], float (&pp)[4][4],
                                               float (&qq)[4][4]) {
    const NrpmConsts kc = nrpm_consts(p);   // here, not in the engine: registers are scarce there
    NRPM_UNROLL_N(NRPM_FWD_UNROLL)
    for (int dd = 0; dd < cnt; ++dd) {
        float xv[4], wv[4];
        nrpm_fwd_operands(dd, rl, cl, xv, wv);
        NRPM_UNROLL
        for (int i = 0; i < 4; ++i) {
            NRPM_UNROLL
            for (int j = 0; j < 4; ++j) {
                // r = the exact product minus z(k)/D, rounded once: bit-identical to the r of
                // nrpm_bwd_chunk (see there), and all the step needs (S1 = R + S0 z(k)/D)
                const float r = fmaf(xv[i], wv[j], -zd[i][j]);
                float q;
                const float w = nrpm_wq<FN, SAVE>(kc, r, q);
                s0[i][j] += w;
                s1[i][j] = fmaf(w, r, s1[i][j]);   // R
                if (SAVE) {
                    pp[i][j] = fmaf(r, q, pp[i][j]);
                    qq[i][j] += q;
                }
            }
        }
    }
}

// The LPM pass: s1 += t over one staged chunk, the plain sum (one FMA per term, as a GEMM).
__device__ __forceinline__ void nrpm_lpm_chunk(int cnt, int rl, int cl, float (&s1)[4][4]) {
    NRPM_UNROLL_N(4)
    for (int dd = 0; dd < cnt; ++dd) {
        float xv[4], wv[4];
        nrpm_fwd_operands(dd, rl, cl, xv, wv);
        NRPM_UNROLL
        for (int i = 0; i < 4; ++i) {
            NRPM_UNROLL
            for (int j = 0; j < 4; ++j) s1[i][j] = fmaf(xv[i], wv[j], s1[i][j]);
        }
    }
}

// Geo (a policy class of nrpm_dense.cu / nrpm_conv.cu) provides:
//   int D; long long N; int row0, col0;
//   int rowBase(int row), colOff(int col): output (and state plane) index of global (row, col) is
//       rowBase + colOff, -1 when outside (output indices fit in int: N < 2^31)
//   void prepare(): before the first chunk;  void load(int d0, int chunk, int nextD0): fills nrpm_fwd_sm
// Columns are output units, so bias[col]. ROW_FAST: threadIdx % 16 walks rows (conv: neighbouring
// pixels are neighbouring in memory), otherwise it walks columns (dense: neighbouring units are).
// The weight function is switched per chunk (a uniform branch) around the inner loop rather than
// by instantiating the whole engine per function: the accumulators then live in the same
// registers for all functions (separate whole-engine copies inlined into one kernel make ptxas
// spill heavily, although each alone fits in 128 registers).
template <bool SAVE, bool ROW_FAST, class Geo>
__device__ __forceinline__ void nrpm_fwd_engine(const NrpmParams& p, Geo& geo, const float* __restrict__ bias,
                                                const float* __restrict__ lambda, float* __restrict__ y,
                                                float* __restrict__ state) {
    NrpmFwdSmem& sm = nrpm_fwd_sm;
    const int tid = threadIdx.x;
    const int rl = ROW_FAST ? (tid & 15) : (tid >> 4);   // this thread's rows rl + 16 i
    const int cl = ROW_FAST ? (tid >> 4) : (tid & 15);   // and columns cl + 16 j
    const int K = p.k;
    const int D = geo.D;
    const long long N = geo.N;
    const float Df = (float)D;
    const float invD = 1.0f / Df;

    // The output indices of the tile, for the stores after each pass, from shared memory: kept in
    // registers (with the addresses the compiler derives from them) they cost up to 32 registers.
    if (tid < NRPM_TILE) {
        sm.rb[tid] = geo.rowBase(geo.row0 + tid);
    } else if (tid < 2 * NRPM_TILE) {
        sm.co[tid - NRPM_TILE] = geo.colOff(geo.col0 + tid - NRPM_TILE);
    }
    geo.prepare();
    float zd[4][4];   // z(k)/D per output, carried from pass to pass in registers
    int chunk = 0;
    // Pass 0 is the LPM sum z(0) = sum t (the hybrid's z_LPM and the iteration's start), pass k + 1
    // reweighting step k: the same chunk loop, so z0 never goes through memory between kernels.
    NRPM_UNROLL_N(1)
    for (int pass = 0; pass <= K; ++pass) {
        float s0[4][4], s1[4][4], pp[4][4], qq[4][4];
        NRPM_UNROLL
        for (int i = 0; i < 4; ++i) {
            NRPM_UNROLL
            for (int j = 0; j < 4; ++j) {
                s0[i][j] = 0.0f;
                s1[i][j] = 0.0f;
                pp[i][j] = 0.0f;
                qq[i][j] = 0.0f;
            }
        }
        NRPM_UNROLL_N(1)
        for (int d0 = 0; d0 < D; d0 += NRPM_TD, ++chunk) {
            __syncthreads();   // the previous chunk's readers are done
            geo.load(d0, chunk, d0 + NRPM_TD < D ? d0 + NRPM_TD : 0);
            __syncthreads();
            const int cnt = nrpm_imin(NRPM_TD, D - d0);
            if (pass == 0) {   // uniform, as the weight function below
                nrpm_lpm_chunk(cnt, rl, cl, s1);
                continue;
            }
            switch (p.fn) {
                case NRPM_WF_L1: nrpm_fwd_chunk<NRPM_WF_L1, SAVE>(p, cnt, rl, cl, zd, s0, s1, pp, qq); break;
                case NRPM_WF_HUBER: nrpm_fwd_chunk<NRPM_WF_HUBER, SAVE>(p, cnt, rl, cl, zd, s0, s1, pp, qq); break;
                case NRPM_WF_MCP: nrpm_fwd_chunk<NRPM_WF_MCP, SAVE>(p, cnt, rl, cl, zd, s0, s1, pp, qq); break;
                case NRPM_WF_HM: nrpm_fwd_chunk<NRPM_WF_HM, SAVE>(p, cnt, rl, cl, zd, s0, s1, pp, qq); break;
                default: __trap();   // a code the host does not send (WeightFunction.code)
            }
        }
        if (pass == 0) {
            // z(0) into state plane 0 and into y, where the last step reads it back for the mix
            // (the same thread, the same element); K = 0: y = z0 + bias
            NRPM_UNROLL
            for (int i = 0; i < 4; ++i) {
                const int rb = sm.rb[rl + 16 * i];
                NRPM_UNROLL
                for (int j = 0; j < 4; ++j) {
                    const int co = sm.co[cl + 16 * j];
                    const float z = s1[i][j];
                    if ((rb | co) >= 0) {
                        const int idx = rb + co;
                        if (SAVE) state[idx] = z;
                        y[idx] = z + (K == 0 && bias ? bias[geo.col0 + cl + 16 * j] : 0.0f);
                    }
                    zd[i][j] = z * invD;
                }
            }
            continue;
        }
        // z(k+1) = D S1 / S0 = D (z(k)/D + R / S0), the state of this step, and y after the last one
        const int step = pass - 1;
        NRPM_UNROLL
        for (int i = 0; i < 4; ++i) {
            const int rb = sm.rb[rl + 16 * i];
            NRPM_UNROLL
            for (int j = 0; j < 4; ++j) {
                const int co = sm.co[cl + 16 * j];
                // the reciprocal of S0 > 0, not IEEE divisions: their slow paths made ptxas 13 spill
                // in nrpm_conv_fwd, which sits at its 128-register cap
                const float inv0 = nrpm_rcp(s0[i][j]);
                const float zn = Df * fmaf(s1[i][j], inv0, zd[i][j]);
                if ((rb | co) >= 0) {
                    const int idx = rb + co;
                    if (SAVE) {
                        state[(long long)(step + 1) * N + idx] = zn;
                        state[(long long)(K + 1 + step) * N + idx] = s0[i][j];
                        state[(long long)(2 * K + 1 + step) * N + idx] =
                                (Df * pp[i][j] - (zn - Df * zd[i][j]) * qq[i][j]) * inv0;
                    }
                    if (step == K - 1) {
                        const float lam = *lambda;
                        y[idx] = lam * y[idx] + (1.0f - lam) * zn + (bias ? bias[geo.col0 + cl + 16 * j] : 0.0f);
                    }
                }
                zd[i][j] = zn * invD;
            }
        }
    }
}

// Two engines, with and without the state (and its two extra accumulators per output).
template <bool ROW_FAST, class Geo>
__device__ __forceinline__ void nrpm_fwd_dispatch(const NrpmParams& p, Geo& geo, const float* bias,
                                                  const float* lambda, float* y, float* state) {
    if (state) {
        nrpm_fwd_engine<true, ROW_FAST>(p, geo, bias, lambda, y, state);
    } else {
        nrpm_fwd_engine<false, ROW_FAST>(p, geo, bias, lambda, y, state);
    }
}

// ================================================================== backward engine

// The sign-bit form of w' in the non-L1 backward loops (2 instructions per term fewer) everywhere
// but sm_80, where ptxas 13 then spills 4 bytes in nrpm_conv_bwd_gw: sm_80 keeps copysignf. The
// emulator (host) takes the sm_90 form, so the conformance tests run that one, and
// src/test/cpp/sign_forms_test.cpp (NrpmSignFormsTest) checks that both forms give the same bits.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
#define NRPM_BWD_SIGN_BITS false
#else
#define NRPM_BWD_SIGN_BITS true
#endif

// The four per-output scalars of a (iter, row) pair sit together, so that a thread fetches them
// with one 16-byte load per row (4 loads per 16 terms instead of 16; the 16 threads of a row read
// the same address, a broadcast). Pitch 65 float4: the staging stores of a warp, which walk
// iters, then fall 4 banks apart instead of all on the same ones.
struct NrpmBwdSmem {
    float4 st[NRPM_TI][NRPM_PAD];   // (TI iters, 64 rows): x = z(k) / D, y = delta (L1: c eps),
                                    // z = c = gz(k+1) D / S0(k) (L1: c (z(k+1) - z(k)) / D),
                                    // w = gz0 in step 0 (the LPM share of every term), 0 after
    float ss[NRPM_TI][NRPM_PAD];    // (TI iters, 64 d): the streamed operand (w for gx, x for gw)
};
__shared__ NrpmBwdSmem nrpm_bwd_sm;

// The streamed operand when it is a row-major (rows, D) matrix m indexed (iter, d) (w for the gx
// and gcol engines, x for dense gw): ss[it][dd] = m[it0 + it, d0 + dd], 0 outside; warps read 32
// consecutive d of one row.
__device__ __forceinline__ void nrpm_stream_rows(const float* __restrict__ m, int rows, int D, int d0, int it0) {
    const int dd = threadIdx.x % NRPM_TILE;
    const int d = d0 + dd;
    NRPM_UNROLL
    for (int k = 0; k < NRPM_TILE * NRPM_TI / NRPM_BLOCK; ++k) {
        const int it = threadIdx.x / NRPM_TILE + k * (NRPM_BLOCK / NRPM_TILE);
        const int r = it0 + it;
        nrpm_bwd_sm.ss[it][dd] = r < rows && d < D ? m[(long long)r * D + d] : 0.0f;
    }
}

// One staged chunk of cnt iterations for the thread's 4 x 4 (row, d) values, weight function FN.
template <int FN>
__device__ __forceinline__ void nrpm_bwd_chunk(const NrpmParams& p, int cnt, int rl, int dl, const float (&held)[4][4],
                                               float (&acc)[4][4]) {
    const NrpmConsts kc = nrpm_consts(p);
    NRPM_UNROLL_N(NRPM_BWD_UNROLL)
    for (int it = 0; it < cnt; ++it) {
        float sv[4], za[4], zb[4], cc[4], g0[4];
        NRPM_UNROLL
        for (int j = 0; j < 4; ++j) sv[j] = nrpm_bwd_sm.ss[it][dl + 16 * j];
        NRPM_UNROLL
        for (int i = 0; i < 4; ++i) {
            const float4 v = nrpm_bwd_sm.st[it][rl + 16 * i];
            za[i] = v.x;
            zb[i] = v.y;   // delta = (z(k+1) - z(k)) / D (L1: c eps)
            cc[i] = v.z;   // L1: c delta
            g0[i] = v.w;
        }
        NRPM_UNROLL
        for (int i = 0; i < 4; ++i) {
            NRPM_UNROLL
            for (int j = 0; j < 4; ++j) {
                float gt;
                if (FN == NRPM_WF_L1) {   // c (eps + sign(r) delta) / a^2, see the top of this file
                    // r = the exact product minus z(k)/D, rounded once: one FFMA where a rounded
                    // product and a subtraction took two. nrpm_fwd_chunk<0> computes r the same
                    // way, so the backward's r is bit-identical to the forward's (sign(r) and
                    // r == 0 decide the bracket), and so is the emulator's: fmaf is the same
                    // correctly rounded operation on the host. The other weight functions need the
                    // product t itself, so they keep t - z(k)/D from t = __fmul_rn(x, w) (never
                    // contracted by nvcc) in both passes.
                    const float r = fmaf(held[i][j], sv[j], -za[i]);
                    const float inv = nrpm_rcp(fabsf(r) + kc.eps);
                    // sign(r) c delta: c delta with r's sign bit xor-ed in (one LOP3), 0 at r == 0
                    const float sd = r != 0.0f
                            ? __uint_as_float(__float_as_uint(cc[i]) ^ (__float_as_uint(r) & 0x80000000u)) : 0.0f;
                    gt = fmaf(inv * (zb[i] + sd), inv, g0[i]);
                } else {   // t - z(k+1)/D = r - delta, delta = (z(k+1) - z(k)) / D staged in zb
                    const float r = fmaf(held[i][j], sv[j], -za[i]);
                    float q;
                    const float w = nrpm_wq<FN, true, NRPM_BWD_SIGN_BITS>(kc, r, q);
                    gt = fmaf(cc[i], fmaf(r - zb[i], q, w), g0[i]);
                }
                acc[i][j] = fmaf(gt, sv[j], acc[i][j]);
            }
        }
    }
}

// Geo provides:
//   int D, NI, rows; long long N; int row0, d0;  (NI = extent of the iterated index)
//   float heldAt(int row, int d): the fixed operand (rows, D), called only for row < rows, d < D
//   float* grad: the gradient (rows, D), += (OVERWRITE: =, every element of the tile written)
//   int iterBase(int it), out(int base, int row): output index of (row, iter), -1 outside
//   void prepare();  void loadStreamed(int it0): nrpm_bwd_sm.ss[it][dd], 0 outside
// ITER_FAST: staging threads walk the iterated index (it is the fastest in the state layout).
// SPLIT (the gw kernels): split-K over gridDim.z = S, slice z iterates the NRPM_TI-chunks
// [C z/S, C (z+1)/S) of the C = ceil(NI/TI). partial = 0 (S = 1): grad += the block's sums.
// Otherwise the slice overwrites partial[z rows D + row D + d] for every (row, d) of its tile (zeros
// where its share is empty) and leaves grad alone; sum_slices (elementwise.cu) then adds the slices
// into grad in order. Without SPLIT (gx) partial is ignored and the whole of NI is iterated.
// OVERWRITE (nrpm_conv_bwd_gcol; nrpm_dense_bwd_gx into a fresh gradient; never with SPLIT):
// grad = the block's sums instead of +=. A template argument, not a runtime flag: one kernel with
// both epilogues takes 9 to 48 more registers (nrpm_dense_bwd_gx: 80 -> 89 or 128 with spills).
// With the two epilogues ptxas takes more registers when allowed (80 -> 116 for nrpm_conv_bwd_gw
// under __launch_bounds__(256, 2), i.e. 2 blocks per SM instead of 3), so the gw kernels declare
// (256, 3): 80 registers and no spills on sm_80 and sm_90, as before the split.
template <bool ITER_FAST, bool SPLIT, class Geo, bool OVERWRITE = false>
__device__ __forceinline__ void nrpm_bwd_engine(const NrpmParams& p, Geo& geo, const float* __restrict__ state,
                                                const float* __restrict__ gz, float* __restrict__ partial) {
    NrpmBwdSmem& sm = nrpm_bwd_sm;
    const int tid = threadIdx.x;
    const int rl = tid >> 4;   // rows rl + 16 i
    const int dl = tid & 15;   // term indices dl + 16 j (coalesced += into gx / gw)
    const int K = p.k;
    const int D = geo.D;
    const long long N = geo.N;
    const float Df = (float)D;
    const float invD = 1.0f / Df;

    float held[4][4], acc[4][4];
    NRPM_UNROLL
    for (int i = 0; i < 4; ++i) {
        NRPM_UNROLL
        for (int j = 0; j < 4; ++j) {
            const int row = geo.row0 + rl + 16 * i;
            const int d = geo.d0 + dl + 16 * j;
            held[i][j] = row < geo.rows && d < D ? geo.heldAt(row, d) : 0.0f;
            acc[i][j] = 0.0f;
        }
    }
    // this slice's share of the iterated index, whole chunks (all of it when gridDim.z = 1)
    const int chunks = (geo.NI + NRPM_TI - 1) / NRPM_TI;
    const int itBegin = SPLIT ? (int)((long long)chunks * blockIdx.z / gridDim.z) * NRPM_TI : 0;
    const int itEnd = SPLIT ? nrpm_imin(geo.NI, (int)((long long)chunks * (blockIdx.z + 1) / gridDim.z) * NRPM_TI)
                            : geo.NI;
    if (K > 0) {   // uniform over the grid (K = 0 is never launched: nothing flows back)
        geo.prepare();
        NRPM_UNROLL_N(1)
        for (int it0 = itBegin; it0 < itEnd; it0 += NRPM_TI) {
            NRPM_UNROLL_N(1)
            for (int step = 0; step < K; ++step) {
                __syncthreads();   // the previous readers are done
                if (step == 0) geo.loadStreamed(it0);
                // per-output scalars of step k for the (row, iter) pairs of this chunk
                const float* pz = state + (long long)step * N;
                const float* pzn = state + (long long)(step + 1) * N;
                const float* ps0 = state + (long long)(K + 1 + step) * N;
                const float* pg = gz + (long long)(step + 1) * N;
                // z(k)/D, delta, gz(k+1) D / S0(k) and (step 0) gz0 of output idx (0 outside)
                // into (it, row); L1: z(k)/D, c eps, c delta and gz0 (see the top of this file)
                const float eps = p.eps;
                const bool l1 = p.fn == NRPM_WF_L1;
                auto stage = [&](int it, int row, int idx) {
                    float a = 0.0f, b = 0.0f, c = 0.0f, g = 0.0f;
                    if (idx >= 0) {
                        if (step == 0) g = gz[idx];
                        a = pz[idx] * invD;
                        const float delta = (pzn[idx] - pz[idx]) * invD;
                        b = delta;
                        // the reciprocal, not an IEEE division: its rarely taken slow path made ptxas
                        // 13 spill 12 bytes in the gw kernels (S0 > 0 is a sum of positive weights)
                        c = pg[idx] * Df * nrpm_rcp(ps0[idx]);
                        if (l1) {
                            b = c * eps;
                            c *= delta;
                        }
                    }
                    sm.st[it][row] = make_float4(a, b, c, g);
                };
                if (ITER_FAST) {
                    const int it = tid % NRPM_TI;
                    const int base = geo.iterBase(it0 + it);
                    NRPM_UNROLL
                    for (int s = 0; s < NRPM_TILE * NRPM_TI / NRPM_BLOCK; ++s) {
                        const int row = tid / NRPM_TI + s * (NRPM_BLOCK / NRPM_TI);
                        stage(it, row, geo.out(base, geo.row0 + row));
                    }
                } else {
                    const int row = tid % NRPM_TILE;
                    NRPM_UNROLL
                    for (int s = 0; s < NRPM_TILE * NRPM_TI / NRPM_BLOCK; ++s) {
                        const int it = tid / NRPM_TILE + s * (NRPM_BLOCK / NRPM_TILE);
                        stage(it, row, geo.out(geo.iterBase(it0 + it), geo.row0 + row));
                    }
                }
                __syncthreads();
                const int cnt = nrpm_imin(NRPM_TI, itEnd - it0);
                switch (p.fn) {   // uniform; see nrpm_fwd_engine
                    case NRPM_WF_L1: nrpm_bwd_chunk<NRPM_WF_L1>(p, cnt, rl, dl, held, acc); break;
                    case NRPM_WF_HUBER: nrpm_bwd_chunk<NRPM_WF_HUBER>(p, cnt, rl, dl, held, acc); break;
                    case NRPM_WF_MCP: nrpm_bwd_chunk<NRPM_WF_MCP>(p, cnt, rl, dl, held, acc); break;
                    case NRPM_WF_HM: nrpm_bwd_chunk<NRPM_WF_HM>(p, cnt, rl, dl, held, acc); break;
                    default: __trap();
                }
            }
        }
    }
    const bool toPartial = SPLIT && partial;
    const bool overwrite = OVERWRITE || toPartial;
    float* const out = toPartial ? partial + (long long)blockIdx.z * geo.rows * D : geo.grad;
    NRPM_UNROLL
    for (int i = 0; i < 4; ++i) {
        NRPM_UNROLL
        for (int j = 0; j < 4; ++j) {
            const int row = geo.row0 + rl + 16 * i;
            const int d = geo.d0 + dl + 16 * j;
            if (row < geo.rows && d < D) {
                float* g = out + (long long)row * D + d;
                if (overwrite) *g = acc[i][j];   // a slice's share (summed by sum_slices), or gcol
                else *g += acc[i][j];
            }
        }
    }
}

#pragma once

#include "common.cuh"

// tiled_mainloop.cuh: the 64 x 64 register-tiled product loop shared by gemm.cu (dense products)
// and conv2d.cu (implicit-GEMM convolutions). A block of 256 threads computes a 64 x 64 tile of
// the output, each thread a 4 x 4 micro-tile; K advances in chunks of 16 staged k-major in two
// shared-memory buffers. What differs between the users is only how a chunk is fetched (their
// loaders: fetch and stage below).

namespace nrpm_tiled {

constexpr int TILE = 64;        // rows and columns of C per block
constexpr int TK = 16;          // K per shared-memory stage
constexpr int LDS = TILE + 4;   // staged row length: multiple of 4 floats (16-byte reads) and
                                // skewed so the transposing stores of k-fast loads spread over banks

struct Stage {
    float a[2][TK][LDS];   // op(A) chunk, As[k][row]
    float b[2][TK][LDS];   // op(B) chunk, Bs[k][col]
};

// Two ways a thread loads its 4 values of a 64 x 16 chunk (1024 values, 256 threads):
//   k-fast  (the k index is contiguous in memory): k = t % 16, rows (t / 16) + 16 i
//   mn-fast (the row/column index is contiguous):  row = t % 64, k = (t / 64) + 4 i
// A warp then reads 2 runs of 16 floats or one run of 32 floats.
__device__ __forceinline__ void stage_kfast(float (*s)[LDS], const float (&r)[4]) {
    const int t = threadIdx.x;
#pragma unroll
    for (int i = 0; i < 4; ++i) s[t & 15][(t >> 4) + 16 * i] = r[i];
}

__device__ __forceinline__ void stage_mnfast(float (*s)[LDS], const float (&r)[4]) {
    const int t = threadIdx.x;
#pragma unroll
    for (int i = 0; i < 4; ++i) s[(t >> 6) + 4 * i][t & 63] = r[i];
}

// The main loop shared by all tiled products: L supplies fetch(ra, rb) (global -> registers for the
// next chunk, advancing its own position) and stage(as, bs, ra, rb) (registers -> shared).
// Every thread runs the same number of iterations, so all reach each barrier.
template <class L>
__device__ __forceinline__ void mainloop(L& ld, int chunks, Stage& sh, float (&acc)[4][4]) {
    const int tx = threadIdx.x & 15;
    const int ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;
    float ra[4], rb[4];
    if (chunks > 0) {
        ld.fetch(ra, rb);
        ld.stage(sh.a[0], sh.b[0], ra, rb);
    }
    __syncthreads();
    for (int c = 0; c < chunks; ++c) {
        const int cur = c & 1;
        const bool more = c + 1 < chunks;
        if (more) ld.fetch(ra, rb);   // in flight while this chunk is multiplied
#pragma unroll
        for (int kk = 0; kk < TK; ++kk) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                a[i] = sh.a[cur][kk][4 * ty + i];
                b[i] = sh.b[cur][kk][4 * tx + i];
            }
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
        }
        // the other buffer was last read in iteration c - 1, which the previous barrier closed
        if (more) ld.stage(sh.a[cur ^ 1], sh.b[cur ^ 1], ra, rb);
        __syncthreads();
    }
}

}  // namespace nrpm_tiled

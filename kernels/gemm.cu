#include "common.cuh"
#include "tiled_mainloop.cuh"

// gemm.cu: the dense matrix product of CudaGemm (every linear layer and its gradients).
//
// Layouts, row-major:
//   C (m, n) = alpha op(A) op(B) + beta C
//   op(A) (m, k): A stored (m, k), or (k, m) when transA
//   op(B) (k, n): B stored (k, n), or (n, k) when transB
// C is not read when beta == 0.
//
// Launch: gemm  block 256, grid (ceil(n/64), ceil(m/64)).
//
// Scheme: each block computes one 64x64 tile of C. Thread t is (tx, ty) = (t % 16, t / 16) and
// accumulates the 4x4 micro-tile rows 4ty..4ty+3, columns 4tx..4tx+3 in registers. K advances in
// chunks of 16: each chunk of op(A) (64 x 16) and op(B) (16 x 64) is loaded from global memory
// (coalesced along whichever index is contiguous in memory, so transposes cost nothing) and
// staged k-major in shared memory (As[k][row], Bs[k][col]), so the inner product step reads four
// consecutive floats of each (one 16-byte shared load) for 16 FMAs. Two shared buffers: the next
// chunk's global loads are issued before the current chunk is multiplied, and each chunk costs
// one barrier. Out-of-range rows, columns and k are loaded as zeros and never stored, so any
// m, n, k >= 1 works (k == 0 gives C = beta C).

namespace nrpm_gemm {

using namespace nrpm_tiled;

template <bool TA, bool TB>
struct GemmLoader {
    const float* A;
    const float* B;
    int m, n, k;
    int row0, col0;
    int k0;   // first k of the next chunk to fetch

    __device__ __forceinline__ void fetch(float (&ra)[4], float (&rb)[4]) {
        const int t = threadIdx.x;
        if (!TA) {   // A (m, k): k contiguous
            const int kk = k0 + (t & 15);
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int r = row0 + (t >> 4) + 16 * i;
                ra[i] = (r < m && kk < k) ? A[(long long)r * k + kk] : 0.0f;
            }
        } else {     // A (k, m): rows contiguous
            const int r = row0 + (t & 63);
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int kk = k0 + (t >> 6) + 4 * i;
                ra[i] = (r < m && kk < k) ? A[(long long)kk * m + r] : 0.0f;
            }
        }
        if (!TB) {   // B (k, n): columns contiguous
            const int c = col0 + (t & 63);
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int kk = k0 + (t >> 6) + 4 * i;
                rb[i] = (c < n && kk < k) ? B[(long long)kk * n + c] : 0.0f;
            }
        } else {     // B (n, k): k contiguous
            const int kk = k0 + (t & 15);
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int c = col0 + (t >> 4) + 16 * i;
                rb[i] = (c < n && kk < k) ? B[(long long)c * k + kk] : 0.0f;
            }
        }
        k0 += TK;
    }

    __device__ __forceinline__ void stage(float (*as)[LDS], float (*bs)[LDS], const float (&ra)[4], const float (&rb)[4]) {
        if (TA) stage_mnfast(as, ra); else stage_kfast(as, ra);
        if (TB) stage_kfast(bs, rb); else stage_mnfast(bs, rb);
    }
};

template <bool TA, bool TB>
__device__ __forceinline__ void gemm_tile(int m, int n, int k, float alpha, const float* A, const float* B,
                                          float beta, float* C, Stage& sh) {
    GemmLoader<TA, TB> ld;
    ld.A = A;
    ld.B = B;
    ld.m = m;
    ld.n = n;
    ld.k = k;
    ld.row0 = blockIdx.y * TILE;
    ld.col0 = blockIdx.x * TILE;
    ld.k0 = 0;
    float acc[4][4];
    mainloop(ld, (k + TK - 1) / TK, sh, acc);

    const int tx = threadIdx.x & 15;
    const int ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int r = ld.row0 + 4 * ty + i;
        if (r >= m) continue;
        float* crow = C + (long long)r * n;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int c = ld.col0 + 4 * tx + j;
            if (c < n) crow[c] = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * crow[c];
        }
    }
}

}  // namespace nrpm_gemm

// C (m, n) = alpha op(A) op(B) + beta C; block 256, grid (ceil(n/64), ceil(m/64)).
NRPM_KERNEL void gemm(int transA, int transB, int m, int n, int k, float alpha, const float* A, const float* B, float beta, float* C) {
    using namespace nrpm_gemm;
    __shared__ __align__(16) Stage sh;
    if (transA) {
        if (transB) gemm_tile<true, true>(m, n, k, alpha, A, B, beta, C, sh);
        else gemm_tile<true, false>(m, n, k, alpha, A, B, beta, C, sh);
    } else {
        if (transB) gemm_tile<false, true>(m, n, k, alpha, A, B, beta, C, sh);
        else gemm_tile<false, false>(m, n, k, alpha, A, B, beta, C, sh);
    }
}

package dev.nrpm.backend.cpu;

/**
 * C (m, n) = alpha op(A) op(B) + beta C, row-major, for products too small for a native call to
 * pay (Nd4jOps.SMALL_GEMM_MACS): rows of C accumulate alpha A[i, p] times rows of op(B), a loop C2
 * vectorizes. op(B) = B^T is first copied out as (k, n) so that its rows are contiguous. Where C's
 * rows are short and its columns long (a classifier's 10 outputs over a batch of 128), the same
 * loop runs on C^T = op(B)^T op(A)^T instead, so that the vectorized loop runs over the batch.
 */
final class SmallGemm {
    /** Per thread: a transposed operand, and C^T. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private SmallGemm() {
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, float[] b,
                     float beta, float[] c) {
        if (n < 16 && m >= 2 * n) {
            gemmTransposed(transA, transB, m, n, k, alpha, a, b, beta, c);
            return;
        }
        float[] bRows = transB ? transposed(b, n, k, 0) : b;     // (k, n)
        for (int i = 0; i < m; i++) {
            int ci = i * n;
            if (beta == 0) {
                java.util.Arrays.fill(c, ci, ci + n, 0f);
            } else if (beta != 1) {
                for (int j = 0; j < n; j++) {
                    c[ci + j] *= beta;
                }
            }
            for (int p = 0; p < k; p++) {
                float av = alpha * (transA ? a[p * m + i] : a[i * k + p]);
                int bp = p * n;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += av * bRows[bp + j];
                }
            }
        }
    }

    /** As gemm, through cT (n, m) = op(B)^T (n, k) op(A)^T (k, m): rows of cT are m long. */
    private static void gemmTransposed(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a,
                                       float[] b, float beta, float[] c) {
        float[] aT = transA ? a : transposed(a, m, k, 0);        // op(A)^T as (k, m)
        float[] cT = scratch(1, n * m);
        for (int j = 0; j < n; j++) {
            int cj = j * m;
            java.util.Arrays.fill(cT, cj, cj + m, 0f);
            int p = 0;
            // four rows of op(A)^T per pass over the row of cT: one load and store of cT per four
            // multiply-adds instead of per one (the loop is bound by those, not by the arithmetic)
            for (; p + 4 <= k; p += 4) {
                float b0 = alpha * bAt(transB, b, j, p, n, k);
                float b1 = alpha * bAt(transB, b, j, p + 1, n, k);
                float b2 = alpha * bAt(transB, b, j, p + 2, n, k);
                float b3 = alpha * bAt(transB, b, j, p + 3, n, k);
                int a0 = p * m;
                int a1 = a0 + m;
                int a2 = a1 + m;
                int a3 = a2 + m;
                for (int i = 0; i < m; i++) {
                    cT[cj + i] += b0 * aT[a0 + i] + b1 * aT[a1 + i] + b2 * aT[a2 + i] + b3 * aT[a3 + i];
                }
            }
            for (; p < k; p++) {
                float bv = alpha * bAt(transB, b, j, p, n, k);
                int ap = p * m;
                for (int i = 0; i < m; i++) {
                    cT[cj + i] += bv * aT[ap + i];
                }
            }
        }
        for (int i = 0; i < m; i++) {
            int ci = i * n;
            for (int j = 0; j < n; j++) {
                c[ci + j] = (beta == 0 ? 0f : beta * c[ci + j]) + cT[j * m + i];
            }
        }
    }

    /** op(B)[p, j]: B is (k, n), or (n, k) where transposed. */
    private static float bAt(boolean transB, float[] b, int j, int p, int n, int k) {
        return transB ? b[j * k + p] : b[p * n + j];
    }

    /** src (rows, cols) as (cols, rows), in this thread's scratch slot. */
    private static float[] transposed(float[] src, int rows, int cols, int slot) {
        float[] t = scratch(slot, rows * cols);
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < cols; q++) {
                t[q * rows + r] = src[r * cols + q];
            }
        }
        return t;
    }

    private static float[] scratch(int slot, int n) {
        float[][] s = SCRATCH.get();
        if (s[slot].length < n) {
            s[slot] = new float[n];
        }
        return s[slot];
    }
}

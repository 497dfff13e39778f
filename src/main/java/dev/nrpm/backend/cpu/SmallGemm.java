package dev.nrpm.backend.cpu;

/**
 * C (m, n) = alpha op(A) op(B) + beta C, row-major, for products too small for a native call to
 * pay (Nd4jOps.SMALL_GEMM_MACS): rows of C accumulate alpha A[i, p] times rows of op(B), a loop C2
 * vectorizes. op(B) = B^T is first copied out as (k, n) so that its rows are contiguous.
 */
final class SmallGemm {
    private static final ThreadLocal<float[][]> TRANSPOSED = ThreadLocal.withInitial(() -> new float[1][]);

    private SmallGemm() {
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, float[] b,
                     float beta, float[] c) {
        float[] bRows = transB ? transposed(b, n, k) : b;     // (k, n)
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

    /** src (rows, cols) as (cols, rows), in a per-thread buffer. */
    private static float[] transposed(float[] src, int rows, int cols) {
        float[][] holder = TRANSPOSED.get();
        if (holder[0] == null || holder[0].length < rows * cols) {
            holder[0] = new float[rows * cols];
        }
        float[] t = holder[0];
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < cols; q++) {
                t[q * rows + r] = src[r * cols + q];
            }
        }
        return t;
    }
}

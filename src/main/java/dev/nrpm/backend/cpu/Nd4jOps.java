package dev.nrpm.backend.cpu;

import dev.nrpm.error.BackendException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What ND4J does well for us: the matrix product (OpenBLAS SGEMM). Data is copied between our heap
 * arrays and reusable off-heap buffers on each call; that is O(inputs + outputs), small next to the
 * O(m n k) work. Convolutions: {@link DnnlConv}.
 */
final class Nd4jOps {
    private Nd4jOps() {
    }

    /** Loads the native library and runs one op; throws if ND4J cannot work here. */
    static void probe() {
        INDArray a = Nd4j.create(new float[] {1, 2, 3, 4}, new long[] {2, 2}, 'c');
        INDArray c = Nd4j.gemm(a, a, false, false);
        if (c.getFloat(0, 0) != 7f) {
            throw new BackendException("ND4J self-check failed: 2x2 product gave " + c);
        }
    }

    /**
     * Products of at most this many multiply-adds run in Java ({@link SmallGemm}): below it the
     * native call and the copies cost more than the arithmetic (a 64 -> 10 dense layer at batch 128
     * is 82k).
     */
    static final long SMALL_GEMM_MACS = 1L << 17;

    /** Per thread: the A, B, C operands' off-heap arrays, grown as needed and reused. */
    private static final ThreadLocal<INDArray[]> SCRATCH = ThreadLocal.withInitial(() -> new INDArray[3]);

    /**
     * A c-order (rows, cols) array over scratch slot's reusable off-heap memory, holding data's
     * first rows * cols values when data is given. A bulk put into an existing array costs about
     * 1/30 of creating one from a float[] (bench/RESULTS.md, "CPU: LPM convolutions on oneDNN").
     */
    private static INDArray scratch(int slot, float[] data, long rows, long cols) {
        INDArray[] s = SCRATCH.get();
        long n = rows * cols;
        if (s[slot] == null || s[slot].length() < n) {
            s[slot] = Nd4j.createUninitialized(DataType.FLOAT, Math.max(n, 1024));
        }
        INDArray a = Nd4j.create(s[slot].data(), new long[] {rows, cols}, new long[] {cols, 1}, 0, 'c');
        if (data != null) {
            a.data().asNioFloat().put(data, 0, (int) n);
        }
        return a;
    }

    private static void copyOut(INDArray src, float[] dst, int n) {
        src.data().asNioFloat().get(dst, 0, n);
    }

    /** C (m, n) = alpha op(A) op(B) + beta C, row-major. */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, float[] b, float beta, float[] c) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m * n; i++) {
                c[i] = beta == 0 ? 0f : beta * c[i];
            }
            return;
        }
        if ((long) m * n * k <= SMALL_GEMM_MACS) {
            SmallGemm.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
            return;
        }
        INDArray am = transA ? scratch(0, a, k, m) : scratch(0, a, m, k);
        INDArray bm = transB ? scratch(1, b, n, k) : scratch(1, b, k, n);
        INDArray cm = scratch(2, beta == 0 ? null : c, m, n);
        Nd4j.gemm(am, bm, cm, transA, transB, alpha, beta);
        copyOut(cm, c, m * n);
    }
}

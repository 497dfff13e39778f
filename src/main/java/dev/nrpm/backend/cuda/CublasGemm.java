package dev.nrpm.backend.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;

/**
 * Dense LPM through cuBLAS, where libcublas.so.12 and JCublas's natives load; everything else (and
 * dense LPM elsewhere) runs on our kernels. cuBLAS is column-major: a row-major C = op(A) op(B) is
 * the column-major C^T = op(B)^T op(A)^T, so the operands swap and no data moves.
 */
final class CublasGemm {
    private final cublasHandle handle = new cublasHandle();

    /** Throws (LinkageError, CudaException) where cuBLAS cannot be used; the caller falls back. */
    CublasGemm() {
        JCublas2.setExceptionsEnabled(true);
        JCublas2.cublasCreate(handle);
    }

    /** As Backend.gemm, on device pointers; beta == 0 never reads C (cuBLAS's own rule). */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Pointer a, Pointer b, float beta,
              Pointer c) {
        int opB = transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opA = transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int ldb = transB ? k : n;
        int lda = transA ? m : k;
        JCublas2.cublasSgemm(handle, opB, opA, n, m, k, Pointer.to(new float[] {alpha}), b, ldb, a, lda,
                Pointer.to(new float[] {beta}), c, n);
    }

    void close() {
        JCublas2.cublasDestroy(handle);
    }
}

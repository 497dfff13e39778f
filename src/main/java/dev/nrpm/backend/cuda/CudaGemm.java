package dev.nrpm.backend.cuda;

import static dev.nrpm.backend.cuda.Launcher.tiles;

import dev.nrpm.backend.Buffer;

/** The dense matrix product (kernels/gemm.cu), or the vendor's where the device offers one. */
final class CudaGemm {
    private final Launcher l;

    CudaGemm(Launcher launcher) {
        this.l = launcher;
    }

    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buffer a, Buffer b, float beta,
              Buffer c) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k > 0 && l.device.vendorGemm(transA, transB, m, n, k, alpha, l.p(a), l.p(b), beta, l.p(c))) {
            return;
        }
        l.launch2d("gemm", tiles(n), tiles(m), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, l.p(a), l.p(b),
                beta, l.p(c));
    }
}

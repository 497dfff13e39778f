// fake_libcublas.cpp: a stand-in for cuBLAS 12 (libcublas.so.12) next to fake_libcuda.cpp, so the
// tests can run CublasGemm -- JCublas's JNI library and our row-major to column-major operand
// mapping -- without a GPU. Only what CublasGemm calls: handles and cublasSgemm_v2, computed on the
// CPU by the BLAS definition (column-major, op(A) m x k, op(B) k x n, host-side alpha and beta, C
// not read when beta is 0), with cuBLAS's argument checks (leading dimensions) and a check that
// each matrix lies inside one live allocation of the fake driver. A test tool, never shipped.
#include <cstddef>
#include <cstdio>
#include <vector>

#define API extern "C" __attribute__((visibility("default")))

typedef int cublasStatus_t;
enum : cublasStatus_t {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
};
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };

// from fake_libcuda.cpp: whether [p, p + bytes) lies inside one live allocation
extern "C" int fake_cuda_inside(unsigned long long p, size_t bytes);

namespace {
struct Handle { int magic = 0x0b1a5; };

bool valid(void* h) { return h && static_cast<Handle*>(h)->magic == 0x0b1a5; }

// Floats a column-major rows x cols matrix with leading dimension ld spans.
size_t extent(int rows, int cols, int ld) { return rows == 0 || cols == 0 ? 0 : (size_t)ld * (cols - 1) + rows; }
}  // namespace

API cublasStatus_t cublasCreate_v2(void** handle) {
    if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
    *handle = new Handle();
    return CUBLAS_STATUS_SUCCESS;
}

API cublasStatus_t cublasDestroy_v2(void* handle) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    static_cast<Handle*>(handle)->magic = 0;
    delete static_cast<Handle*>(handle);
    return CUBLAS_STATUS_SUCCESS;
}

API cublasStatus_t cublasGetVersion_v2(void* handle, int* version) {
    if (!valid(handle) || !version) return CUBLAS_STATUS_INVALID_VALUE;
    *version = 120000;
    return CUBLAS_STATUS_SUCCESS;
}

API cublasStatus_t cublasSgemm_v2(void* handle, int transa, int transb, int m, int n, int k, const float* alpha,
                                  const float* A, int lda, const float* B, int ldb, const float* beta, float* C,
                                  int ldc) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    const bool ta = transa == CUBLAS_OP_T, tb = transb == CUBLAS_OP_T;
    if ((transa != CUBLAS_OP_N && !ta) || (transb != CUBLAS_OP_N && !tb) || m < 0 || n < 0 || k < 0 ||
        lda < (ta ? k : m) || lda < 1 || ldb < (tb ? n : k) || ldb < 1 || ldc < m || ldc < 1 || !alpha || !beta) {
        std::fprintf(stderr, "[fake libcublas] cublasSgemm: invalid arguments (m %d n %d k %d lda %d ldb %d ldc %d)\n",
                     m, n, k, lda, ldb, ldc);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    // stored shapes: A is m x k (k x m when transposed), B is k x n (n x k), C is m x n
    const size_t a = extent(ta ? k : m, ta ? m : k, lda), b = extent(tb ? n : k, tb ? k : n, ldb),
                 c = extent(m, n, ldc);
    if ((a && !fake_cuda_inside((unsigned long long)A, 4 * a)) || (b && !fake_cuda_inside((unsigned long long)B, 4 * b)) ||
        (c && !fake_cuda_inside((unsigned long long)C, 4 * c))) {
        std::fprintf(stderr, "[fake libcublas] cublasSgemm: a matrix runs past its allocation\n");
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    const float al = *alpha, be = *beta;
    std::vector<double> col(m);
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) col[i] = 0.0;
        for (int p = 0; p < k; p++) {
            const float bpj = tb ? B[j + (size_t)p * ldb] : B[p + (size_t)j * ldb];
            for (int i = 0; i < m; i++) col[i] += (double)(ta ? A[p + (size_t)i * lda] : A[i + (size_t)p * lda]) * bpj;
        }
        for (int i = 0; i < m; i++) {
            float& out = C[i + (size_t)j * ldc];
            out = be == 0.0f ? (float)(al * col[i]) : (float)(al * col[i] + (double)be * out);
        }
    }
    return CUBLAS_STATUS_SUCCESS;
}

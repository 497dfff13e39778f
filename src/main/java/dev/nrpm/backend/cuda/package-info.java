/**
 * The CUDA backend: every {@link dev.nrpm.backend.Backend} primitive on our own kernels from
 * kernels/ (compiled by nvcc into fatbins the jar carries), launched through JCuda's driver API.
 *
 * <p>{@link dev.nrpm.backend.cuda.CudaBackend} turns primitives into kernel launches on a
 * {@link dev.nrpm.backend.cuda.Device}; {@link dev.nrpm.backend.cuda.JCudaDevice} is the real GPU.
 * The Device seam exists so the test suite can run the same backend code and the same kernel
 * sources on a CPU emulation of CUDA (kernels/emu) where no GPU is present. All JCuda calls live
 * in this package; nothing here touches ND4J, so a GPU bundle ships without it.
 */
package dev.nrpm.backend.cuda;

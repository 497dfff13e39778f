/**
 * The CPU backend: float32 arrays on the heap, ND4J for matrix products and convolutions
 * (oneDNN's where the CPU has AVX2: {@link dev.nrpm.backend.cpu.Nd4jNatives} picks ND4J's native
 * build, {@link dev.nrpm.backend.cpu.CpuBackend} which convolution path each op takes), hand-written
 * multi-threaded Java loops for everything else, and the fused NRPM kernels, which vectorize across
 * output units. The only package that imports ND4J.
 */
package dev.nrpm.backend.cpu;

/**
 * The CPU backend: float32 arrays on the heap (with a native mirror where oneDNN reads or writes a
 * buffer: {@link dev.nrpm.backend.cpu.CpuBuffer}), ND4J (OpenBLAS) for matrix products, oneDNN for LPM
 * convolutions ({@link dev.nrpm.backend.cpu.DnnlConv}; {@link dev.nrpm.backend.cpu.CpuBackend} says
 * which convolution path each op takes), hand-written multi-threaded Java loops for everything else,
 * and the fused NRPM kernels, which vectorize across output units. The only package that imports
 * ND4J or oneDNN.
 */
package dev.nrpm.backend.cpu;

/**
 * The CPU backend: float32 arrays on the heap, ND4J (OpenBLAS) for matrix products and
 * convolutions, hand-written multi-threaded Java loops for everything else, and the fused NRPM
 * kernels, which vectorize across output units. The only package that imports ND4J.
 */
package dev.nrpm.backend.cpu;

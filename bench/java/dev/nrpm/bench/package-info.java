/**
 * Benchmarks and the tools around them: JMH benchmarks of the CPU kernels (NRPM against LPM, fused
 * against materialized) and of training steps, the GPU benchmarks the bundle runs on a device
 * (bench/gpu/README.md) with their memory accounting, and the plot of the CIFAR-10 lambda sweep.
 * Figures and the commands that produce them: bench/RESULTS.md.
 */
package dev.nrpm.bench;

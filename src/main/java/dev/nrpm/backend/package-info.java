/**
 * The contract between the runtime and the hardware: {@link dev.nrpm.backend.Backend} (buffers and
 * the ops that MLP, LeNet, ResNet-18, NRPM, the attacks and training call), its implementations
 * found by {@link dev.nrpm.backend.Backends} through {@link dev.nrpm.backend.BackendProvider}s
 * (reference in float64, cpu, cuda; ND4J and JCuda stay inside theirs), the geometry records the
 * conv and pooling ops share, {@link dev.nrpm.backend.MemoryScope} for releasing buffers by scope,
 * and {@link dev.nrpm.backend.CounterRng}, the counter-based random numbers every backend draws the
 * same.
 */
package dev.nrpm.backend;

/**
 * What every file format here shares: host tensors ({@link dev.nrpm.io.HostTensor}, with their
 * {@link dev.nrpm.io.DType}s and half-float conversions), the one typed error for a bad file
 * ({@link dev.nrpm.io.CheckpointException}, a one-line message naming the file and the entry or key
 * at fault, values quoted with bounded length) and atomic writes ({@link dev.nrpm.io.AtomicFile}).
 * The formats live in the subpackages: {@code torch} reads PyTorch checkpoints, {@code safetensors}
 * reads and writes the safetensors layout, {@code checkpoint} binds state dicts to modules and is
 * this engine's own checkpoint format. Everything read lands first in host memory, so none of them
 * needs a backend or a native library.
 */
package dev.nrpm.io;

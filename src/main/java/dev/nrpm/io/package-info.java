/**
 * Checkpoint I/O: reading PyTorch checkpoints ({@link dev.nrpm.io.TorchReader}, zip and legacy
 * formats, through a restricted unpickler that never runs code from the file), mapping their state
 * dicts onto our modules ({@link dev.nrpm.io.StateDictLoader}), and our own checkpoints in the
 * safetensors layout ({@link dev.nrpm.io.CheckpointWriter}, {@link dev.nrpm.io.ModelCheckpoint}),
 * written atomically.
 *
 * <p>Everything read from a file lands first in host memory as {@link dev.nrpm.io.HostTensor}s, so
 * this package needs no backend and no native library; only {@link dev.nrpm.io.StateDictLoader}
 * touches a module's tensors. Every problem with a file is a {@link dev.nrpm.io.CheckpointException}
 * whose one-line message names the file (and the entry or key at fault).
 */
package dev.nrpm.io;

/**
 * Binding files to models: PyTorch state dicts mapped onto our modules with the paper code's
 * naming conventions ({@link dev.nrpm.io.checkpoint.StateDictLoader}), and this engine's own
 * checkpoints ({@link dev.nrpm.io.checkpoint.CheckpointWriter}, {@link dev.nrpm.io.checkpoint.ModelCheckpoint}):
 * safetensors with the architecture, per-layer pattern matching, optimizer state and run metadata.
 * Only this package touches a module's tensors.
 */
package dev.nrpm.io.checkpoint;

/**
 * Reading PyTorch checkpoints, zip and legacy formats ({@link dev.nrpm.io.torch.TorchReader}),
 * through a restricted unpickler that never runs code from the file and admits only the globals a
 * state dict needs; tensors are gathered from their storages within a byte bound that the target
 * model's size sets, so a small hostile file cannot make the loader allocate gigabytes.
 */
package dev.nrpm.io.torch;

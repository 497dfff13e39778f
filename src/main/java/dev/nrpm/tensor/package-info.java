/**
 * Tensors and their reverse-mode autodiff, micrograd style: a {@link dev.nrpm.tensor.Tensor} is a
 * shaped array in a backend's memory; an op records a node (its inputs and backward rule) on its
 * output ({@link dev.nrpm.tensor.Autograd#record}); backward() sweeps the
 * graph in reverse topological order; {@link dev.nrpm.tensor.GradMode} turns recording off.
 * One package, because a tensor and the node that made it refer to each other.
 */
package dev.nrpm.tensor;

/** Tensors: shaped arrays in a backend's memory, with gradients. */
package dev.nrpm.tensor;

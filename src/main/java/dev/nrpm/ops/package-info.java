/**
 * Differentiable operations, one class each with its forward and backward together, written in
 * terms of the backend primitives. {@link dev.nrpm.ops.Ops} gathers them.
 */
package dev.nrpm.ops;

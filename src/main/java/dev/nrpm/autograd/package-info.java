/** Reverse-mode autodiff: nodes with backward closures, a topological sweep, grad mode. */
package dev.nrpm.autograd;

/**
 * White-box attacks (FGSM, PGD in L-inf and L2, Gaussian noise) written with backend primitives,
 * so they run on any backend, gradients going through the full NRPM computation.
 */
package dev.nrpm.attack;

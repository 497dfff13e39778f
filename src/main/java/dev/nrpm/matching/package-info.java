/**
 * Pattern matching as a layer property: LPM or NRPM (K reweighting steps, eps, a weight function)
 * mixed with a per-layer lambda. See ../shared/NRPM.md for the method.
 */
package dev.nrpm.matching;

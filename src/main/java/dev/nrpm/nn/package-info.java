/**
 * Layers and containers with named parameters (PyTorch state-dict names). Dense and conv layers
 * are {@link dev.nrpm.nn.MatchingLayer}s whose pattern matching (LPM or NRPM) is a property.
 */
package dev.nrpm.nn;

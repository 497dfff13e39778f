/** Typed errors: each names the layer, file or argument at fault so that users never need a stack trace. */
package dev.nrpm.error;

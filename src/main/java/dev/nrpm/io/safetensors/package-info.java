/**
 * The safetensors layout: a strict reader that validates the header against the file (lengths,
 * dtypes, byte ranges that tile the data exactly) and lets a caller check the header before any
 * tensor data is read, and a writer that streams tensors to an atomic file.
 */
package dev.nrpm.io.safetensors;

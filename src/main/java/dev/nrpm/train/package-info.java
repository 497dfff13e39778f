/** Training and reprogramming: SGD loops over batches, clean or adversarial, and the three paradigms. */
package dev.nrpm.train;

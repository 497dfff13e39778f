/** Optimizers and learning-rate schedules. */
package dev.nrpm.optim;

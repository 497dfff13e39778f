/** Robustness evaluation: accuracy under attack at several budgets, per model configuration. */
package dev.nrpm.eval;

/**
 * Robustness evaluation: accuracy under attack at several budgets, per model configuration, run
 * whole or in shards that merge to the same numbers ({@link dev.nrpm.eval.EvaluationJob} is what a
 * distributed runner such as dev.nrpm.spark receives).
 */
package dev.nrpm.eval;

/**
 * What users see after an evaluation: {@link dev.nrpm.report.TableReport} (an aligned text table
 * for the terminal), {@link dev.nrpm.report.JsonReport} (the JSON contract that scripts read),
 * {@link dev.nrpm.report.CsvReport} (one row per configuration and budget),
 * {@link dev.nrpm.report.CurvePlot} (a PNG of the robustness curves), and
 * {@link dev.nrpm.report.Progress} (progress bars that only a terminal ever sees).
 *
 * <p>All of them read a {@link dev.nrpm.eval.EvalReport} and first check the invariants the formats
 * rely on (every curve over the same budgets and n, distinct labels, counts within [0, n]). Files
 * are written through {@link dev.nrpm.io.AtomicFile}: complete or not at all, parent
 * directories created. Every failure is a {@link dev.nrpm.report.ReportException} naming the file
 * or curve. Nothing here touches tensors, backends or a display: charts render headless.
 */
package dev.nrpm.report;

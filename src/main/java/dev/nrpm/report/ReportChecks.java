package dev.nrpm.report;

import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The invariants every report format relies on, checked once before anything is rendered or a
 * file is touched: the table has one column per budget and the JSON one top-level "budgets" and
 * "n", so every curve must share them; a chart needs distinct series names; JSON has no NaN.
 * EvalReport documents these but does not enforce them, and an evaluator bug should surface as a
 * clear error here rather than as a misaligned table or an accuracy of 130%.
 */
final class ReportChecks {
    private ReportChecks() {
    }

    static void require(EvalReport report) {
        if (report == null) {
            throw new ReportException("no evaluation report (null)");
        }
        if (report.curves().isEmpty()) {
            throw new ReportException("nothing to report: the evaluation of " + report.model() + " has no curves");
        }
        if (!Double.isFinite(report.seconds()) || report.seconds() < 0) {
            throw new ReportException("evaluation time " + report.seconds() + " s is not a finite, non-negative number");
        }
        RobustnessCurve first = report.curves().get(0);
        if (first.budgets().length == 0) {
            throw new ReportException("nothing to report: curve '" + first.label() + "' has no budgets");
        }
        Set<String> labels = new HashSet<>();
        for (RobustnessCurve c : report.curves()) {
            if (c.label() == null || c.label().isBlank()) {
                throw new ReportException("a curve has no label (" + c + "); labels name the rows, series and configurations");
            }
            String name = "curve '" + c.label() + "'";
            if (!labels.add(c.label())) {
                throw new ReportException(name + " appears twice; labels must tell the configurations apart");
            }
            if (!Arrays.equals(c.budgets(), first.budgets())) {
                throw new ReportException(name + " has budgets " + Arrays.toString(c.budgets()) + " but curve '"
                        + first.label() + "' has " + Arrays.toString(first.budgets()) + "; every curve must share the budgets");
            }
            if (c.n() <= 0) {
                throw new ReportException(name + " has n = " + c.n() + "; an evaluation needs at least one sample");
            }
            if (c.n() != first.n()) {
                throw new ReportException(name + " has n = " + c.n() + " but curve '" + first.label() + "' has n = "
                        + first.n() + "; every curve must be evaluated on the same samples");
            }
            double[] budgets = c.budgets();
            long[] correct = c.correct();
            for (int i = 0; i < budgets.length; i++) {
                if (!Double.isFinite(budgets[i])) {
                    throw new ReportException(name + ": budget " + budgets[i] + " is not a finite number");
                }
                if (correct[i] < 0 || correct[i] > c.n()) {
                    throw new ReportException(name + ": correct = " + correct[i] + " at budget " + budgets[i]
                            + " is outside [0, n = " + c.n() + "]");
                }
            }
        }
    }
}

package dev.nrpm.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Robust accuracy of one model configuration at each attack budget: correct[i] of n samples were
 * classified correctly both clean and under the attack at budgets[i].
 *
 * @param label      a short name for the configuration ("LPM", "NRPM K=3 lambda=0.3")
 * @param pm         the pattern-matching setting as plain values (written into JSON reports)
 * @param breakdowns per attacked budget, what each attack member did (empty where not recorded)
 * @param findings   what the masking checks saw
 * @param sampleIds  each sample's index in its dataset file (null where not recorded)
 */
public record RobustnessCurve(String label, double[] budgets, long[] correct, long n, Map<String, Object> pm,
                              List<AttackBreakdown> breakdowns, List<Finding> findings, long[] sampleIds) {

    public RobustnessCurve {
        if (budgets.length != correct.length) {
            throw new IllegalArgumentException(budgets.length + " budgets but " + correct.length + " counts");
        }
        budgets = budgets.clone();
        correct = correct.clone();
        pm = pm == null ? Map.of() : new LinkedHashMap<>(pm);
        breakdowns = breakdowns == null ? List.of() : List.copyOf(breakdowns);
        findings = findings == null ? List.of() : List.copyOf(findings);
        sampleIds = sampleIds == null ? null : sampleIds.clone();
    }

    /** Counts only, no attack details. */
    public RobustnessCurve(String label, double[] budgets, long[] correct, long n, Map<String, Object> pm) {
        this(label, budgets, correct, n, pm, null, null, null);
    }

    /** The breakdown at budget b, or null. */
    public AttackBreakdown breakdown(double b) {
        for (AttackBreakdown a : breakdowns) {
            if (a.budget() == b) {
                return a;
            }
        }
        return null;
    }

    /** Fraction of samples robust at budget index i. */
    public double accuracy(int i) {
        return n == 0 ? 0 : (double) correct[i] / n;
    }

    public double[] accuracies() {
        double[] a = new double[correct.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = accuracy(i);
        }
        return a;
    }

    @Override
    public String toString() {
        return label + " " + Arrays.toString(accuracies());
    }
}

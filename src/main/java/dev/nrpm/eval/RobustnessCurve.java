package dev.nrpm.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Robust accuracy of one model configuration at each attack budget: correct[i] of n samples were
 * classified correctly both clean and under the attack at budgets[i].
 *
 * @param label a short name for the configuration ("LPM", "NRPM K=3 lambda=0.3")
 * @param pm    the pattern-matching setting as plain values (written into JSON reports)
 */
public record RobustnessCurve(String label, double[] budgets, long[] correct, long n, Map<String, Object> pm) {

    public RobustnessCurve {
        if (budgets.length != correct.length) {
            throw new IllegalArgumentException(budgets.length + " budgets but " + correct.length + " counts");
        }
        budgets = budgets.clone();
        correct = correct.clone();
        pm = pm == null ? Map.of() : new LinkedHashMap<>(pm);
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

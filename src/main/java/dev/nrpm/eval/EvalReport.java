package dev.nrpm.eval;

import java.util.List;

/**
 * One evaluation run: what was evaluated (model, weights, data, attack, device), how long it took,
 * and one robustness curve per configuration, all over the same budgets.
 */
public record EvalReport(String model, String weights, String data, String attack, String device, double seconds,
                         List<RobustnessCurve> curves) {

    public EvalReport {
        curves = List.copyOf(curves);
    }

    /** The number of evaluated samples (the same for every curve). */
    public long n() {
        return curves.isEmpty() ? 0 : curves.get(0).n();
    }

    public double[] budgets() {
        return curves.isEmpty() ? new double[0] : curves.get(0).budgets();
    }
}

package dev.nrpm.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One evaluation run: what was evaluated (model, weights, data, attack, device), how long it took,
 * and one robustness curve per configuration, all over the same budgets.
 *
 * @param budgetTitle what the budgets measure ("L-inf epsilon"), null where unknown
 * @param attackInfo  the attack's settings as plain values (name, norm, iterations...), may be empty
 * @param seed        the evaluation's seed, null where not recorded
 */
public record EvalReport(String model, String weights, String data, String attack, String device, double seconds,
                         List<RobustnessCurve> curves, String budgetTitle, Map<String, Object> attackInfo, Long seed) {

    public EvalReport {
        curves = List.copyOf(curves);
        attackInfo = attackInfo == null ? Map.of() : new LinkedHashMap<>(attackInfo);
    }

    public EvalReport(String model, String weights, String data, String attack, String device, double seconds,
                      List<RobustnessCurve> curves) {
        this(model, weights, data, attack, device, seconds, curves, null, null, null);
    }

    /** The number of evaluated samples (the same for every curve). */
    public long n() {
        return curves.isEmpty() ? 0 : curves.get(0).n();
    }

    public double[] budgets() {
        return curves.isEmpty() ? new double[0] : curves.get(0).budgets();
    }
}

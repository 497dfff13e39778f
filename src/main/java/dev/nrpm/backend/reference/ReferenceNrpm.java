package dev.nrpm.backend.reference;

import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.WeightFunction;

/**
 * NRPM in float64, materialized the way NRPM.md section 5 describes the public code: the whole
 * (rows, O, D) tensor of terms t = w[o, d] * x[row, d] is built first, then each step reweights it.
 * Dense layers call this with rows = batch; conv layers with rows = batch * pixels on unfolded
 * patches. The backward follows NRPM.md section 4 step by step, keeping every weight it needs.
 */
final class ReferenceNrpm {
    private ReferenceNrpm() {
    }

    /**
     * x (rows, D), w (O, D), z0 (rows, O). Writes zK (rows, O) = z(K) and, when state is not null,
     * the per-output state planes of {@link NrpmSpec} for N = rows * O outputs.
     */
    static void forward(NrpmSpec spec, int rows, int d, int o, double[] x, double[] w, double[] z0,
                        double[] zK, double[] state) {
        int k = spec.k();
        long n = (long) rows * o;
        double[] terms = new double[Math.toIntExact((long) rows * o * d)];   // (rows, O, D)
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < o; j++) {
                for (int i = 0; i < d; i++) {
                    terms[(r * o + j) * d + i] = w[j * d + i] * x[r * d + i];
                }
            }
        }
        double[] weights = new double[d];
        for (int out = 0; out < n; out++) {
            int base = out * d;
            double z = z0[out];
            if (state != null) {
                state[out] = z;
            }
            for (int step = 0; step < k; step++) {
                double s0 = 0;
                double s1 = 0;
                for (int i = 0; i < d; i++) {
                    double t = terms[base + i];
                    weights[i] = weight(spec, t - z / d);
                    s0 += weights[i];
                    s1 += weights[i] * t;
                }
                double next = d * s1 / s0;
                if (state != null) {
                    double a = 0;
                    for (int i = 0; i < d; i++) {
                        double t = terms[base + i];
                        a += (d * t - next) / s0 * derivative(spec, t - z / d);
                    }
                    state[(int) ((step + 1) * n + out)] = next;
                    state[(int) ((k + 1 + step) * n + out)] = s0;
                    state[(int) ((2 * k + 1 + step) * n + out)] = a;
                }
                z = next;
            }
            zK[out] = z;
        }
    }

    /**
     * Backward of {@link #forward}: gzK (rows, O) = dL/dz(K). Adds the gradients through the
     * reweighting steps into gx (rows, D) and gw (O, D) (either may be null) and writes gz0Chain
     * (rows, O), the part of dL/dz0 that flows back through the steps.
     */
    static void backward(NrpmSpec spec, int rows, int d, int o, double[] x, double[] w, double[] state,
                         double[] gzK, double[] gx, double[] gw, double[] gz0Chain) {
        int k = spec.k();
        int n = rows * o;
        double[] gz = new double[k + 1];
        for (int out = 0; out < n; out++) {
            int r = out / o;
            int j = out % o;
            gz[k] = gzK[out];
            for (int step = k - 1; step >= 0; step--) {
                double a = state[(2 * k + 1 + step) * n + out];
                gz[step] = gz[step + 1] * a * (-1.0 / d);
            }
            gz0Chain[out] = gz[0];
            if (k == 0) {
                continue;
            }
            for (int i = 0; i < d; i++) {
                double t = w[j * d + i] * x[r * d + i];
                double gt = 0;
                for (int step = 0; step < k; step++) {
                    double z = state[step * n + out];
                    double next = state[(step + 1) * n + out];
                    double s0 = state[(k + 1 + step) * n + out];
                    double res = t - z / d;
                    gt += gz[step + 1] * (d * weight(spec, res) / s0 + (d * t - next) / s0 * derivative(spec, res));
                }
                if (gx != null) {
                    gx[r * d + i] += gt * w[j * d + i];
                }
                if (gw != null) {
                    gw[j * d + i] += gt * x[r * d + i];
                }
            }
        }
    }

    private static double weight(NrpmSpec s, double r) {
        WeightFunction f = s.function();
        return f.weight(r, s.eps(), s.gamma(), s.delta());
    }

    private static double derivative(NrpmSpec s, double r) {
        WeightFunction f = s.function();
        return f.derivative(r, s.eps(), s.gamma(), s.delta());
    }
}

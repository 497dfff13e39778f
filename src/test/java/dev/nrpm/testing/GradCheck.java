package dev.nrpm.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.backend.Backend;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;
import java.util.function.Function;

/**
 * Finite-difference gradient check in float64 on the reference backend: the loss is
 * sum(f(inputs) * R) for a fixed random R, so every output element matters; each checked input
 * element is perturbed by +-h and the central difference compared with the backward pass.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * @param values   the inputs' values; every input gets a gradient check
     * @param shapes   their shapes
     * @param f        builds the output from tensors made of those values
     * @param maxPerInput  at most this many elements of each input are checked (chosen at random)
     */
    public static void check(String what, TestRandom rnd, Backend ref, double[][] values, int[][] shapes,
                             Function<Tensor[], Tensor> f, int maxPerInput, double tol) {
        Tensor[] inputs = new Tensor[values.length];
        for (int i = 0; i < values.length; i++) {
            inputs[i] = Tensor.of(ref, values[i], shapes[i]).requiresGrad(true);
        }
        Tensor out = f.apply(inputs);
        double[] weights = new double[(int) out.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = rnd.gaussian();
        }
        Tensor r = Tensor.of(ref, weights, out.shape());
        Ops.sum(Ops.mul(out, r)).backward();
        for (int i = 0; i < values.length; i++) {
            Tensor grad = inputs[i].grad();
            assertNotNull(grad, what + ": input " + i + " received no gradient (" + rnd.tag() + ")");
            double[] analytic = grad.toDoubleArray();
            int n = values[i].length;
            int checks = Math.min(n, maxPerInput);
            for (int c = 0; c < checks; c++) {
                int j = checks == n ? c : rnd.between(0, n - 1);
                double numeric = numeric(ref, values, shapes, f, weights, i, j, analytic[j], tol);
                double scale = Math.max(1.0, Math.max(Math.abs(numeric), Math.abs(analytic[j])));
                if (!(Math.abs(numeric - analytic[j]) <= tol * scale)) {
                    fail(what + ": d loss / d input" + i + "[" + j + "] analytic " + analytic[j] + ", numeric "
                            + numeric + " (" + rnd.tag() + ")");
                }
            }
        }
    }

    /**
     * The central difference with h = 1e-6 (relative), or with a smaller h when a kink lies within h
     * of the point: the clamped weight functions (Huber, MCP, HM) have derivative jumps, and a
     * central difference across one averages two slopes. A kink shows as forward and backward
     * one-sided slopes that disagree; only then is h shrunk (to 1e-7, 1e-8), so a wrong analytic
     * gradient at a smooth point still fails.
     */
    private static double numeric(Backend ref, double[][] values, int[][] shapes, Function<Tensor[], Tensor> f,
                                  double[] weights, int i, int j, double analytic, double tol) {
        double numeric = Double.NaN;
        for (double rel : new double[] {1e-6, 1e-7, 1e-8}) {
            double h = rel * Math.max(1.0, Math.abs(values[i][j]));
            double plus = lossWith(ref, values, shapes, f, weights, i, j, +h);
            double minus = lossWith(ref, values, shapes, f, weights, i, j, -h);
            numeric = (plus - minus) / (2 * h);
            double scale = Math.max(1.0, Math.max(Math.abs(numeric), Math.abs(analytic)));
            if (Math.abs(numeric - analytic) <= tol * scale) {
                return numeric;
            }
            double center = lossWith(ref, values, shapes, f, weights, i, j, 0);
            double forward = (plus - center) / h;
            double backward = (center - minus) / h;
            if (Math.abs(forward - backward) <= tol * scale) {
                return numeric;          // smooth here: the mismatch is real
            }
        }
        return numeric;
    }

    private static double lossWith(Backend ref, double[][] values, int[][] shapes, Function<Tensor[], Tensor> f,
                                   double[] weights, int which, int index, double delta) {
        try (GradMode.Guard g = GradMode.noGrad()) {
            Tensor[] inputs = new Tensor[values.length];
            for (int i = 0; i < values.length; i++) {
                double[] v = values[i].clone();
                if (i == which) {
                    v[index] += delta;
                }
                inputs[i] = Tensor.of(ref, v, shapes[i]);
            }
            double[] out = f.apply(inputs).toDoubleArray();
            double s = 0;
            for (int k = 0; k < out.length; k++) {
                s += out[k] * weights[k];
            }
            return s;
        }
    }

    public static double[] gaussian(TestRandom rnd, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.gaussian() * scale;
        }
        return v;
    }
}

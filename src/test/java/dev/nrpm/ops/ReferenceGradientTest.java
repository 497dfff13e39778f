package dev.nrpm.ops;

import static dev.nrpm.testing.GradCheck.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nrpm.backend.Backend;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.WeightFunction;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.GradCheck;
import dev.nrpm.testing.TestRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every differentiable op's backward rule against central finite differences, in float64 on the
 * reference backend, on fresh random shapes and values. The fast backends are then checked against
 * these rules in the conformance tests.
 */
class ReferenceGradientTest {
    private static final double TOL = 1e-5;
    private final Backend ref = TestBackends.reference();
    private final TestRandom rnd = new TestRandom();

    @RepeatedTest(3)
    void dense() {
        int b = rnd.between(1, 4);
        int d = rnd.between(1, 7);
        int o = rnd.between(1, 5);
        GradCheck.check("dense", rnd, ref,
                new double[][] {gaussian(rnd, b * d, 1), gaussian(rnd, o * d, 1), gaussian(rnd, o, 1)},
                new int[][] {{b, d}, {o, d}, {o}},
                t -> Ops.dense(t[0], t[1], t[2]), 40, TOL);
    }

    @RepeatedTest(3)
    void conv2d() {
        int b = rnd.between(1, 2);
        int c = rnd.between(1, 3);
        int h = rnd.between(3, 7);
        int w = rnd.between(3, 7);
        int o = rnd.between(1, 3);
        int k = rnd.between(1, 3);
        int stride = rnd.between(1, 2);
        int pad = rnd.between(0, k / 2 + 1);
        GradCheck.check("conv2d k" + k + " s" + stride + " p" + pad, rnd, ref,
                new double[][] {gaussian(rnd, b * c * h * w, 1), gaussian(rnd, o * c * k * k, 1), gaussian(rnd, o, 1)},
                new int[][] {{b, c, h, w}, {o, c, k, k}, {o}},
                t -> Ops.conv2d(t[0], t[1], t[2], stride, pad), 40, TOL);
    }

    @ParameterizedTest
    @EnumSource(WeightFunction.class)
    void nrpmDense(WeightFunction fn) {
        for (int k : new int[] {0, 1, 3}) {
            int b = rnd.between(1, 3);
            int d = rnd.between(1, 9);
            int o = rnd.between(1, 4);
            NrpmSpec spec = spec(fn, k);
            double lambda = rnd.uniform(0.1, 0.9);
            GradCheck.check("nrpm dense " + fn + " K=" + k + " D=" + d, rnd, ref,
                    new double[][] {gaussian(rnd, b * d, 1), gaussian(rnd, o * d, 1), gaussian(rnd, o, 1), {lambda}},
                    new int[][] {{b, d}, {o, d}, {o}, {1}},
                    t -> Ops.nrpmDense(spec, t[0], t[1], t[2], t[3]), 30, TOL);
        }
    }

    @ParameterizedTest
    @EnumSource(WeightFunction.class)
    void nrpmConv2d(WeightFunction fn) {
        for (int k : new int[] {1, 3}) {
            int b = rnd.between(1, 2);
            int c = rnd.between(1, 2);
            int h = rnd.between(3, 6);
            int w = rnd.between(3, 6);
            int o = rnd.between(1, 3);
            int ks = rnd.between(1, 3);
            int stride = rnd.between(1, 2);
            int pad = rnd.between(0, 1);
            NrpmSpec spec = spec(fn, k);
            double lambda = rnd.uniform(0.1, 0.9);
            GradCheck.check("nrpm conv " + fn + " K=" + k, rnd, ref,
                    new double[][] {gaussian(rnd, b * c * h * w, 1), gaussian(rnd, o * c * ks * ks, 1),
                        gaussian(rnd, o, 1), {lambda}},
                    new int[][] {{b, c, h, w}, {o, c, ks, ks}, {o}, {1}},
                    t -> Ops.nrpmConv2d(spec, t[0], t[1], t[2], t[3], stride, pad), 30, TOL);
        }
    }

    /** Parameters that put the clamped weight functions' kinks among the residuals of unit-scale data. */
    private NrpmSpec spec(WeightFunction fn, int k) {
        float eps = (float) rnd.uniform(1e-3, 1e-1);
        switch (fn) {
            case HUBER:
                return new NrpmSpec(k, eps, fn, 4f, (float) rnd.uniform(0.3, 1.0));
            case MCP:
                return new NrpmSpec(k, eps, fn, (float) rnd.uniform(0.5, 2.0), 1f);
            case HM:
                return new NrpmSpec(k, eps, fn, (float) rnd.uniform(1.5, 3.0), (float) rnd.uniform(0.3, 1.0));
            default:
                return NrpmSpec.l1(k, eps);
        }
    }

    @Test
    void batchNormTrainingAndEvaluation() {
        for (int trial = 0; trial < 4; trial++) {
            boolean training = trial % 2 == 0;
            boolean relu = trial >= 2;
            int n = rnd.between(2, 3);
            int c = rnd.between(1, 3);
            int h = rnd.between(1, 3);
            int w = rnd.between(2, 3);
            Tensor mean = Tensor.of(ref, gaussian(rnd, c, 0.5), c);
            double[] var = gaussian(rnd, c, 1);
            for (int i = 0; i < c; i++) {
                var[i] = 0.5 + Math.abs(var[i]);
            }
            Tensor runVar = Tensor.of(ref, var, c);
            GradCheck.check("batch norm training=" + training + " relu=" + relu, rnd, ref,
                    new double[][] {gaussian(rnd, n * c * h * w, 1), gaussian(rnd, c, 1), gaussian(rnd, c, 1)},
                    new int[][] {{n, c, h, w}, {c}, {c}},
                    t -> relu ? Ops.batchNormRelu(t[0], t[1], t[2], mean, runVar, training, 0.1f, 1e-5f)
                              : Ops.batchNorm(t[0], t[1], t[2], mean, runVar, training, 0.1f, 1e-5f), 40, TOL);
        }
    }

    /** add_relu adding into gradients that earlier backward passes began (its second branch). */
    @Test
    void addReluAddsToExistingGradients() {
        int n = rnd.between(3, 12);
        double[] av = gaussian(rnd, n, 1);
        double[] bv = gaussian(rnd, n, 1);
        double[] prior = gaussian(rnd, n, 1);
        Tensor a = Tensor.of(ref, av, n).requiresGrad(true);
        Tensor b = Tensor.of(ref, bv, n).requiresGrad(true);
        Ops.sum(Ops.mul(a, Tensor.of(ref, prior, n))).backward();     // a.grad = prior
        Ops.sum(Ops.mul(b, Tensor.of(ref, prior, n))).backward();     // b.grad = prior
        Ops.sum(Ops.addRelu(a, b)).backward();
        double[] ga = a.grad().toDoubleArray();
        double[] gb = b.grad().toDoubleArray();
        for (int i = 0; i < n; i++) {
            double mask = av[i] + bv[i] > 0 ? 1 : 0;
            assertEquals(prior[i] + mask, ga[i], 1e-12, "a.grad[" + i + "] (" + rnd.tag() + ")");
            assertEquals(prior[i] + mask, gb[i], 1e-12, "b.grad[" + i + "] (" + rnd.tag() + ")");
        }
    }

    @Test
    void elementwise() {
        int n = rnd.between(3, 12);
        int[][] one = {{n}};
        int[][] two = {{n}, {n}};
        GradCheck.check("relu", rnd, ref, new double[][] {gaussian(rnd, n, 1)}, one, t -> Ops.relu(t[0]), 40, TOL);
        GradCheck.check("sigmoid", rnd, ref, new double[][] {gaussian(rnd, n, 2)}, one, t -> Ops.sigmoid(t[0]), 40, TOL);
        GradCheck.check("add", rnd, ref, new double[][] {gaussian(rnd, n, 1), gaussian(rnd, n, 1)}, two,
                t -> Ops.add(t[0], t[1]), 40, TOL);
        GradCheck.check("sub", rnd, ref, new double[][] {gaussian(rnd, n, 1), gaussian(rnd, n, 1)}, two,
                t -> Ops.sub(t[0], t[1]), 40, TOL);
        GradCheck.check("add_relu", rnd, ref, new double[][] {gaussian(rnd, n, 1), gaussian(rnd, n, 1)}, two,
                t -> Ops.addRelu(t[0], t[1]), 40, TOL);
        GradCheck.check("add_relu of a tensor with itself", rnd, ref, new double[][] {gaussian(rnd, n, 1)}, one,
                t -> Ops.addRelu(t[0], t[0]), 40, TOL);

        GradCheck.check("mul", rnd, ref, new double[][] {gaussian(rnd, n, 1), gaussian(rnd, n, 1)}, two,
                t -> Ops.mul(t[0], t[1]), 40, TOL);
        GradCheck.check("mul by itself", rnd, ref, new double[][] {gaussian(rnd, n, 1)}, one,
                t -> Ops.mul(t[0], t[0]), 40, TOL);
        GradCheck.check("scale", rnd, ref, new double[][] {gaussian(rnd, n, 1)}, one, t -> Ops.scale(t[0], -1.7f), 40, TOL);
        GradCheck.check("sum", rnd, ref, new double[][] {gaussian(rnd, n, 1)}, one, t -> Ops.sum(t[0]), 40, TOL);
        GradCheck.check("mean", rnd, ref, new double[][] {gaussian(rnd, n, 1)}, one, t -> Ops.mean(t[0]), 40, TOL);
    }

    @Test
    void poolingAndReshape() {
        int b = rnd.between(1, 2);
        int c = rnd.between(1, 2);
        int h = rnd.between(4, 7);
        int w = rnd.between(4, 7);
        int[][] shape = {{b, c, h, w}};
        GradCheck.check("max pool 2", rnd, ref, new double[][] {gaussian(rnd, b * c * h * w, 1)}, shape,
                t -> Ops.maxPool2d(t[0], 2, 2, 0), 60, TOL);
        GradCheck.check("max pool 3 s2 p1", rnd, ref, new double[][] {gaussian(rnd, b * c * h * w, 1)}, shape,
                t -> Ops.maxPool2d(t[0], 3, 2, 1), 60, TOL);
        GradCheck.check("avg pool 2", rnd, ref, new double[][] {gaussian(rnd, b * c * h * w, 1)}, shape,
                t -> Ops.avgPool2d(t[0], 2, 2, 0), 60, TOL);
        GradCheck.check("avg pool 3 s1 p1", rnd, ref, new double[][] {gaussian(rnd, b * c * h * w, 1)}, shape,
                t -> Ops.avgPool2d(t[0], 3, 1, 1), 60, TOL);
        GradCheck.check("flatten", rnd, ref, new double[][] {gaussian(rnd, b * c * h * w, 1)}, shape,
                t -> Ops.flatten(t[0]), 60, TOL);
    }

    @Test
    void dropout() {
        int b = rnd.between(2, 3);
        int c = rnd.between(2, 3);
        long seed = rnd.nextLong();
        int[][] shape = {{b, c, 3, 2}};
        GradCheck.check("dropout", rnd, ref, new double[][] {gaussian(rnd, b * c * 6, 1)}, shape,
                t -> Ops.dropout(t[0], 0.4f, seed), 60, TOL);
        GradCheck.check("dropout2d", rnd, ref, new double[][] {gaussian(rnd, b * c * 6, 1)}, shape,
                t -> Ops.dropout2d(t[0], 0.5f, seed), 60, TOL);
    }

    @Test
    void softmaxAndLosses() {
        int rows = rnd.between(1, 4);
        int cols = rnd.between(2, 6);
        double[] labels = new double[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = rnd.between(0, cols - 1);
        }
        Tensor lab = Tensor.of(ref, labels, rows);
        int[][] shape = {{rows, cols}};
        GradCheck.check("log softmax", rnd, ref, new double[][] {gaussian(rnd, rows * cols, 2)}, shape,
                t -> Ops.logSoftmax(t[0]), 40, TOL);
        GradCheck.check("nll", rnd, ref, new double[][] {gaussian(rnd, rows * cols, 2)}, shape,
                t -> Ops.nll(t[0], lab), 40, TOL);
        GradCheck.check("cross entropy", rnd, ref, new double[][] {gaussian(rnd, rows * cols, 2)}, shape,
                t -> Ops.crossEntropy(t[0], lab), 40, TOL);
    }
}

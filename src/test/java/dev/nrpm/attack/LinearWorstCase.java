package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.testing.TestRandom;

/**
 * A random linear classifier z = W x + b on small random images, and its exact worst case under
 * an L-inf budget in the [0, 1] box: the margin z_y - z_j is separable per pixel, so its minimum
 * over the ball and box puts each pixel at the end of its interval that lowers it.
 */
final class LinearWorstCase {
    final int classes;
    final int[] shape;
    final int d;
    final double[] w;   // classes x d
    final double[] b;
    final Module model;
    final float[] x;    // n x d
    final int[] labels;
    final long[] ids;

    LinearWorstCase(Backend be, TestRandom rnd, int n, int classes) {
        this.classes = classes;
        int c = rnd.between(1, 3);
        int side = rnd.between(4, 7);
        shape = new int[] {c, side, side};
        d = c * side * side;
        w = new double[classes * d];
        b = new double[classes];
        float[] wf = new float[w.length];
        float[] bf = new float[classes];
        for (int i = 0; i < w.length; i++) {
            wf[i] = (float) rnd.gaussian();
            w[i] = wf[i];
        }
        for (int j = 0; j < classes; j++) {
            bf[j] = (float) (0.5 * rnd.gaussian());
            b[j] = bf[j];
        }
        model = new ModelSpec("mlp", new InputShape(c, side, side), classes, new int[] {d, classes}, 64, false)
                .build(new ParamInit(be, 1));
        model.loadState("fc1.weight", wf, new int[] {classes, d});
        model.loadState("fc1.bias", bf, new int[] {classes});
        model.eval();
        x = new float[n * d];
        labels = new int[n];
        ids = new long[n];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < d; p++) {
                double u = rnd.uniform(-0.15, 1.15); // some pixels sit on the box's faces
                x[i * d + p] = (float) Math.min(1, Math.max(0, u));
            }
            labels[i] = argmax(logits(x, i * d, null));
            ids[i] = 1000 + 7L * i;
        }
    }

    SampleBatch batch() {
        return new SampleBatch(x.clone(), labels.clone(), ids.clone(), shape);
    }

    double[] logits(float[] img, int off, double[] out) {
        double[] z = out == null ? new double[classes] : out;
        for (int j = 0; j < classes; j++) {
            double s = b[j];
            for (int p = 0; p < d; p++) {
                s += w[j * d + p] * img[off + p];
            }
            z[j] = s;
        }
        return z;
    }

    static int argmax(double[] z) {
        int best = 0;
        for (int j = 1; j < z.length; j++) {
            if (z[j] > z[best]) {
                best = j;
            }
        }
        return best;
    }

    /** min over the L-inf ball of radius eps and the box of z_y - z_j, for sample i and class j. */
    double worstMargin(int i, int j, double eps) {
        int y = labels[i];
        double m = b[y] - b[j];
        for (int p = 0; p < d; p++) {
            double v = w[y * d + p] - w[j * d + p];
            double x0 = x[i * d + p];
            double lo = Math.max(0, x0 - eps);
            double hi = Math.min(1, x0 + eps);
            m += v * (v > 0 ? lo : hi);
        }
        return m;
    }

    /**
     * min over the L2 ball of radius eps and the box of z_y - z_j: x = clip(x0 - mu v) with the
     * mu >= 0 that puts x on the sphere (or at the box's far corner when that is inside the ball).
     */
    double worstMarginL2(int i, int j, double eps) {
        double muHi = 1;
        while (l2Step(i, j, muHi) < eps && muHi < 1e9) {
            muHi *= 2;
        }
        double lo = 0;
        double hi = muHi;
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi);
            if (l2Step(i, j, mid) < eps) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return marginAt(i, j, lo);
    }

    /** The exact smallest L2 distance (within the box) to a point where class j scores above y. */
    double distanceToL2(int i, int j) {
        if (marginAt(i, j, 1e9) >= 0) {
            return Double.POSITIVE_INFINITY;
        }
        double lo = 0;
        double hi = 1;
        while (marginAt(i, j, hi) >= 0) {
            hi *= 2;
        }
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi);
            if (marginAt(i, j, mid) < 0) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return l2Step(i, j, hi);
    }

    /** ||clip(x0 - mu v) - x0||, v = w_y - w_j. */
    private double l2Step(int i, int j, double mu) {
        double s = 0;
        for (int p = 0; p < d; p++) {
            double x0 = x[i * d + p];
            double v = w[labels[i] * d + p] - w[j * d + p];
            double m = Math.min(1, Math.max(0, x0 - mu * v)) - x0;
            s += m * m;
        }
        return Math.sqrt(s);
    }

    private double marginAt(int i, int j, double mu) {
        int y = labels[i];
        double m = b[y] - b[j];
        for (int p = 0; p < d; p++) {
            double v = w[y * d + p] - w[j * d + p];
            m += v * Math.min(1, Math.max(0, x[i * d + p] - mu * v));
        }
        return m;
    }

    /** The smallest worst-case margin over all wrong classes: negative where the sample can be broken. */
    double worstMargin(int i, double eps) {
        double m = Double.POSITIVE_INFINITY;
        for (int j = 0; j < classes; j++) {
            if (j != labels[i]) {
                m = Math.min(m, worstMargin(i, j, eps));
            }
        }
        return m;
    }

    /** The exact smallest L-inf distance (within the box) to a point where class j scores above y. */
    double distanceTo(int i, int j) {
        if (worstMargin(i, j, 1.0) >= 0) {
            return Double.POSITIVE_INFINITY;
        }
        double lo = 0;
        double hi = 1;
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi);
            if (worstMargin(i, j, mid) < 0) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return hi;
    }

    double distance(int i) {
        double best = Double.POSITIVE_INFINITY;
        for (int j = 0; j < classes; j++) {
            if (j != labels[i]) {
                best = Math.min(best, distanceTo(i, j));
            }
        }
        return best;
    }

    /** The margin's scale, for telling knife-edge samples apart. */
    double scale() {
        double s = 0;
        for (double v : w) {
            s += Math.abs(v);
        }
        return s / w.length;
    }
}

package dev.nrpm.attack;

import java.util.Arrays;

/**
 * Targeted FAB (Croce and Hein, ICML 2020), a minimum-norm attack: each iteration linearizes the
 * boundary between the true class y and the target t (z_t - z_y = 0) at the current point x1,
 * projects both x1 and the original x0 onto that hyperplane within the box
 * ({@link BoundaryProjection}), and moves to a convex mix of the two projections, extrapolated by
 * eta and biased towards x0 by alpha = min(|d1| / (|d1| + |d2|), alpha_max). Whenever x1 is
 * misclassified, the smallest such perturbation is kept and x1 is pulled back towards x0 by beta.
 * Targets are the highest-scoring wrong classes of the clean image, one run of {@code iterations}
 * each; a run starts at x0 (AutoAttack's standard version has one restart, so no random start).
 *
 * <p>A point counts only if its norm is within eps. For the robust accuracy at eps a sample stops
 * once such a point is found; {@link #minimalPerturbation} runs every iteration instead.
 */
public final class FabTargeted implements BatchAttack {
    public static final int ITERATIONS = 100;
    public static final double ALPHA_MAX = 0.1;
    public static final double ETA = 1.05;
    public static final double BETA = 0.9;

    private final Norm norm;
    private final int iterations;
    private final int targets;

    public FabTargeted(Norm norm, int iterations, int targets) {
        if (iterations < 1 || targets < 1) {
            throw new IllegalArgumentException("FAB needs iterations and targets >= 1");
        }
        this.norm = norm;
        this.iterations = iterations;
        this.targets = targets;
    }

    @Override
    public String name() {
        return "fab-t";
    }

    public int iterations() {
        return iterations;
    }

    public int targets() {
        return targets;
    }

    @Override
    public Result run(Classifier model, SampleBatch batch, double eps, long seed, GradientHealth health) {
        return search(model, batch, eps, health).result();
    }

    /**
     * The smallest perturbation found per sample over all targets (+inf where none), running every
     * iteration of every target: FAB as a minimum-norm attack.
     */
    public double[] minimalPerturbation(Classifier model, SampleBatch batch, GradientHealth health) {
        return search(model, batch, Double.NaN, health).norms();
    }

    private record Search(Result result, double[] norms) {
    }

    /** eps NaN: minimum-norm mode (no early stop, everything found counts). */
    private Search search(Classifier model, SampleBatch batch, double eps, GradientHealth health) {
        int n = batch.size();
        int d = batch.inner();
        int k = model.classes();
        float[] z = model.logits(batch.x(), n);
        float[] adv = batch.x().clone();
        boolean[] broken = new boolean[n];
        double[] best = new double[n];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        boolean minimumNorm = Double.isNaN(eps);
        int rounds = Math.min(targets, k - 1);
        for (int round = 1; round <= rounds; round++) {
            int[] rows = minimumNorm ? Apgd.allRows(n) : Apgd.unbroken(broken);
            if (rows.length == 0) {
                break;
            }
            int[] target = new int[rows.length];
            for (int r = 0; r < rows.length; r++) {
                target[r] = LogitLoss.ranking(z, rows[r], k)[round];
            }
            SampleBatch sub = batch.select(rows);
            float[] found = new float[sub.x().length];
            double[] size = singleRun(model, sub, target, minimumNorm ? Double.NEGATIVE_INFINITY : eps, found, health);
            for (int r = 0; r < rows.length; r++) {
                int i = rows[r];
                if (size[r] < best[i]) {
                    best[i] = size[r];
                    if (minimumNorm || size[r] <= eps) {
                        broken[i] = true;
                        System.arraycopy(found, r * d, adv, i * d, d);
                    }
                }
            }
        }
        return new Search(new Result(adv, broken), best);
    }

    /**
     * One FAB run towards each row's target. Writes the smallest misclassified point found per row
     * into found; returns its norm (+inf where none). A row stops once its norm is <= stopAt.
     */
    private double[] singleRun(Classifier model, SampleBatch b, int[] target, double stopAt, float[] found,
                               GradientHealth health) {
        int n = b.size();
        int d = b.inner();
        int k = model.classes();
        float[] x0 = b.x();
        float[] x1 = x0.clone();
        double[] res = new double[n];
        Arrays.fill(res, Double.POSITIVE_INFINITY);
        double[] d1 = new double[d];
        double[] d2 = new double[d];
        BoundaryProjection projection = new BoundaryProjection(norm, d);
        for (int it = 0; it < iterations; it++) {
            int[] rows = open(res, stopAt);
            if (rows.length == 0) {
                break;
            }
            int m = rows.length;
            float[] xs = new float[m * d];
            int[] ys = new int[m];
            int[] ts = new int[m];
            for (int r = 0; r < m; r++) {
                System.arraycopy(x1, rows[r] * d, xs, r * d, d);
                ys[r] = b.labels()[rows[r]];
                ts[r] = target[rows[r]];
            }
            Classifier.Gradient g = model.gradient(xs, m, LogitLoss.difference(ys, ts));
            for (int r = 0; r < m; r++) {
                int i = rows[r];
                int o = r * d;
                health.check(b.ids()[i], g.grad(), o, d, it == 0);
                double df = Double.isFinite(g.loss()[r]) ? g.loss()[r] : 0;
                double dot = 0;
                for (int j = 0; j < d; j++) {
                    dot += (double) g.grad()[o + j] * xs[o + j];
                }
                double plane = dot - df; // the linearized boundary: grad . x = grad . x1 - df
                double a1 = Math.max(projection.step(xs, o, g.grad(), o, plane, d1), 1e-8);
                double a2 = Math.max(projection.step(x0, i * d, g.grad(), o, plane, d2), 1e-8);
                double alpha = Math.min(Math.max(a1 / (a1 + a2), 0), ALPHA_MAX);
                int io = i * d;
                for (int j = 0; j < d; j++) {
                    double moved = (xs[o + j] + ETA * d1[j]) * (1 - alpha) + (x0[io + j] + ETA * d2[j]) * alpha;
                    x1[io + j] = Norm.clip01((float) moved);
                }
            }
            float[] check = new float[m * d];
            for (int r = 0; r < m; r++) {
                System.arraycopy(x1, rows[r] * d, check, r * d, d);
            }
            float[] zs = model.logits(check, m);
            for (int r = 0; r < m; r++) {
                int i = rows[r];
                if (Classifier.predicted(zs, r, k) == ys[r]) {
                    continue;
                }
                int io = i * d;
                double t = norm.distance(x1, x0, io, d);
                if (t < res[i]) {
                    res[i] = t;
                    System.arraycopy(x1, io, found, io, d);
                }
                for (int j = io; j < io + d; j++) {
                    x1[j] = (float) (x0[j] + (x1[j] - x0[j]) * BETA);
                }
            }
        }
        return res;
    }

    private static int[] open(double[] res, double stopAt) {
        int m = 0;
        for (double r : res) {
            m += r <= stopAt ? 0 : 1;
        }
        int[] rows = new int[m];
        for (int i = 0, j = 0; i < res.length; i++) {
            if (!(res[i] <= stopAt)) {
                rows[j++] = i;
            }
        }
        return rows;
    }
}

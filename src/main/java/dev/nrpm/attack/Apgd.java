package dev.nrpm.attack;

import java.util.Arrays;

/**
 * Auto-PGD (Croce and Hein, ICML 2020): PGD with momentum whose step size adapts per sample, with
 * no parameter to tune. Two losses as in AutoAttack's standard version: cross-entropy (APGD-CE)
 * and the targeted DLR loss against the {@code targets} highest-scoring wrong classes, one run of
 * {@code iterations} each (APGD-T).
 *
 * <p>Per run and sample: a random start in the ball (L-inf: x + eps t / max|t|, t uniform in
 * [-1, 1]; L2: x + eps t / ||t||, t Gaussian); step size 2 eps; the update
 * z = P(x_k + eta s(grad)), x_{k+1} = P(x_k + a (z - x_k) + (1 - a)(x_k - x_{k-1})) with a = 1 on
 * the first step and 0.75 after (s = sign for L-inf, grad / ||grad|| for L2, P = projection onto
 * ball and box); checkpoints after 22% of the iterations, then at intervals shrinking by 3% down to
 * 6%. At a checkpoint the step size halves where (1) fewer than 75% of the steps since the last
 * checkpoint raised the loss, or (2) it was not halved at the last checkpoint and the best loss has
 * not improved since; halving restarts from the best point and its gradient. A sample stops once
 * misclassified (its outcome is then decided), which saves work and changes no result.
 *
 * <p>Two details follow the paper where the reference code differs slightly: rule (1) is a strict
 * "fewer than" (the code halves at "at most"), and the first step's increase is counted against
 * the start point's loss (the code compares it with an unset zero).
 */
public final class Apgd implements BatchAttack {
    /** Published: 100 iterations, 1 restart, 9 targets, momentum 0.75, rho 0.75, first step 2 eps. */
    public static final int ITERATIONS = 100;
    public static final int TARGETS = 9;
    static final double MOMENTUM = 0.75;
    static final double RHO = 0.75;

    public enum Loss {
        CE("apgd-ce"), TARGETED_DLR("apgd-t");

        final String attackName;

        Loss(String attackName) {
            this.attackName = attackName;
        }
    }

    private final Norm norm;
    private final Loss loss;
    private final int iterations;
    private final int restarts;
    private final int targets;
    private final String name;

    /**
     * @param restarts runs per sample (APGD-CE) or per target (APGD-T), each from a new random start
     * @param targets  APGD-T: how many of the highest-scoring wrong classes to target, in order
     */
    public Apgd(Norm norm, Loss loss, int iterations, int restarts, int targets) {
        this(norm, loss, iterations, restarts, targets, loss.attackName);
    }

    private Apgd(Norm norm, Loss loss, int iterations, int restarts, int targets, String name) {
        if (iterations < 1 || restarts < 1 || (loss == Loss.TARGETED_DLR && targets < 1)) {
            throw new IllegalArgumentException("APGD needs iterations, restarts and targets >= 1");
        }
        this.norm = norm;
        this.loss = loss;
        this.iterations = iterations;
        this.restarts = restarts;
        this.targets = targets;
        this.name = name;
    }

    /** The same attack reported under another name (adaptive attacks' surrogate members). */
    public Apgd named(String newName) {
        return new Apgd(norm, loss, iterations, restarts, targets, newName);
    }

    @Override
    public String name() {
        return name;
    }

    public int iterations() {
        return iterations;
    }

    @Override
    public Result run(Classifier model, SampleBatch batch, double eps, long seed, GradientHealth health) {
        int n = batch.size();
        int d = batch.inner();
        float[] adv = batch.x().clone();
        boolean[] broken = new boolean[n];
        int[][] ranking = null;
        int rounds = restarts;
        if (loss == Loss.TARGETED_DLR) {
            float[] z = model.logits(batch.x(), n);
            ranking = new int[n][];
            for (int i = 0; i < n; i++) {
                ranking[i] = LogitLoss.ranking(z, i, model.classes());
            }
            rounds = restarts * Math.min(targets, model.classes() - 1);
        }
        for (int round = 0; round < rounds; round++) {
            int[] rows = unbroken(broken);
            if (rows.length == 0) {
                break;
            }
            SampleBatch sub = batch.select(rows);
            int[] target = null;
            if (ranking != null) {
                target = new int[rows.length];
                for (int r = 0; r < rows.length; r++) {
                    target[r] = ranking[rows[r]][1 + round / restarts]; // the (rank + 1)-th highest class
                }
            }
            long stream = SampleRng.stream(name, round);
            Result res = singleRun(model, sub, target, eps, seed, stream, health);
            for (int r = 0; r < rows.length; r++) {
                if (res.broken()[r]) {
                    broken[rows[r]] = true;
                    System.arraycopy(res.adv(), r * d, adv, rows[r] * d, d);
                }
            }
        }
        return new Result(adv, broken);
    }

    static int[] unbroken(boolean[] broken) {
        int m = 0;
        for (boolean b : broken) {
            m += b ? 0 : 1;
        }
        int[] rows = new int[m];
        for (int i = 0, j = 0; i < broken.length; i++) {
            if (!broken[i]) {
                rows[j++] = i;
            }
        }
        return rows;
    }

    /** One APGD run from a random start for every sample of the batch. */
    Result singleRun(Classifier model, SampleBatch b, int[] target, double eps, long seed, long stream,
                     GradientHealth health) {
        int n = b.size();
        int d = b.inner();
        float[] x0 = b.x();
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            randomStart(SampleRng.of(seed, stream, b.ids()[i]), x0, i * d, d, eps, x);
        }
        int[] labels = b.labels();
        float[] grad = new float[n * d];
        float[] gradBest = new float[n * d];
        float[] xBest = x.clone();
        float[] xOld = x.clone();
        float[] adv = x0.clone();
        boolean[] broken = new boolean[n];
        double[] lossNow = new double[n];
        double[] lossBest = new double[n];
        double[] lossPrev = new double[n];
        double[] step = new double[n];
        Arrays.fill(step, 2.0 * eps);

        int[] active = allRows(n);
        evaluate(model, b, target, x, active, lossNow, grad, broken, adv, health, true);
        for (int i = 0; i < n; i++) {
            lossBest[i] = lossNow[i];
            lossPrev[i] = lossNow[i];
        }
        System.arraycopy(grad, 0, gradBest, 0, grad.length);

        boolean[] checkpoint = new boolean[iterations];
        int[] gaps = new int[iterations];
        int previous = 0;
        for (int c : checkpoints(iterations)) {
            checkpoint[c - 1] = true;
            gaps[c - 1] = c - previous;
            previous = c;
        }
        int[] increases = new int[n];
        double[] lossBestAtCheck = lossBest.clone();
        boolean[] reducedAtCheck = new boolean[n];
        Arrays.fill(reducedAtCheck, true); // there is no earlier checkpoint: rule (2) starts disabled
        float[] dir = new float[d * n];
        float[] z = new float[d * n];

        for (int it = 0; it < iterations; it++) {
            active = unbroken(broken);
            if (active.length == 0) {
                break;
            }
            double a = it > 0 ? MOMENTUM : 1.0;
            for (int i : active) {
                int o = i * d;
                norm.direction(grad, o, d, dir);
                for (int j = o; j < o + d; j++) {
                    z[j] = (float) (x[j] + step[i] * dir[j]);
                }
                norm.project(z, x0, o, d, eps, z);
                for (int j = o; j < o + d; j++) {
                    float xj = x[j];
                    z[j] = (float) (xj + a * (z[j] - xj) + (1 - a) * (xj - xOld[j]));
                    xOld[j] = xj;
                }
                norm.project(z, x0, o, d, eps, x);
            }
            evaluate(model, b, target, x, active, lossNow, grad, broken, adv, health, false);
            for (int i : active) {
                if (lossNow[i] > lossPrev[i]) {
                    increases[i]++;
                }
                lossPrev[i] = lossNow[i];
                if (lossNow[i] > lossBest[i]) {
                    lossBest[i] = lossNow[i];
                    System.arraycopy(x, i * d, xBest, i * d, d);
                    System.arraycopy(grad, i * d, gradBest, i * d, d);
                }
            }
            if (checkpoint[it]) {
                for (int i : active) {
                    boolean oscillating = increases[i] < RHO * gaps[it];
                    boolean stalled = !reducedAtCheck[i] && lossBestAtCheck[i] >= lossBest[i];
                    reducedAtCheck[i] = oscillating || stalled;
                    lossBestAtCheck[i] = lossBest[i];
                    increases[i] = 0;
                    if (reducedAtCheck[i]) {
                        step[i] /= 2;
                        System.arraycopy(xBest, i * d, x, i * d, d);
                        System.arraycopy(gradBest, i * d, grad, i * d, d);
                    }
                }
            }
        }
        return new Result(adv, broken);
    }

    /**
     * The iterations (counted from 1) after which the step size is checked: the first after 22% of
     * them, each next interval 3% shorter than the one before but at least 6% (100 iterations:
     * 22, 41, 57, 70, 80, 87, 93, 99).
     */
    public static int[] checkpoints(int iterations) {
        int gap = Math.max((int) (0.22 * iterations), 1);
        int minGap = Math.max((int) (0.06 * iterations), 1);
        int decrease = Math.max((int) (0.03 * iterations), 1);
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int at = gap; at <= iterations; at += gap) {
            out.add(at);
            gap = Math.max(gap - decrease, minGap);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    public Loss loss() {
        return loss;
    }

    public int restarts() {
        return restarts;
    }

    public int targets() {
        return targets;
    }

    public Norm norm() {
        return norm;
    }

    private void randomStart(SampleRng rng, float[] x0, int o, int d, double eps, float[] out) {
        double[] t = new double[d];
        double size = 0;
        for (int j = 0; j < d; j++) {
            t[j] = norm == Norm.LINF ? 2 * rng.nextDouble() - 1 : rng.gaussian();
            size = norm == Norm.LINF ? Math.max(size, Math.abs(t[j])) : size + t[j] * t[j];
        }
        size = norm == Norm.LINF ? size : Math.sqrt(size);
        for (int j = 0; j < d; j++) {
            out[o + j] = Norm.clip01((float) (x0[o + j] + eps * t[j] / (size + 1e-12)));
        }
    }

    /** Loss, gradient and prediction at x for the given rows; misclassified rows keep their point. */
    private void evaluate(Classifier model, SampleBatch b, int[] target, float[] x, int[] rows, double[] lossOut,
                          float[] gradOut, boolean[] broken, float[] adv, GradientHealth health, boolean start) {
        int d = b.inner();
        int m = rows.length;
        float[] xs = new float[m * d];
        int[] ys = new int[m];
        int[] ts = target == null ? null : new int[m];
        for (int r = 0; r < m; r++) {
            System.arraycopy(x, rows[r] * d, xs, r * d, d);
            ys[r] = b.labels()[rows[r]];
            if (ts != null) {
                ts[r] = target[rows[r]];
            }
        }
        LogitLoss l = loss == Loss.CE ? LogitLoss.crossEntropy(ys) : LogitLoss.targetedDlr(ys, ts);
        Classifier.Gradient g = model.gradient(xs, m, l);
        int k = model.classes();
        for (int r = 0; r < m; r++) {
            int i = rows[r];
            // zero checks only for DLR, as AutoAttack does: a saturated softmax zeroes CE gradients honestly
            health.check(b.ids()[i], g.grad(), r * d, d, start && loss == Loss.TARGETED_DLR);
            System.arraycopy(g.grad(), r * d, gradOut, i * d, d);
            lossOut[i] = Double.isFinite(g.loss()[r]) ? g.loss()[r] : Double.NEGATIVE_INFINITY;
            if (Classifier.predicted(g.logits(), r, k) != ys[r]) {
                broken[i] = true;
                System.arraycopy(xs, r * d, adv, i * d, d);
            }
        }
    }

    static int[] allRows(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        return rows;
    }
}

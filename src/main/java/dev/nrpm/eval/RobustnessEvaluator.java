package dev.nrpm.eval;

import dev.nrpm.attack.Attack;
import dev.nrpm.attack.AttackKind;
import dev.nrpm.attack.AttackPlan;
import dev.nrpm.attack.BatchAttack;
import dev.nrpm.attack.Classifier;
import dev.nrpm.attack.GradientHealth;
import dev.nrpm.attack.ModelClassifier;
import dev.nrpm.attack.Norm;
import dev.nrpm.attack.SampleBatch;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.CounterRng;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.nn.Module;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Robust accuracy of a model over a dataset at several attack budgets, as AutoAttack counts it: a
 * sample is robust if it is classified correctly clean and no attack member finds a misclassified
 * point within the budget. Members run in order, attack-major (each over all points still robust,
 * in batches), and every point a member claims is re-checked on the model: inside the ball and the
 * box, finite, misclassified. The model runs in evaluation mode (running BN statistics, no dropout).
 *
 * <p>Each budget's random draws derive from (seed, budget) and each sample's from its index in the
 * dataset file, so the numbers do not depend on the batch size, on which other budgets or samples
 * are evaluated, or on how samples are split into shards.
 */
public final class RobustnessEvaluator {
    private RobustnessEvaluator() {
    }

    /** The tensor attacks' entry point (demo, reprogram, training loops): null is a clean evaluation. */
    public static RobustnessCurve evaluate(String label, Map<String, Object> pm, Module model, Backend be,
                                           ImageDataset data, int batchSize, Attack attack, double[] budgets,
                                           long seed, BatchProgress progress) {
        AttackPlan plan = attack == null ? null : AttackKind.forTensorAttack(attack);
        return evaluate(label, pm, model, be, data, plan, budgets, EvalOptions.of(batchSize, seed),
                ProgressSink.of(progress));
    }

    /**
     * @param plan    null for clean accuracy (every budget then counts the clean result)
     * @param budgets each checked against the attack before any work starts
     */
    public static RobustnessCurve evaluate(String label, Map<String, Object> pm, Module model, Backend be,
                                           ImageDataset data, AttackPlan plan, double[] budgets, EvalOptions opt,
                                           ProgressSink progress) {
        if (opt.batchSize() < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + opt.batchSize());
        }
        if (plan != null) {
            for (double b : budgets) {
                plan.checkBudget(b);
            }
        }
        boolean wasTraining = model.isTraining();
        model.eval();
        try {
            Classifier classifier = new ModelClassifier(model, be,
                    new int[] {data.channels(), data.height(), data.width()}, data.numClasses());
            return new Run(label, pm, classifier, data, plan, budgets, opt, progress).run();
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
    }

    /** Predicted class per row, NaN rows as -1 (a model that answers NaN has not classified correctly). */
    static int[] predictions(float[] logits, int rows, int k) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            out[r] = Classifier.predicted(logits, r, k);
        }
        return out;
    }

    /** The seed of one budget's draws: a function of the run's seed and the budget's value only. */
    static long budgetSeed(long seed, double budget) {
        return CounterRng.bits(seed, Double.doubleToLongBits(budget));
    }

    /** Samples of data at the given positions, as an attack batch. */
    static SampleBatch batch(ImageDataset data, int[] rows) {
        int d = data.imageSize();
        float[] x = new float[rows.length * d];
        int[] labels = new int[rows.length];
        long[] ids = new long[rows.length];
        for (int r = 0; r < rows.length; r++) {
            data.copyImage(rows[r], x, r * d);
            labels[r] = data.label(rows[r]);
            ids[r] = data.sourceIndex(rows[r]);
        }
        return new SampleBatch(x, labels, ids, new int[] {data.channels(), data.height(), data.width()});
    }

    /** One evaluation's state. */
    private static final class Run {
        private final String label;
        private final Map<String, Object> pm;
        private final Classifier model;
        private final ImageDataset data;
        private final AttackPlan plan;
        private final double[] budgets;
        private final EvalOptions opt;
        private final ProgressSink progress;
        private final List<Finding> findings = new ArrayList<>();
        private int[] clean;

        Run(String label, Map<String, Object> pm, Classifier model, ImageDataset data, AttackPlan plan,
            double[] budgets, EvalOptions opt, ProgressSink progress) {
            this.label = label;
            this.pm = pm;
            this.model = model;
            this.data = data;
            this.plan = plan;
            this.budgets = budgets.clone();
            this.opt = opt;
            this.progress = progress;
        }

        RobustnessCurve run() {
            int n = data.size();
            clean = classifyClean();
            long cleanCorrect = 0;
            for (int i = 0; i < n; i++) {
                cleanCorrect += clean[i] == data.label(i) ? 1 : 0;
            }
            long[] correct = new long[budgets.length];
            List<AttackBreakdown> breakdowns = new ArrayList<>();
            for (int b = 0; b < budgets.length; b++) {
                if (plan == null || budgets[b] == 0) {
                    correct[b] = cleanCorrect;
                    continue;
                }
                AttackBreakdown bd = attack(budgets[b]);
                breakdowns.add(bd);
                correct[b] = bd.robustAfter()[bd.robustAfter().length - 1];
            }
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = data.sourceIndex(i);
            }
            if (plan != null) {
                MaskingChecks.afterEvaluation(plan, model, data, clean, budgets, correct, breakdowns, findings);
                if (opt.probes()) {
                    MaskingChecks.probes(plan, model, data, clean, budgets, breakdowns, opt, progress, findings);
                }
            }
            return new RobustnessCurve(label, budgets, correct, n, pm, breakdowns, findings, ids);
        }

        private int[] classifyClean() {
            int n = data.size();
            int k = model.classes();
            int[] out = new int[n];
            long nonFinite = 0;
            try (ProgressSink.Stage stage = progress.start("clean", n)) {
                for (int from = 0; from < n; from += opt.batchSize()) {
                    int m = Math.min(opt.batchSize(), n - from);
                    float[] z = model.logits(data.images(from, m), m);
                    nonFinite += countNonFiniteRows(z, m, k);
                    System.arraycopy(predictions(z, m, k), 0, out, from, m);
                    stage.step(m);
                }
            }
            if (nonFinite > 0) {
                findings.add(new Finding("non-finite-logits", Finding.Severity.WARNING, "clean", Double.NaN, nonFinite, n,
                        "the model outputs NaN or infinite logits for " + MaskingChecks.share(nonFinite, n)
                                + " of the clean samples (counted as misclassified): check the weights and the NRPM settings"));
            }
            return out;
        }

        private AttackBreakdown attack(double eps) {
            int n = data.size();
            int d = data.imageSize();
            int k = model.classes();
            long seed = budgetSeed(opt.seed(), eps);
            Norm norm = plan.budget().norm();
            int[] outcome = new int[n];
            for (int i = 0; i < n; i++) {
                outcome[i] = clean[i] == data.label(i) ? AttackBreakdown.ROBUST : AttackBreakdown.MISCLASSIFIED;
            }
            float[] adversarial = opt.keepAdversarial() ? data.images(0, n) : null;
            List<AttackPlan.Member> members = plan.members();
            long[] robustAfter = new long[members.size()];
            long[] broken = new long[members.size()];
            double[] seconds = new double[members.size()];
            long invalid = 0;
            long nonFinite = 0;
            for (int m = 0; m < members.size(); m++) {
                BatchAttack attack = members.get(m).attack();
                GradientHealth health = new GradientHealth();
                int[] rows = rowsWith(outcome, AttackBreakdown.ROBUST);
                long start = System.nanoTime();
                try (ProgressSink.Stage stage = progress.start(String.format(java.util.Locale.ROOT, "%s eps=%.4g",
                        attack.name(), eps), rows.length)) {
                    for (int from = 0; from < rows.length; from += opt.batchSize()) {
                        int[] chunk = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + opt.batchSize()));
                        SampleBatch batch = batch(data, chunk);
                        BatchAttack.Result res = attack.run(model, batch, eps, seed, health);
                        int[] claims = claimed(res, batch, norm, eps);
                        invalid += countBadClaims(res, claims);
                        if (claims.length > 0) {
                            float[] xs = new float[claims.length * d];
                            for (int c = 0; c < claims.length; c++) {
                                System.arraycopy(res.adv(), claims[c] * d, xs, c * d, d);
                            }
                            float[] z = model.logits(xs, claims.length);
                            nonFinite += countNonFiniteRows(z, claims.length, k);
                            int[] pred = predictions(z, claims.length, k);
                            for (int c = 0; c < claims.length; c++) {
                                int row = chunk[claims[c]];
                                if (pred[c] != data.label(row)) {
                                    outcome[row] = m;
                                    broken[m]++;
                                    if (adversarial != null) {
                                        System.arraycopy(xs, c * d, adversarial, row * d, d);
                                    }
                                }
                            }
                        }
                        stage.step(chunk.length);
                    }
                }
                seconds[m] = (System.nanoTime() - start) / 1e9;
                robustAfter[m] = rowsWith(outcome, AttackBreakdown.ROBUST).length;
                MaskingChecks.gradientHealth(attack.name(), eps, health, rows.length, findings);
            }
            if (invalid > 0) {
                findings.add(new Finding("invalid-claims", Finding.Severity.WARNING, plan.name(), eps, invalid, n,
                        plan.name() + " returned " + invalid + " point(s) outside the " + plan.budget().title() + " ball,"
                                + " outside [0, 1] or not finite at budget " + eps + "; they were not counted. This is a bug: please report it"));
            }
            if (nonFinite > 0) {
                findings.add(new Finding("non-finite-logits", Finding.Severity.WARNING, plan.name(), eps, nonFinite, n,
                        "the model outputs NaN or infinite logits at " + nonFinite + " adversarial point(s) at budget " + eps
                                + " (counted as misclassified)"));
            }
            return new AttackBreakdown(eps, seed, plan.memberNames(), robustAfter, broken, seconds, outcome, adversarial);
        }

        /** Rows whose claimed point is valid (finite, in the box and, for norm attacks, in the ball). */
        private static int[] claimed(BatchAttack.Result res, SampleBatch b, Norm norm, double eps) {
            int d = b.inner();
            List<Integer> ok = new ArrayList<>();
            for (int r = 0; r < b.size(); r++) {
                if (!res.broken()[r]) {
                    continue;
                }
                boolean valid = true;
                for (int j = r * d; j < (r + 1) * d; j++) {
                    if (!Float.isFinite(res.adv()[j])) {
                        valid = false;
                        break;
                    }
                }
                if (valid && norm != null) {
                    valid = norm.contains(res.adv(), b.x(), r * d, d, eps);
                }
                if (valid) {
                    ok.add(r);
                }
            }
            return ok.stream().mapToInt(Integer::intValue).toArray();
        }

        private static long countBadClaims(BatchAttack.Result res, int[] valid) {
            long claims = 0;
            for (boolean b : res.broken()) {
                claims += b ? 1 : 0;
            }
            return claims - valid.length;
        }
    }

    static int[] rowsWith(int[] outcome, int value) {
        return java.util.stream.IntStream.range(0, outcome.length).filter(i -> outcome[i] == value).toArray();
    }

    static long countNonFiniteRows(float[] z, int rows, int k) {
        long bad = 0;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                if (!Float.isFinite(z[r * k + j])) {
                    bad++;
                    break;
                }
            }
        }
        return bad;
    }

}

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
        return evaluateSharded(label, pm, model, be, data, plan, budgets, opt, progress, 1);
    }

    /**
     * The same evaluation in {@code shards} consecutive parts, one after the other, merged: the
     * numbers, outcomes and findings equal the one-part run's exactly (each sample's result depends
     * on that sample alone). Distributed runners evaluate the parts on other machines
     * ({@link #evaluateShard}) and {@link #merge} them.
     */
    public static RobustnessCurve evaluateSharded(String label, Map<String, Object> pm, Module model, Backend be,
                                                  ImageDataset data, AttackPlan plan, double[] budgets,
                                                  EvalOptions opt, ProgressSink progress, int shards) {
        List<EvaluationShard> parts = new ArrayList<>();
        for (int[] range : shardRanges(data.size(), shards)) {
            parts.add(evaluateShard(model, be, data, range[0], range[1], plan, budgets, opt, progress));
        }
        return merge(label, pm, model, be, data, plan, budgets, opt, progress, parts);
    }

    /** [from, to) of each of the (at most n) non-empty consecutive shards of n samples, sizes differing by at most 1. */
    public static List<int[]> shardRanges(int n, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        }
        int s = Math.max(1, Math.min(shards, n));
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            out.add(new int[] {(int) ((long) n * i / s), (int) ((long) n * (i + 1) / s)});
        }
        return out;
    }

    /**
     * Positions [from, to) of data: clean predictions and, per attacked budget, what every attack
     * member did to each sample. Random draws are keyed by the samples' indices in their file, so
     * a shard computes exactly what the whole run computes for those samples.
     */
    public static EvaluationShard evaluateShard(Module model, Backend be, ImageDataset data, int from, int to,
                                                AttackPlan plan, double[] budgets, EvalOptions opt,
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
            return new Run(classifier(model, be, data), data.slice(from, to - from), plan, budgets, opt, progress)
                    .shard(from, to);
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
    }

    /**
     * The shards of one evaluation (consecutive, covering data in order) as its curve: counts summed,
     * outcomes concatenated, then the masking checks and probes run on the whole.
     */
    public static RobustnessCurve merge(String label, Map<String, Object> pm, Module model, Backend be,
                                        ImageDataset data, AttackPlan plan, double[] budgets, EvalOptions opt,
                                        ProgressSink progress, List<EvaluationShard> shards) {
        int n = data.size();
        int[] clean = new int[n];
        long cleanNonFinite = 0;
        int at = 0;
        for (EvaluationShard s : shards) {
            if (s.from() != at) {
                throw new IllegalArgumentException("shards must cover the data in order: one starts at " + s.from()
                        + ", expected " + at);
            }
            System.arraycopy(s.clean(), 0, clean, at, s.clean().length);
            cleanNonFinite += s.cleanNonFinite();
            at = s.to();
        }
        if (at != n) {
            throw new IllegalArgumentException("shards cover " + at + " of " + n + " samples");
        }
        List<AttackBreakdown> breakdowns = new ArrayList<>();
        for (int b = 0; b < shards.get(0).breakdowns().size(); b++) {
            List<AttackBreakdown> parts = new ArrayList<>();
            for (EvaluationShard s : shards) {
                parts.add(s.breakdowns().get(b));
            }
            breakdowns.add(AttackBreakdown.concat(parts));
        }
        long cleanCorrect = 0;
        for (int i = 0; i < n; i++) {
            cleanCorrect += clean[i] == data.label(i) ? 1 : 0;
        }
        long[] correct = new long[budgets.length];
        int next = 0;
        for (int b = 0; b < budgets.length; b++) {
            if (plan == null || budgets[b] == 0) {
                correct[b] = cleanCorrect;
            } else {
                AttackBreakdown bd = breakdowns.get(next++);
                correct[b] = bd.robustAfter()[bd.robustAfter().length - 1];
            }
        }
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = data.sourceIndex(i);
        }
        List<Finding> findings = new ArrayList<>();
        MaskingChecks.cleanLogits(cleanNonFinite, n, findings);
        if (plan != null) {
            boolean wasTraining = model.isTraining();
            model.eval();
            try {
                Classifier c = classifier(model, be, data);
                for (AttackBreakdown bd : breakdowns) {
                    MaskingChecks.health(plan, bd, n, findings);
                }
                MaskingChecks.afterEvaluation(plan, c, data, clean, budgets, correct, breakdowns, findings);
                if (opt.probes()) {
                    MaskingChecks.probes(plan, c, data, clean, budgets, breakdowns, opt, progress, findings);
                }
            } finally {
                if (wasTraining) {
                    model.train();
                }
            }
        }
        return new RobustnessCurve(label, budgets, correct, n, pm, breakdowns, findings, ids);
    }

    private static Classifier classifier(Module model, Backend be, ImageDataset data) {
        return new ModelClassifier(model, be, new int[] {data.channels(), data.height(), data.width()}, data.numClasses());
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

    /** One shard's state. */
    private static final class Run {
        private final Classifier model;
        private final ImageDataset data;
        private final AttackPlan plan;
        private final double[] budgets;
        private final EvalOptions opt;
        private final ProgressSink progress;
        private int[] clean;
        private long cleanNonFinite;

        Run(Classifier model, ImageDataset data, AttackPlan plan, double[] budgets, EvalOptions opt,
            ProgressSink progress) {
            this.model = model;
            this.data = data;
            this.plan = plan;
            this.budgets = budgets.clone();
            this.opt = opt;
            this.progress = progress;
        }

        EvaluationShard shard(int from, int to) {
            clean = classifyClean();
            List<AttackBreakdown> breakdowns = new ArrayList<>();
            for (double b : budgets) {
                if (plan != null && b != 0) {
                    breakdowns.add(attack(b));
                }
            }
            return new EvaluationShard(from, to, clean, cleanNonFinite, breakdowns);
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
            cleanNonFinite = nonFinite;
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
            long[] attacked = new long[members.size()];
            long[] zero = new long[members.size()];
            long[] badGradient = new long[members.size()];
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
                attacked[m] = rows.length;
                zero[m] = health.zeroAtStart().size();
                badGradient[m] = health.nonFinite().size();
            }
            return new AttackBreakdown(eps, seed, plan.memberNames(), robustAfter, broken, seconds, outcome, adversarial,
                    new AttackBreakdown.Health(attacked, zero, badGradient, invalid, nonFinite));
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

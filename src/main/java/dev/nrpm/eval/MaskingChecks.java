package dev.nrpm.eval;

import dev.nrpm.attack.AttackPlan;
import dev.nrpm.attack.BatchAttack;
import dev.nrpm.attack.Classifier;
import dev.nrpm.attack.GradientHealth;
import dev.nrpm.attack.Norm;
import dev.nrpm.attack.SampleBatch;
import dev.nrpm.data.ImageDataset;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Checks that run with every evaluation, in the spirit of AutoAttack's own, for the signs that a
 * robust accuracy is overstated (gradient masking, an attack that fails):
 * <ul>
 * <li>a gradient-free member (Square) or a surrogate-guided member breaking points that the
 *     white-box gradient members before it did not;</li>
 * <li>input gradients that are exactly zero at the start point, or NaN/infinite, for some samples;</li>
 * <li>robust accuracy that rises with the budget;</li>
 * <li>robust accuracy above what a trivial attack achieves at a large budget (L-inf 0.5, L2
 *     0.5 sqrt(d): every image can be moved to the mid-gray image, so at most the samples of the
 *     class the model gives mid-gray can stay robust);</li>
 * <li>probes (optional): the first member with a quarter of its effort breaking points that the full
 *     member did not (accuracy that rises with more steps), and the large-budget bound above when no
 *     evaluated budget is that large.</li>
 * </ul>
 * AutoAttack's threshold for the Square check is 0.2% of the samples; below it a finding is a note.
 */
final class MaskingChecks {
    static final double SQUARE_THRESHOLD = 0.002;
    static final double PROBE_THRESHOLD = 0.01;

    private MaskingChecks() {
    }

    static String share(long count, long of) {
        return String.format(Locale.ROOT, "%d of %d samples (%.1f%%)", count, of, of == 0 ? 0.0 : 100.0 * count / of);
    }

    /** NaN or infinite logits of clean samples (counted as misclassified). */
    static void cleanLogits(long nonFinite, long n, List<Finding> out) {
        if (nonFinite > 0) {
            out.add(new Finding("non-finite-logits", Finding.Severity.WARNING, "clean", Double.NaN, nonFinite, n,
                    "the model outputs NaN or infinite logits for " + share(nonFinite, n)
                            + " of the clean samples (counted as misclassified): check the weights and the NRPM settings"));
        }
    }

    /** Zero or non-finite gradients per member, refused claims and non-finite logits at one budget. */
    static void health(AttackPlan plan, AttackBreakdown bd, long n, List<Finding> out) {
        AttackBreakdown.Health h = bd.health();
        double eps = bd.budget();
        for (int m = 0; m < bd.members().size(); m++) {
            String attack = bd.members().get(m);
            long attacked = h.attacked()[m];
            long zero = h.zeroGradient()[m];
            long bad = h.nonFiniteGradient()[m];
            if (zero > 0) {
                out.add(new Finding("zero-gradient", Finding.Severity.WARNING, attack, eps, zero, attacked,
                        attack + ": the input gradient is exactly zero at the start point for " + share(zero, attacked)
                                + " attacked at budget " + eps + ": gradient attacks cannot move there (gradient masking?)"));
            }
            if (bad > 0) {
                out.add(new Finding("non-finite-gradient", Finding.Severity.WARNING, attack, eps, bad, attacked,
                        attack + ": NaN or infinite input gradients for " + share(bad, attacked) + " attacked at budget "
                                + eps + " (zeroed where met): the evaluation of those samples is unreliable"));
            }
        }
        if (h.invalidClaims() > 0) {
            out.add(new Finding("invalid-claims", Finding.Severity.WARNING, plan.name(), eps, h.invalidClaims(), n,
                    plan.name() + " returned " + h.invalidClaims() + " point(s) outside the " + plan.budget().title()
                            + " ball, outside [0, 1] or not finite at budget " + eps
                            + "; they were not counted. This is a bug: please report it"));
        }
        if (h.nonFiniteLogits() > 0) {
            out.add(new Finding("non-finite-logits", Finding.Severity.WARNING, plan.name(), eps, h.nonFiniteLogits(), n,
                    "the model outputs NaN or infinite logits at " + h.nonFiniteLogits() + " adversarial point(s) at budget "
                            + eps + " (counted as misclassified)"));
        }
    }

    static void afterEvaluation(AttackPlan plan, Classifier model, ImageDataset data, int[] clean, double[] budgets,
                                long[] correct, List<AttackBreakdown> breakdowns, List<Finding> out) {
        long n = data.size();
        List<AttackPlan.Member> members = plan.members();
        for (AttackBreakdown bd : breakdowns) {
            boolean whiteBoxBefore = false;
            for (int m = 0; m < members.size(); m++) {
                AttackPlan.Role role = members.get(m).role();
                if (role == AttackPlan.Role.WHITE_BOX) {
                    whiteBoxBefore = true;
                } else if (whiteBoxBefore && bd.broken()[m] > 0
                        && (role == AttackPlan.Role.GRADIENT_FREE || role == AttackPlan.Role.SURROGATE)) {
                    long c = bd.broken()[m];
                    boolean warn = (double) c / n >= SQUARE_THRESHOLD;
                    String kind = role == AttackPlan.Role.GRADIENT_FREE ? "gradient-free-broke" : "surrogate-broke";
                    String why = role == AttackPlan.Role.GRADIENT_FREE
                            ? "without gradients; the white-box gradients are misleading (gradient masking)"
                            : "guided by a surrogate's gradients; the model's own gradients are misleading (gradient masking)";
                    out.add(new Finding(kind, warn ? Finding.Severity.WARNING : Finding.Severity.NOTE, members.get(m).attack().name(),
                            bd.budget(), c, n, members.get(m).attack().name() + " broke " + share(c, n) + " at budget "
                                    + bd.budget() + " that " + whiteBoxNames(members, m) + " did not, " + why
                                    + (warn ? "" : " (below AutoAttack's 0.2% threshold)")));
                }
            }
        }
        if (plan.members().get(0).role() != AttackPlan.Role.RANDOM) {
            for (int i = 0; i < budgets.length; i++) {
                for (int j = 0; j < budgets.length; j++) {
                    if (budgets[j] > budgets[i] && correct[j] > correct[i]) {
                        out.add(new Finding("accuracy-rises-with-budget", Finding.Severity.WARNING, plan.name(), budgets[j],
                                correct[j] - correct[i], n, plan.name() + ": robust accuracy rises from "
                                        + pct(correct[i], n) + " at budget " + budgets[i] + " to " + pct(correct[j], n)
                                        + " at " + budgets[j] + ": a larger ball contains the smaller one, so the attack is failing"));
                    }
                }
            }
            Norm norm = plan.budget().norm();
            if (norm != null) {
                int gray = grayClass(model, data);
                long bound = boundAtLarge(data, clean, gray, null);
                for (int i = 0; i < budgets.length; i++) {
                    if (budgets[i] >= largeBudget(norm, data.imageSize()) && correct[i] > bound) {
                        out.add(new Finding("large-budget", Finding.Severity.WARNING, plan.name(), budgets[i], correct[i], n,
                                plan.name() + " leaves " + pct(correct[i], n) + " robust at budget " + budgets[i]
                                        + ", where moving every image to mid-gray (class " + gray + ") leaves at most "
                                        + pct(bound, n) + ": the attack is failing"));
                    }
                }
            }
        }
    }

    /** The budget from which every image can reach the mid-gray image. */
    static double largeBudget(Norm norm, int d) {
        return norm == Norm.LINF ? 0.5 : 0.5 * Math.sqrt(d);
    }

    /** Samples that can stay robust when every image may be moved to mid-gray: correct clean and of the gray image's class. */
    private static long boundAtLarge(ImageDataset data, int[] clean, int gray, int[] rows) {
        long bound = 0;
        int n = rows == null ? data.size() : rows.length;
        for (int r = 0; r < n; r++) {
            int i = rows == null ? r : rows[r];
            if (clean[i] == data.label(i) && data.label(i) == gray) {
                bound++;
            }
        }
        return bound;
    }

    private static int grayClass(Classifier model, ImageDataset data) {
        float[] gray = new float[data.imageSize()];
        Arrays.fill(gray, 0.5f);
        return RobustnessEvaluator.predictions(model.logits(gray, 1), 1, model.classes())[0];
    }

    static void probes(AttackPlan plan, Classifier model, ImageDataset data, int[] clean, double[] budgets,
                       List<AttackBreakdown> breakdowns, EvalOptions opt, ProgressSink progress, List<Finding> out) {
        AttackPlan.Shorter shorter = plan.shorter();
        if (shorter == null || breakdowns.isEmpty()) {
            return;
        }
        int[] correctRows = java.util.stream.IntStream.range(0, data.size()).filter(i -> clean[i] == data.label(i))
                .limit(EvalOptions.PROBE_SAMPLES).toArray();
        if (correctRows.length == 0) {
            return;
        }
        String full = plan.members().get(0).attack().name();
        // more steps: the shorter member at the largest budget against the full member's own outcome
        AttackBreakdown last = breakdowns.get(breakdowns.size() - 1);
        Norm norm = plan.budget().norm();
        boolean[] shortBroke = runShorter(shorter.attack(), norm, model, data, correctRows, last.budget(), last.seed(), opt,
                progress, "probe: " + shorter.attack().name() + " " + shorter.effort());
        long onlyShort = 0;
        for (int r = 0; r < correctRows.length; r++) {
            if (shortBroke[r] && last.outcome()[correctRows[r]] != 0) {
                onlyShort++;
            }
        }
        long probed = correctRows.length;
        boolean warn = onlyShort > 0 && (double) onlyShort / probed >= PROBE_THRESHOLD;
        out.add(new Finding("more-steps", onlyShort == 0 || !warn ? Finding.Severity.NOTE : Finding.Severity.WARNING,
                full, last.budget(), onlyShort, probed, onlyShort == 0
                        ? full + " with " + shorter.effort() + " broke no sample that " + shorter.fullEffort()
                                + " left robust (probe on " + probed + " samples at budget " + last.budget() + ")"
                        : full + " with " + shorter.effort() + " broke " + share(onlyShort, probed) + " that "
                                + shorter.fullEffort() + " left robust at budget " + last.budget()
                                + ": robust accuracy rises with more steps (gradient masking or a failing step size)"));
        if (norm == null) {
            return;
        }
        double large = largeBudget(norm, data.imageSize());
        boolean evaluated = false;
        for (double b : budgets) {
            evaluated |= b >= large;
        }
        if (evaluated) {
            return;
        }
        int gray = grayClass(model, data);
        long bound = boundAtLarge(data, clean, gray, correctRows);
        boolean[] broke = runShorter(shorter.largeBudget(), norm, model, data, correctRows, large,
                RobustnessEvaluator.budgetSeed(opt.seed(), large), opt, progress,
                "probe: " + shorter.attack().name() + " at budget " + large);
        long robust = 0;
        for (boolean b : broke) {
            robust += b ? 0 : 1;
        }
        out.add(new Finding("large-budget", robust > bound ? Finding.Severity.WARNING : Finding.Severity.NOTE, full, large,
                robust, probed, robust > bound
                        ? full + " with " + shorter.effort() + " leaves " + share(robust, probed) + " robust at budget "
                                + round(large) + " (probe), where moving every image to mid-gray leaves at most " + bound
                                + ": the attack is failing (gradient masking?)"
                        : full + " with " + shorter.effort() + " leaves " + share(robust, probed) + " robust at budget "
                                + round(large) + " (probe; the mid-gray bound is " + bound + ")"));
    }

    private static boolean[] runShorter(BatchAttack attack, Norm norm, Classifier model, ImageDataset data, int[] rows, double eps,
                                        long seed, EvalOptions opt, ProgressSink progress, String task) {
        boolean[] broke = new boolean[rows.length];
        int d = data.imageSize();
        try (ProgressSink.Stage stage = progress.start(task, rows.length)) {
            for (int from = 0; from < rows.length; from += opt.batchSize()) {
                int[] chunk = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + opt.batchSize()));
                SampleBatch batch = RobustnessEvaluator.batch(data, chunk);
                BatchAttack.Result res = attack.run(model, batch, eps, seed, new GradientHealth());
                float[] z = model.logits(res.adv(), chunk.length);
                int[] pred = RobustnessEvaluator.predictions(z, chunk.length, model.classes());
                for (int c = 0; c < chunk.length; c++) {
                    boolean inside = norm == null || norm.contains(res.adv(), batch.x(), c * d, d, eps);
                    broke[from + c] = inside && pred[c] != batch.labels()[c];
                }
                stage.step(chunk.length);
            }
        }
        return broke;
    }

    private static String whiteBoxNames(List<AttackPlan.Member> members, int before) {
        StringBuilder b = new StringBuilder();
        for (int m = 0; m < before; m++) {
            if (members.get(m).role() == AttackPlan.Role.WHITE_BOX) {
                b.append(b.length() == 0 ? "" : ", ").append(members.get(m).attack().name());
            }
        }
        return b.toString();
    }

    private static String pct(long c, long n) {
        return String.format(Locale.ROOT, "%.1f%%", n == 0 ? 0.0 : 100.0 * c / n);
    }

    private static String round(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}

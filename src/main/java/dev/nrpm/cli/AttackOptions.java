package dev.nrpm.cli;

import dev.nrpm.attack.AttackKind;
import dev.nrpm.attack.AttackPlan;
import dev.nrpm.attack.AttackSettings;
import dev.nrpm.attack.Norm;
import picocli.CommandLine.Option;

/** --attack, its norm, budgets and settings (defaults: the published ones, see the attack registry). */
final class AttackOptions implements java.io.Serializable {
    @Option(names = "--attack", defaultValue = "none", paramLabel = "NAME", completionCandidates = AttackNames.class,
            description = "Attack for the evaluation: ${COMPLETION-CANDIDATES}. autoattack is the standard version"
                    + " (apgd-ce, apgd-t, fab-t, square); adaptive adds APGD guided by surrogates of NRPM layers."
                    + " Default: ${DEFAULT-VALUE}.")
    String attack;

    @Option(names = "--norm", paramLabel = "linf|l2",
            description = "Threat model of apgd-ce, apgd-t, fab-t, square, autoattack and adaptive. Default: linf.")
    String norm;

    @Option(names = "--budgets", split = ",", defaultValue = "0", paramLabel = "B1,B2,...", converter = FractionConverter.class,
            description = "Attack budgets (L-inf or L2 epsilon, noise sigma); fractions like 8/255 are fine. Default: ${DEFAULT-VALUE}.")
    double[] budgets;

    @Option(names = "--steps", paramLabel = "N",
            description = "Iterations: pgd, pgd-l2 (default 10), apgd-*, fab-t, autoattack, adaptive (default 100, as published).")
    Integer steps;

    @Option(names = "--step-size", defaultValue = "0", paramLabel = "X", converter = FractionConverter.class,
            description = "PGD step size, e.g. 2/255 (0: 2.5 * budget / steps). Default: ${DEFAULT-VALUE}.")
    double stepSize;

    @Option(names = "--random-start", description = "PGD: start from a random point of the ball.")
    boolean randomStart;

    @Option(names = "--restarts", paramLabel = "N", description = "APGD runs from new random starts (per target for apgd-t). Default: 1.")
    Integer restarts;

    @Option(names = "--targets", paramLabel = "N",
            description = "apgd-t, fab-t: target classes, the highest-scoring wrong ones. Default: 9 (classes - 1 where fewer).")
    Integer targets;

    @Option(names = "--queries", paramLabel = "N", description = "square: queries per sample. Default: 5000.")
    Integer queries;

    @Option(names = "--p-init", paramLabel = "X", description = "square: initial window share of the image. Default: 0.8.")
    Double pInit;

    @Option(names = "--surrogate-eps", paramLabel = "X",
            description = "adaptive: NRPM eps of the smooth surrogate (the model's own eps where larger). Default: 0.1.")
    Float surrogateEps;

    @Option(names = "--no-probes",
            description = "Skip the masking probes (a quarter-length attack and a large budget on up to 100 samples).")
    boolean noProbes;

    AttackKind kind() {
        return AttackKind.parse(attack);
    }

    /**
     * Refuses options given on the command line that the chosen attack does not use: they would be
     * silently ignored, and the numbers taken for something they are not.
     */
    void checkRelevant(picocli.CommandLine.ParseResult given) {
        AttackKind k = kind();
        boolean pgd = k == AttackKind.PGD || k == AttackKind.PGD_L2;
        boolean apgd = k == AttackKind.APGD_CE || k == AttackKind.APGD_T || k == AttackKind.AUTOATTACK
                || k == AttackKind.ADAPTIVE;
        boolean targeted = k == AttackKind.APGD_T || k == AttackKind.FAB_T || k == AttackKind.AUTOATTACK;
        boolean square = k == AttackKind.SQUARE || k == AttackKind.AUTOATTACK;
        boolean iterative = pgd || apgd || k == AttackKind.FAB_T;
        refuse(given, "--budgets", k == AttackKind.NONE && budgets.length > 1 || k == AttackKind.NONE && budgets[0] != 0,
                "with --attack none (clean accuracy); name an attack");
        refuse(given, "--steps", !iterative, "with --attack " + k.cliName());
        refuse(given, "--step-size", !pgd, "outside pgd and pgd-l2 (APGD sets its own step size)");
        refuse(given, "--random-start", !pgd, "outside pgd and pgd-l2 (APGD always starts at random)");
        refuse(given, "--restarts", !apgd, "outside the APGD attacks");
        refuse(given, "--targets", !targeted, "outside apgd-t, fab-t and autoattack");
        refuse(given, "--queries", !square, "outside square and autoattack");
        refuse(given, "--p-init", !square, "outside square and autoattack");
        refuse(given, "--surrogate-eps", k != AttackKind.ADAPTIVE, "outside --attack adaptive");
        refuse(given, "--no-probes", k == AttackKind.NONE, "with --attack none");
    }

    private static void refuse(picocli.CommandLine.ParseResult given, String option, boolean useless, String why) {
        if (useless && given.hasMatchedOption(option)) {
            throw new dev.nrpm.error.InvalidSettingException(option + " has no effect " + why);
        }
    }

    AttackSettings settings() {
        return new AttackSettings(norm == null ? null : Norm.parse(norm), steps, (float) stepSize, randomStart, restarts,
                targets, queries, pInit, surrogateEps);
    }

    /** The attack (null for none) with every setting and budget checked, before any work starts. */
    AttackPlan plan(int classes) {
        if (stepSize < 0 || !Double.isFinite(stepSize)) {
            throw new dev.nrpm.error.InvalidSettingException("--step-size must be >= 0 (0 = automatic), got " + stepSize);
        }
        AttackPlan p = kind().plan(settings(), classes);
        if (p != null) {
            for (double b : budgets) {
                p.checkBudget(b);
            }
        }
        return p;
    }

    /** The budget axis's name for reports. */
    String budgetTitle() {
        return kind().budgetKind(norm == null ? null : Norm.parse(norm)).title();
    }

    String describe(AttackPlan p) {
        return p == null ? "none" : p.description();
    }
}

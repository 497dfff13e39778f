package dev.nrpm.attack;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.nn.Surrogate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The registry of evaluation attacks: command-line name, label, what the budget measures, default
 * settings, a one-line description and how to build the attack. The CLI's --attack, the reports'
 * attack names and the plots' budget axis all come from here, so an attack is added in this file
 * (and its own class) only.
 */
public enum AttackKind {
    NONE("none", "clean", Fixed.NONE, "no attack: clean accuracy at every budget") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            return null;
        }
    },
    FGSM("fgsm", "FGSM", Fixed.LINF, "fast gradient sign method, one step (Goodfellow et al. 2015)") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            return single(this, norm, new TensorAttackMember(new Fgsm(), true), AttackPlan.Role.WHITE_BOX,
                    Map.of(), null);
        }
    },
    PGD("pgd", "PGD", Fixed.LINF, "projected gradient descent in the L-inf ball, fixed step (Madry et al. 2018)") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            return pgd(this, norm, s, (steps, step, random) -> new PgdLinf(steps, step, random));
        }
    },
    PGD_L2("pgd-l2", "PGD-L2", Fixed.L2, "projected gradient descent in the L2 ball, fixed step") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            return pgd(this, norm, s, (steps, step, random) -> new PgdL2(steps, step, random));
        }
    },
    NOISE("noise", "Gaussian noise", Fixed.SIGMA, "random Gaussian noise of standard deviation sigma (not an adversary)") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            return single(this, null, new TensorAttackMember(new GaussianNoise(), false), AttackPlan.Role.RANDOM,
                    Map.of(), null);
        }
    },
    APGD_CE("apgd-ce", "APGD-CE", Fixed.EITHER, "Auto-PGD on the cross-entropy loss (Croce and Hein 2020), 100 iterations") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            int it = steps(s, Apgd.ITERATIONS);
            int restarts = restarts(s);
            return single(this, norm, new Apgd(norm, Apgd.Loss.CE, it, restarts, 1), AttackPlan.Role.WHITE_BOX,
                    Map.of("iterations", it, "restarts", restarts),
                    q -> new Apgd(norm, Apgd.Loss.CE, q, restarts, 1));
        }
    },
    APGD_T("apgd-t", "APGD-T", Fixed.EITHER, "Auto-PGD on the targeted DLR loss, 9 target classes x 100 iterations") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            requireClasses(classes, 4, "the targeted DLR loss of apgd-t");
            int it = steps(s, Apgd.ITERATIONS);
            int targets = targets(s, classes);
            int restarts = restarts(s);
            return single(this, norm, new Apgd(norm, Apgd.Loss.TARGETED_DLR, it, restarts, targets),
                    AttackPlan.Role.WHITE_BOX, Map.of("iterations", it, "restarts", restarts, "targets", targets),
                    q -> new Apgd(norm, Apgd.Loss.TARGETED_DLR, q, restarts, targets));
        }
    },
    FAB_T("fab-t", "FAB-T", Fixed.EITHER, "targeted FAB, minimum-norm boundary projections, 9 targets x 100 iterations") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            int it = steps(s, FabTargeted.ITERATIONS);
            int targets = targets(s, classes);
            return single(this, norm, new FabTargeted(norm, it, targets), AttackPlan.Role.WHITE_BOX,
                    Map.of("iterations", it, "targets", targets, "alpha_max", FabTargeted.ALPHA_MAX,
                            "eta", FabTargeted.ETA, "beta", FabTargeted.BETA),
                    q -> new FabTargeted(norm, q, targets));
        }
    },
    SQUARE("square", "Square", Fixed.EITHER, "Square Attack, score-based random search without gradients, 5000 queries") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            int queries = queries(s);
            double p = pInit(s);
            return single(this, norm, new Square(norm, queries, p), AttackPlan.Role.GRADIENT_FREE,
                    Map.of("queries", queries, "p_init", p), q -> new Square(norm, q, p));
        }
    },
    AUTOATTACK("autoattack", "AutoAttack", Fixed.EITHER,
            "AutoAttack, standard version: apgd-ce, apgd-t, fab-t, square, each on the points still robust") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            requireClasses(classes, 4, "the targeted DLR loss of apgd-t");
            int it = steps(s, Apgd.ITERATIONS);
            int targets = targets(s, classes);
            int restarts = restarts(s);
            int queries = queries(s);
            double p = pInit(s);
            List<AttackPlan.Member> members = List.of(
                    new AttackPlan.Member(new Apgd(norm, Apgd.Loss.CE, it, restarts, 1), AttackPlan.Role.WHITE_BOX),
                    new AttackPlan.Member(new Apgd(norm, Apgd.Loss.TARGETED_DLR, it, restarts, targets), AttackPlan.Role.WHITE_BOX),
                    new AttackPlan.Member(new FabTargeted(norm, it, targets), AttackPlan.Role.WHITE_BOX),
                    new AttackPlan.Member(new Square(norm, queries, p), AttackPlan.Role.GRADIENT_FREE));
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("version", "standard");
            settings.put("iterations", it);
            settings.put("restarts", restarts);
            settings.put("targets", targets);
            settings.put("queries", queries);
            settings.put("p_init", p);
            return assemble(this, norm, members, settings, q -> new Apgd(norm, Apgd.Loss.CE, q, restarts, 1),
                    "standard version, " + norm.title() + ": apgd-ce, apgd-t (" + targets + " targets), fab-t ("
                            + targets + " targets), " + it + " iterations each, square (" + queries + " queries)");
        }
    },
    ADAPTIVE("adaptive", "adaptive APGD", Fixed.EITHER,
            "APGD-CE on the model, then guided by an LPM surrogate and a smooth-NRPM surrogate (same weights),"
                    + " always scored on the model") {
        @Override
        AttackPlan build(AttackSettings s, Norm norm, int classes) {
            int it = steps(s, Apgd.ITERATIONS);
            int restarts = restarts(s);
            float eps = s.surrogateEps() == null ? 0.1f : s.surrogateEps();
            if (!(eps > 0) || !Float.isFinite(eps)) {
                throw new InvalidSettingException("--surrogate-eps must be a finite number > 0, got " + eps);
            }
            Apgd apgd = new Apgd(norm, Apgd.Loss.CE, it, restarts, 1);
            String lpm = "apgd-ce (lpm surrogate)";
            String smooth = "apgd-ce (nrpm eps=" + eps + " surrogate)";
            List<AttackPlan.Member> members = List.of(
                    new AttackPlan.Member(apgd, AttackPlan.Role.WHITE_BOX),
                    new AttackPlan.Member(new SurrogateMember(apgd.named(lpm), lpm, Surrogate::lpm),
                            AttackPlan.Role.SURROGATE),
                    new AttackPlan.Member(new SurrogateMember(apgd.named(smooth), smooth,
                            m -> Surrogate.smoothNrpm(m, eps)), AttackPlan.Role.SURROGATE));
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("iterations", it);
            settings.put("restarts", restarts);
            settings.put("surrogate_eps", (double) eps);
            return assemble(this, norm, members, settings, q -> new Apgd(norm, Apgd.Loss.CE, q, restarts, 1),
                    norm.title() + ": apgd-ce (" + it + " iterations) on the model, then guided by the lpm and the nrpm eps="
                            + eps + " surrogates");
        }
    };

    /** Which norms an attack's budget can be. */
    private enum Fixed { NONE, LINF, L2, SIGMA, EITHER }

    private final String cliName;
    private final String label;
    private final Fixed budget;
    private final String description;

    AttackKind(String cliName, String label, Fixed budget, String description) {
        this.cliName = cliName;
        this.label = label;
        this.budget = budget;
        this.description = description;
    }

    public String cliName() {
        return cliName;
    }

    public String label() {
        return label;
    }

    public String description() {
        return description;
    }

    abstract AttackPlan build(AttackSettings s, Norm norm, int classes);

    /** "none|fgsm|pgd|...": the names --attack takes. */
    public static String choices() {
        List<String> names = new ArrayList<>();
        for (AttackKind k : values()) {
            names.add(k.cliName);
        }
        return String.join("|", names);
    }

    public static AttackKind parse(String text) {
        String t = text == null ? "" : text.toLowerCase(Locale.ROOT).trim();
        if (t.equals("pgd-linf")) {
            return PGD;
        }
        for (AttackKind k : values()) {
            if (k.cliName.equals(t)) {
                return k;
            }
        }
        throw new InvalidSettingException("--attack: unknown attack '" + text + "' (expected one of "
                + choices().replace("|", ", ") + ")");
    }

    /**
     * The attack with every setting checked against it and the model's number of classes; null for
     * {@link #NONE}.
     */
    public AttackPlan plan(AttackSettings s, int classes) {
        return build(s, norm(s.norm()), classes);
    }

    /** What the budgets measure under this attack with the requested norm (null: the default). */
    public BudgetKind budgetKind(Norm requested) {
        Norm n = norm(requested);
        return budget == Fixed.SIGMA ? BudgetKind.NOISE_SIGMA : n == null ? BudgetKind.LINF : BudgetKind.of(n);
    }

    private Norm norm(Norm requested) {
        switch (budget) {
            case LINF:
            case L2:
                Norm fixed = budget == Fixed.LINF ? Norm.LINF : Norm.L2;
                if (requested != null && requested != fixed) {
                    throw new InvalidSettingException("--norm " + requested.cliName() + " does not apply to " + cliName
                            + ", an " + fixed.title() + " attack" + (this == PGD ? " (use --attack pgd-l2)" : "")
                            + (this == PGD_L2 ? " (use --attack pgd)" : ""));
                }
                return fixed;
            case EITHER:
                return requested == null ? Norm.LINF : requested;
            default:
                if (requested != null) {
                    throw new InvalidSettingException("--norm does not apply to --attack " + cliName);
                }
                return null;
        }
    }

    /**
     * A tensor attack instance (as training uses them) as a one-member plan: its budget kind from
     * its {@link Attack#budgetName()}, no probes.
     */
    public static AttackPlan forTensorAttack(Attack attack) {
        BudgetKind kind = null;
        for (BudgetKind k : BudgetKind.values()) {
            if (k.title().equals(attack.budgetName())) {
                kind = k;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException(attack.name() + " measures its budget as '" + attack.budgetName()
                    + "', which no budget kind names");
        }
        boolean random = kind == BudgetKind.NOISE_SIGMA;
        AttackPlan.Member m = new AttackPlan.Member(new TensorAttackMember(attack, !random),
                random ? AttackPlan.Role.RANDOM : AttackPlan.Role.WHITE_BOX);
        return new AttackPlan(attack.name(), attack.name(), kind, List.of(m), Map.of("attack", attack.name()), null);
    }

    // ------------------------------------------------------------------ building blocks

    private static AttackPlan single(AttackKind kind, Norm norm, BatchAttack attack, AttackPlan.Role role,
                                     Map<String, Object> settings, IntFunction<BatchAttack> shorter) {
        return single(kind, norm, attack, role, settings, shorter, shorter);
    }

    /** largeBudget: the shorter attack with a budget-relative step, where the member has a fixed one. */
    private static AttackPlan single(AttackKind kind, Norm norm, BatchAttack attack, AttackPlan.Role role,
                                     Map<String, Object> settings, IntFunction<BatchAttack> shorter,
                                     IntFunction<BatchAttack> largeBudget) {
        return assemble(kind, norm, List.of(new AttackPlan.Member(attack, role)), settings, shorter, largeBudget, null);
    }

    private static AttackPlan assemble(AttackKind kind, Norm norm, List<AttackPlan.Member> members, Map<String, Object> settings,
                                       IntFunction<BatchAttack> shorter, String detail) {
        return assemble(kind, norm, members, settings, shorter, shorter, detail);
    }

    private static AttackPlan assemble(AttackKind kind, Norm norm, List<AttackPlan.Member> members, Map<String, Object> settings,
                                       IntFunction<BatchAttack> shorter, IntFunction<BatchAttack> largeBudget, String detail) {
        BudgetKind budget = kind.budget == Fixed.SIGMA ? BudgetKind.NOISE_SIGMA : BudgetKind.of(norm);
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("attack", kind.cliName);
        if (norm != null) {
            all.put("norm", norm.cliName());
        }
        all.putAll(settings);
        String text = kind.cliName + (detail != null ? " (" + detail + ")"
                : settings.isEmpty() ? "" : " (" + (norm != null ? norm.title() + ", " : "") + describe(settings) + ")");
        AttackPlan.Shorter probe = null;
        if (shorter != null) {
            boolean queries = all.containsKey("queries") && members.size() == 1;
            int full = ((Number) all.getOrDefault(queries ? "queries" : all.containsKey("iterations") ? "iterations" : "steps", 1))
                    .intValue();
            int quarter = Math.max(1, full / 4);
            String unit = queries ? " queries" : all.containsKey("iterations") ? " iterations" : " steps";
            probe = new AttackPlan.Shorter(shorter.apply(quarter), largeBudget.apply(quarter), quarter + unit, full + unit);
        }
        return new AttackPlan(kind.cliName, text, budget, members, all, probe);
    }

    private static String describe(Map<String, Object> settings) {
        List<String> parts = new ArrayList<>();
        settings.forEach((k, v) -> parts.add(k.replace('_', ' ') + " " + (v instanceof Double || v instanceof Float
                ? new java.math.BigDecimal(String.format(Locale.ROOT, "%.4g", ((Number) v).doubleValue())).stripTrailingZeros().toPlainString()
                : v)));
        return String.join(", ", parts);
    }

    /** A PGD of either norm: its steps (10 by default), step size and random start from the settings. */
    private interface PgdMaker {
        Attack make(int steps, float stepSize, boolean randomStart);
    }

    private static AttackPlan pgd(AttackKind kind, Norm norm, AttackSettings s, PgdMaker pgd) {
        int steps = steps(s, 10);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("step_size", s.stepSize() > 0 ? (Object) (double) s.stepSize() : "2.5 eps / steps");
        m.put("random_start", s.randomStart());
        return single(kind, norm, new TensorAttackMember(pgd.make(steps, s.stepSize(), s.randomStart()), true),
                AttackPlan.Role.WHITE_BOX, m,
                q -> new TensorAttackMember(pgd.make(q, s.stepSize(), s.randomStart()), true),
                q -> new TensorAttackMember(pgd.make(q, 0f, true), true));
    }

    private static int steps(AttackSettings s, int dflt) {
        int v = s.steps() == null ? dflt : s.steps();
        if (v < 1) {
            throw new InvalidSettingException("--steps must be >= 1, got " + v);
        }
        return v;
    }

    private static int restarts(AttackSettings s) {
        int v = s.restarts() == null ? 1 : s.restarts();
        if (v < 1) {
            throw new InvalidSettingException("--restarts must be >= 1, got " + v);
        }
        return v;
    }

    private static int queries(AttackSettings s) {
        int v = s.queries() == null ? Square.QUERIES : s.queries();
        if (v < 1) {
            throw new InvalidSettingException("--queries must be >= 1 (Square's query budget per sample), got " + v);
        }
        return v;
    }

    private static double pInit(AttackSettings s) {
        double v = s.pInit() == null ? Square.P_INIT : s.pInit();
        if (!(v > 0 && v <= 1)) {
            throw new InvalidSettingException("--p-init must lie in (0, 1], got " + v);
        }
        return v;
    }

    /** The requested targets, at most classes - 1; by default 9, or classes - 1 where fewer. */
    private static int targets(AttackSettings s, int classes) {
        if (s.targets() == null) {
            return Math.min(Apgd.TARGETS, classes - 1);
        }
        int v = s.targets();
        if (v < 1 || v > classes - 1) {
            throw new InvalidSettingException("--targets must lie in [1, " + (classes - 1) + "] (classes - 1 for "
                    + classes + " classes), got " + v);
        }
        return v;
    }

    private static void requireClasses(int classes, int min, String what) {
        if (classes < min) {
            throw new InvalidSettingException(what + " needs at least " + min + " classes, the model has " + classes);
        }
    }
}

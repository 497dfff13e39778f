package dev.nrpm.attack;

import dev.nrpm.error.InvalidSettingException;

/** What an attack's budget measures: an L-inf or L2 radius, or the sigma of random noise. */
public enum BudgetKind {
    LINF("L-inf epsilon"),
    L2("L2 epsilon"),
    NOISE_SIGMA("noise sigma");

    private final String title;

    BudgetKind(String title) {
        this.title = title;
    }

    /** "L-inf epsilon", "L2 epsilon", "noise sigma": table headers and plot axes. */
    public String title() {
        return title;
    }

    public static BudgetKind of(Norm norm) {
        return norm == Norm.LINF ? LINF : L2;
    }

    /** The norm whose ball the budget bounds, or null for noise. */
    public Norm norm() {
        return this == LINF ? Norm.LINF : this == L2 ? Norm.L2 : null;
    }

    /** Throws, naming the attack and --budgets, when a budget makes no sense for this kind. */
    public void check(String attack, double budget) {
        if (this == LINF) {
            if (!(budget >= 0 && budget <= 1)) {
                throw new InvalidSettingException("--budgets: " + budget + " is out of range for " + attack
                        + ": an L-inf budget on images in [0, 1] lies in [0, 1]");
            }
        } else if (!(budget >= 0) || !Double.isFinite(budget)) {
            throw new InvalidSettingException("--budgets: " + budget + " is out of range for " + attack
                    + ": " + title + " must be a finite number >= 0");
        }
    }
}

package dev.nrpm.attack;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An evaluation's attack, ready to run: its members in order (one for a single attack, four for
 * AutoAttack), each run only on the points no earlier member has broken, so that per sample the
 * worst case over all members counts. Made by {@link AttackKind#plan}.
 *
 * @param name        the command-line name ("autoattack")
 * @param description one line for reports ("autoattack, standard version, L-inf: apgd-ce, ...")
 * @param budget      what the budgets measure
 * @param members     the attacks in the order they run
 * @param settings    the settings as plain values, for JSON reports
 * @param shorter     the first member with a quarter of its iterations or queries, for the masking
 *                    probes; null where that means nothing (FGSM, noise)
 */
public record AttackPlan(String name, String description, BudgetKind budget, List<Member> members,
                         Map<String, Object> settings, Shorter shorter) {

    public AttackPlan {
        members = List.copyOf(members);
        settings = new LinkedHashMap<>(settings);
    }

    /** How a member sees the model, which is what the masking checks compare. */
    public enum Role {
        /** gradients of the model itself */
        WHITE_BOX,
        /** model outputs only (Square) */
        GRADIENT_FREE,
        /** gradients of a surrogate sharing the model's weights, scored on the model */
        SURROGATE,
        /** not an adversary (Gaussian noise) */
        RANDOM
    }

    public record Member(BatchAttack attack, Role role) {
    }

    /**
     * The first member with less effort.
     *
     * @param attack      the shorter attack, its other settings as the member's
     * @param largeBudget the shorter attack for the large-budget probe: any fixed step size is
     *                    replaced by one relative to the budget, which a huge ball needs
     * @param effort      what it spends ("25 iterations"), beside the full member's ("100 iterations")
     */
    public record Shorter(BatchAttack attack, BatchAttack largeBudget, String effort, String fullEffort) {
    }

    public List<String> memberNames() {
        List<String> out = new ArrayList<>();
        for (Member m : members) {
            out.add(m.attack().name());
        }
        return out;
    }

    /** Throws, naming the attack, when a budget makes no sense for it. */
    public void checkBudget(double b) {
        budget.check(name, b);
    }
}

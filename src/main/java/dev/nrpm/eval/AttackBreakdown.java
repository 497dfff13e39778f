package dev.nrpm.eval;

import java.util.List;

/**
 * What happened at one budget, member by member (AutoAttack's log): the points each member broke,
 * the robust count after it, its time, and per sample which member broke it.
 *
 * @param members     member names in the order they ran
 * @param robustAfter samples still robust after each member (the last is the robust count)
 * @param broken      samples each member broke (each only on points no earlier member broke)
 * @param seconds     wall time of each member
 * @param outcome     per sample: {@link #MISCLASSIFIED} (wrong already when clean), {@link #ROBUST},
 *                    or the index of the member that broke it
 * @param adversarial the perturbed images (n x C*H*W, the clean image where none was found), or
 *                    null when not kept
 */
public record AttackBreakdown(double budget, long seed, List<String> members, long[] robustAfter, long[] broken,
                              double[] seconds, int[] outcome, float[] adversarial) {
    public static final int MISCLASSIFIED = -2;
    public static final int ROBUST = -1;

    public AttackBreakdown {
        members = List.copyOf(members);
    }

    /** "robust", "misclassified" or the member's name, for sample i. */
    public String outcomeName(int i) {
        int o = outcome[i];
        return o == ROBUST ? "robust" : o == MISCLASSIFIED ? "misclassified" : members.get(o);
    }
}

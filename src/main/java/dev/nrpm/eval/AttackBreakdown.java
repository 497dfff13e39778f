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
 * @param health      what the masking checks need from the run, summed over shards
 */
public record AttackBreakdown(double budget, long seed, List<String> members, long[] robustAfter, long[] broken,
                              double[] seconds, int[] outcome, float[] adversarial, Health health)
        implements java.io.Serializable {
    public static final int MISCLASSIFIED = -2;
    public static final int ROBUST = -1;

    public AttackBreakdown {
        members = List.copyOf(members);
    }

    /**
     * Per member: samples attacked, with an exactly zero input gradient at the start point, with
     * non-finite gradients; then claimed points refused (outside the ball or box, not finite) and
     * adversarial points with non-finite logits.
     */
    public record Health(long[] attacked, long[] zeroGradient, long[] nonFiniteGradient, long invalidClaims,
                         long nonFiniteLogits) implements java.io.Serializable {
        static Health sum(Health a, Health b) {
            return new Health(add(a.attacked, b.attacked), add(a.zeroGradient, b.zeroGradient),
                    add(a.nonFiniteGradient, b.nonFiniteGradient), a.invalidClaims + b.invalidClaims,
                    a.nonFiniteLogits + b.nonFiniteLogits);
        }
    }

    static long[] add(long[] a, long[] b) {
        long[] s = a.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b[i];
        }
        return s;
    }

    /**
     * The breakdowns of consecutive shards of one evaluation as one: outcomes and adversarial
     * images concatenated in shard order, counts summed, times summed (work, not wall time).
     */
    static AttackBreakdown concat(List<AttackBreakdown> shards) {
        AttackBreakdown first = shards.get(0);
        int m = first.members.size();
        long[] robust = new long[m];
        long[] brk = new long[m];
        double[] sec = new double[m];
        int n = 0;
        boolean keep = first.adversarial != null;
        Health h = new Health(new long[m], new long[m], new long[m], 0, 0);
        for (AttackBreakdown s : shards) {
            robust = add(robust, s.robustAfter);
            brk = add(brk, s.broken);
            for (int i = 0; i < m; i++) {
                sec[i] += s.seconds[i];
            }
            n += s.outcome.length;
            h = Health.sum(h, s.health);
        }
        int[] outcome = new int[n];
        float[] adv = null;
        if (keep) {
            int d = first.adversarial.length / Math.max(1, first.outcome.length);
            adv = new float[n * d];
        }
        int at = 0;
        for (AttackBreakdown s : shards) {
            System.arraycopy(s.outcome, 0, outcome, at, s.outcome.length);
            if (keep) {
                System.arraycopy(s.adversarial, 0, adv, at * (adv.length / Math.max(1, n)), s.adversarial.length);
            }
            at += s.outcome.length;
        }
        return new AttackBreakdown(first.budget, first.seed, first.members, robust, brk, sec, outcome, adv, h);
    }

    /** "robust", "misclassified" or the member's name, for sample i. */
    public String outcomeName(int i) {
        int o = outcome[i];
        return o == ROBUST ? "robust" : o == MISCLASSIFIED ? "misclassified" : members.get(o);
    }
}

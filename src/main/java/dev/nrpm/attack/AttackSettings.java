package dev.nrpm.attack;

/**
 * What a user can set about an attack; null means the attack's published default.
 *
 * @param norm         for the attacks that take either norm (AutoAttack and its members, adaptive)
 * @param steps        iterations (PGD: 10; APGD, FAB: 100)
 * @param stepSize     PGD's step (0: 2.5 eps / steps)
 * @param randomStart  PGD
 * @param restarts     APGD-CE runs per sample, APGD-T runs per target (1)
 * @param targets      APGD-T and FAB-T: the highest-scoring wrong classes to target (9, at most classes - 1)
 * @param queries      Square's queries per sample (5000)
 * @param pInit        Square's initial window share (0.8)
 * @param surrogateEps adaptive: the smooth surrogate's NRPM eps (0.1)
 */
public record AttackSettings(Norm norm, Integer steps, float stepSize, boolean randomStart, Integer restarts,
                             Integer targets, Integer queries, Double pInit, Float surrogateEps) {

    /** Every setting at its default. */
    public static AttackSettings defaults() {
        return new AttackSettings(null, null, 0f, false, null, null, null, null, null);
    }

    public AttackSettings withNorm(Norm n) {
        return new AttackSettings(n, steps, stepSize, randomStart, restarts, targets, queries, pInit, surrogateEps);
    }

    public AttackSettings withSteps(Integer s) {
        return new AttackSettings(norm, s, stepSize, randomStart, restarts, targets, queries, pInit, surrogateEps);
    }

    public AttackSettings withQueries(Integer q) {
        return new AttackSettings(norm, steps, stepSize, randomStart, restarts, targets, q, pInit, surrogateEps);
    }

    public AttackSettings withTargets(Integer t) {
        return new AttackSettings(norm, steps, stepSize, randomStart, restarts, t, queries, pInit, surrogateEps);
    }

    public AttackSettings withRandomStart(boolean r) {
        return new AttackSettings(norm, steps, stepSize, r, restarts, targets, queries, pInit, surrogateEps);
    }
}

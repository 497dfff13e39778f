package dev.nrpm.attack;

/**
 * One attack of an evaluation (APGD-CE, Square, one of the ensemble's members...) on a batch of
 * samples that the model classifies correctly. Everything it does to a sample depends on that
 * sample alone (its image, label and dataset index), never on the rest of the batch.
 */
public interface BatchAttack {
    /** Name as in reports: "apgd-ce", "square", "apgd-ce (lpm surrogate)". */
    String name();

    /**
     * @param eps    the budget (a radius of the attack's norm, or a noise sigma)
     * @param seed   the evaluation's seed for this budget
     * @param health where gradient anomalies met on the way are recorded
     */
    Result run(Classifier model, SampleBatch batch, double eps, long seed, GradientHealth health);

    /**
     * adv: one perturbed image per sample (the clean image where nothing was found); broken: where
     * the attack's own check saw a misclassified point. The evaluator re-checks every claim.
     */
    record Result(float[] adv, boolean[] broken) {
    }
}

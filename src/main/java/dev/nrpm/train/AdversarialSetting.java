package dev.nrpm.train;

import dev.nrpm.attack.Attack;

/**
 * Adversarial training: each batch is replaced by its perturbation at this budget, generated with
 * the model in evaluation mode (so attack forwards do not move the BN running statistics) unless
 * attackInTrainMode asks otherwise.
 */
public record AdversarialSetting(Attack attack, float budget, boolean attackInTrainMode) {
    public AdversarialSetting {
        attack.checkBudget(budget);
    }
}

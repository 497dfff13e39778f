package dev.nrpm.attack;

import dev.nrpm.nn.Module;
import dev.nrpm.tensor.Tensor;

/**
 * A white-box perturbation of a batch of images in [0, 1]: gradients flow through the whole model,
 * NRPM's K reweighting steps included. The model should be in evaluation mode; the result is a new
 * tensor in the caller's memory scope, clipped to [0, 1].
 */
public interface Attack {

    /** Name as on the command line: fgsm, pgd, pgd-l2, noise. */
    String name();

    /** What the budget measures: an L-inf or L2 radius, or a noise sigma. */
    BudgetKind budgetKind();

    /** What the budget measures, for plots and tables ("L-inf epsilon", "L2 epsilon", "noise sigma"). */
    default String budgetName() {
        return budgetKind().title();
    }

    /**
     * @param x      images (B, C, H, W) in [0, 1]
     * @param labels true classes (B)
     * @param budget the perturbation size; 0 returns a copy of x
     * @param draws  where random starts and noise come from
     */
    Tensor perturb(Module model, Tensor x, Tensor labels, float budget, RandomDraws draws);

    /** As above, drawing random numbers for the whole batch from seed (training). */
    default Tensor perturb(Module model, Tensor x, Tensor labels, float budget, long seed) {
        return perturb(model, x, labels, budget, RandomDraws.batch(seed));
    }

    /** Throws when a budget makes no sense for this attack (an L-inf radius beyond 1, a negative one). */
    default void checkBudget(double budget) {
        if (budgetKind() == BudgetKind.LINF) {
            Budgets.checkLinf(name(), budget);
        } else {
            Budgets.checkNonNegative(name(), budget);
        }
    }
}

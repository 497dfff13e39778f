package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.nn.Module;
import dev.nrpm.tensor.Tensor;

/** Random (not adversarial) corruption: x + sigma * N(0, 1) per pixel, clipped to [0, 1]. */
public final class GaussianNoise implements Attack {
    @Override
    public String name() {
        return "noise";
    }

    @Override
    public BudgetKind budgetKind() {
        return BudgetKind.NOISE_SIGMA;
    }

    @Override
    public Tensor perturb(Module model, Tensor x, Tensor labels, float budget, RandomDraws draws) {
        checkBudget(budget);
        Backend be = x.backend();
        long n = x.size();
        Tensor adv = Tensor.zeros(be, x.shape());
        draws.normal(be, adv.buffer(), n, 0f, budget, 0);
        be.axpby(1f, x.buffer(), 1f, adv.buffer(), n);
        Projections.clampToImage(be, adv.buffer(), n);
        return adv;
    }
}
